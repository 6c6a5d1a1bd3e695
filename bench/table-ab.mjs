/**
 * A/B of bench/table-batch.ts (batched and one-at-a-time lookup + update with 1 M live connections)
 * between this tree (B) and another checkout (A, e.g. a detached worktree of main), interleaved in one
 * run so both sides share the machine's load: ABBA order, one process per run, medians and the B/A
 * ratio. This checkout's bench/table-batch.ts (and its helpers) runs in both trees, copied in as
 * bench/ab-*.ts for the run and removed after, so only the code under test differs.
 *   git worktree add --detach /tmp/table-base main && cp -a node_modules build /tmp/table-base/
 *   node bench/table-ab.mjs --base /tmp/table-base [--tree B-DIR] [--reps 5] [--conns 1000000] [--ops 2000000]
 * Progress on stderr; the table is printed and written to bench/table-ab.md (--out FILE, - = none).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: o } = parseArgs({
  options: {
    base: { type: 'string', default: '/tmp/table-base' },
    tree: { type: 'string', default: fileURLToPath(new URL('..', import.meta.url)) },
    reps: { type: 'string', default: '5' },
    conns: { type: 'string', default: '1000000' },
    ops: { type: 'string', default: '2000000' },
    rounds: { type: 'string', default: '3' },
    out: { type: 'string', default: fileURLToPath(new URL('./table-ab.md', import.meta.url)) },
  },
});
const reps = Number(o.reps);
const helpers = ['table-fixture', 'report', 'calibrate'];
let bench = readFileSync(fileURLToPath(new URL('./table-batch.ts', import.meta.url)), 'utf8');
for (const h of helpers) bench = bench.replace(`'./${h}.js'`, `'./ab-${h}.js'`);
const copyIn = (dir) => {
  writeFileSync(join(dir, 'bench/ab-table-batch.ts'), bench);
  for (const h of helpers) {
    let text = readFileSync(fileURLToPath(new URL(`./${h}.ts`, import.meta.url)), 'utf8');
    for (const g of helpers) text = text.replace(`'./${g}.js'`, `'./ab-${g}.js'`);
    writeFileSync(join(dir, `bench/ab-${h}.ts`), text);
  }
};
for (const dir of [o.base, o.tree]) copyIn(dir);
const cuts = { batched: '\\(c\\)', single: '\\(d\\)', lookup: '\\(b\\)', touch: '\\(a\\)' };
const res = { A: {}, B: {} };
for (const s of ['A', 'B']) for (const k of Object.keys(cuts)) res[s][k] = [];
const env = { ...process.env, ULVS_BENCH_OUT: '-', ULVS_BENCH_CONNS: o.conns, ULVS_BENCH_OPS: o.ops, ULVS_BENCH_ROUNDS: o.rounds, ULVS_BENCH_SMALL: '0' };
const ns = (text, re) => Number(new RegExp(`${re}[^|]*\\|\\s*([\\d,.]+) ns`).exec(text)?.[1]?.replace(/,/g, '') ?? Number.NaN);
try {
  for (let r = 0; r < reps; r++) {
    for (const side of r % 2 === 0 ? ['A', 'B', 'B', 'A'] : ['B', 'A', 'A', 'B']) {
      const dir = side === 'A' ? o.base : o.tree;
      const out = execFileSync(process.execPath, ['--import', '@tapjs/typescript/import', 'bench/ab-table-batch.ts'], { cwd: dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      for (const [k, re] of Object.entries(cuts)) res[side][k].push(ns(out, re));
      process.stderr.write(`table-ab: rep ${r + 1}/${reps} ${side}: batched ${res[side].batched.at(-1)} ns, one at a time ${res[side].single.at(-1)} ns (load ${loadavg()[0].toFixed(1)})\n`);
    }
  }
} finally {
  for (const dir of [o.base, o.tree]) for (const f of ['table-batch', ...helpers]) rmSync(join(dir, 'bench', `ab-${f}.ts`), { force: true });
}
const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const rev = (dir) => execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
const row = (name, k) => {
  const a = med(res.A[k]);
  const b = med(res.B[k]);
  return `| ${name} | ${a.toFixed(1)} (${res.A[k].join(', ')}) | ${b.toFixed(1)} (${res.B[k].join(', ')}) | ${(b / a).toFixed(3)} | ${(a / b).toFixed(2)}× |`;
};
const text = [
  `# table A/B: A = ${o.base} (${rev(o.base)}), B = ${o.tree} (${rev(o.tree)})`,
  '',
  `${reps} × ABBA, one process per run, ${o.conns} live, ${o.ops} ops × ${o.rounds} rounds per cut, load at end ${loadavg().map((x) => x.toFixed(1)).join(' ')}, ${new Date().toISOString()}`,
  '',
  '| ns/op (median of runs) | A | B | B/A time | speed-up |',
  '|---|---|---|---|---|',
  row('lookup + update, batches of 256 prefetched (the pipeline)', 'batched'),
  row('lookup + update, one at a time', 'single'),
  row('(b) lookup only (lock, findIn, unlock), batched', 'lookup'),
  row('(a) hash + touch only', 'touch'),
].join('\n');
console.log(text);
if (o.out !== '-') writeFileSync(o.out, `${text}\n`);
