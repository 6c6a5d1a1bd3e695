/**
 * The A/B harness bench/pipeline-ab.mjs and bench/table-ab.mjs share: this checkout's bench file and its
 * helpers copied into both trees as bench/ab-*.ts (imports rewritten, so an older base runs the same
 * bench), runs in ABBA order, one process per run, and the table of medians with the B/A ratio.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = fileURLToPath(new URL('.', import.meta.url));

/** Runs `bench` (a file name under bench/, without .ts) with its helpers in tree A and B, reps × ABBA; `parse(stdout)` returns one number per key, `progress(rep, side, values)` a line for stderr. */
export function abba({ bench, helpers, dirs, reps, env, parse, progress }) {
  const rewrite = (text) => helpers.reduce((t, h) => t.replace(`'./${h}.js'`, `'./ab-${h}.js'`), text);
  const files = [bench, ...helpers];
  for (const dir of Object.values(dirs)) {
    for (const f of files) writeFileSync(join(dir, `bench/ab-${f}.ts`), rewrite(readFileSync(join(benchDir, `${f}.ts`), 'utf8')));
  }
  const res = { A: {}, B: {} };
  try {
    for (let r = 0; r < reps; r++) {
      for (const side of r % 2 === 0 ? ['A', 'B', 'B', 'A'] : ['B', 'A', 'A', 'B']) {
        const out = execFileSync(process.execPath, ['--import', '@tapjs/typescript/import', `bench/ab-${bench}.ts`], { cwd: dirs[side], env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
        const values = parse(out);
        for (const [k, v] of Object.entries(values)) (res[side][k] ??= []).push(v);
        process.stderr.write(`${progress(r + 1, side, values)}\n`);
      }
    }
  } finally {
    for (const dir of Object.values(dirs)) for (const f of files) rmSync(join(dir, `bench/ab-${f}.ts`), { force: true });
  }
  return res;
}

/** The median of a list of numbers. */
export const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];

/** The short commit of a checkout. */
export const rev = (dir) => execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();

/** One table row: A and B medians (with every run), B/A time and the speed-up. */
export function abRow(res, name, k) {
  const a = median(res.A[k]);
  const b = median(res.B[k]);
  return `| ${name} | ${a.toFixed(1)} (${res.A[k].join(', ')}) | ${b.toFixed(1)} (${res.B[k].join(', ')}) | ${(b / a).toFixed(3)} | ${(a / b).toFixed(2)}× |`;
}
