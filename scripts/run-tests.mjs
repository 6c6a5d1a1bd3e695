#!/usr/bin/env node
// The test command: runs tap over test/ (arguments pass through, e.g. a file list), echoes its output
// and ends with one plain summary line, "N passed, N failed, N skipped", that any CI can read.
// In CI (CI=true) the lab tests must run: a missing privilege there fails the run instead of skipping.
//
// The whole suite runs in two phases: first every file two at a time (tap's jobs; each lab test builds
// its own uniquely named namespaces, so lab tests run side by side), then, one at a time, the lab files
// whose first lines say `// lab: global` (they change the host itself: dpkg, systemd, the root
// namespace) or `// lab: alone` (they load the machine on purpose — floods, stress — and would starve
// their neighbour). With file arguments, tap runs just those, as given.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
if (process.env.CI === 'true' && process.getuid?.() !== 0) {
  process.stderr.write('test: CI runs the lab tests, which need root (network namespaces): run the suite as root\n');
  process.exit(1);
}
const tap = path.join(root, 'node_modules/tap/dist/esm/run.mjs');
const totals = { pass: 0, fail: 0, skip: 0, seen: 0, exit: 0 };

/** Runs tap with `args`, echoing its output; adds its last summary comment to `totals`. */
function runTap(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [tap, '-R', 'tap', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let tail = '';
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      tail = (tail + d.toString()).slice(-4096);
    });
    child.on('close', (code, signal) => {
      // tap's last summary comment: "# { total: 24, pass: 23, fail: 1, skip: 2 }"
      const m = [...tail.matchAll(/^# \{ total: (\d+)(.*)\}$/gm)].pop();
      if (m) {
        totals.seen++;
        const field = (k) => Number((new RegExp(`${k}: (\\d+)`).exec(m[2]) ?? [0, 0])[1]);
        totals.pass += field('pass');
        totals.fail += field('fail');
        totals.skip += field('skip') + field('todo');
      } else {
        totals.fail++;
      }
      const exit = code ?? (signal ? 1 : 0);
      if (exit !== 0) totals.exit = exit;
      resolve();
    });
  });
}

/** Test files under dir (relative to the repository), sorted. */
function testFiles(dir) {
  const out = [];
  for (const e of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...testFiles(rel));
    else if (e.name.endsWith('.test.ts')) out.push(rel);
  }
  return out.sort();
}

const passThrough = process.argv.slice(2);
if (passThrough.some((a) => !a.startsWith('-'))) {
  await runTap(passThrough);
} else {
  const files = testFiles('test');
  const alone = files.filter((f) => f.startsWith('test/lab/') && /^\/\/ lab: (global|alone)\b/m.test(readFileSync(path.join(root, f), 'utf8').slice(0, 2000)));
  // Lab files first: they are the long ones, and the short unit files fill the gaps at the end.
  const together = [...files.filter((f) => f.startsWith('test/lab/') && !alone.includes(f)), ...files.filter((f) => !f.startsWith('test/lab/'))];
  await runTap([...passThrough, '--jobs', '2', ...together]);
  if (alone.length > 0) await runTap([...passThrough, '--jobs', '1', ...alone]);
}
if (totals.seen === 0) process.stdout.write(`\n0 passed, 1 failed\n`);
else process.stdout.write(`\n${totals.pass} passed, ${totals.fail} failed, ${totals.skip} skipped\n`);
process.exit(totals.exit || (totals.fail > 0 ? 1 : 0));
