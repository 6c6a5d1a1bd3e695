#!/usr/bin/env node
// The test command: runs tap over test/ (arguments pass through, e.g. a file list), echoes its output
// and ends with one plain summary line, "N passed, N failed, N skipped", that any CI can read.
// In CI (CI=true) the lab tests must run: a missing privilege there fails the run instead of skipping.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
if (process.env.CI === 'true' && process.getuid?.() !== 0) {
  process.stderr.write('test: CI runs the lab tests, which need root (network namespaces): run the suite as root\n');
  process.exit(1);
}
const tap = path.join(root, 'node_modules/tap/dist/esm/run.mjs');
const child = spawn(process.execPath, [tap, '-R', 'tap', ...process.argv.slice(2)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
let tail = '';
let pass = 0, fail = 0, skip = 0, todo = 0, seen = false;
child.stdout.on('data', (d) => {
  process.stdout.write(d);
  tail = (tail + d.toString()).slice(-4096);
});
child.on('close', (code, signal) => {
  // tap's last summary comment: "# { total: 24, pass: 23, fail: 1, skip: 2 }"
  const m = [...tail.matchAll(/^# \{ total: (\d+)(.*)\}$/gm)].pop();
  if (m) {
    seen = true;
    const field = (k) => Number((new RegExp(`${k}: (\\d+)`).exec(m[2]) ?? [0, 0])[1]);
    pass = field('pass'); fail = field('fail'); skip = field('skip'); todo = field('todo');
  }
  const exit = code ?? (signal ? 1 : 0);
  if (!seen) process.stdout.write(`\n0 passed, 1 failed\n`);
  else process.stdout.write(`\n${pass} passed, ${fail} failed, ${skip + todo} skipped\n`);
  process.exit(seen ? exit : exit || 1);
});
