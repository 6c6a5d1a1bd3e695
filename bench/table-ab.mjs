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
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { abba, abRow, rev } from './abba.mjs';

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
const cuts = { batched: '\\(c\\)', single: '\\(d\\)', lookup: '\\(b\\)', touch: '\\(a\\)' };
const ns = (text, re) => Number(new RegExp(`${re}[^|]*\\|\\s*([\\d,.]+) ns`).exec(text)?.[1]?.replace(/,/g, '') ?? Number.NaN);
const res = abba({
  bench: 'table-batch',
  helpers: ['table-fixture', 'report', 'calibrate'],
  dirs: { A: o.base, B: o.tree },
  reps,
  env: { ...process.env, ULVS_BENCH_OUT: '-', ULVS_BENCH_CONNS: o.conns, ULVS_BENCH_OPS: o.ops, ULVS_BENCH_ROUNDS: o.rounds, ULVS_BENCH_SMALL: '0' },
  parse: (out) => Object.fromEntries(Object.entries(cuts).map(([k, re]) => [k, ns(out, re)])),
  progress: (r, side, v) => `table-ab: rep ${r}/${reps} ${side}: batched ${v.batched} ns, one at a time ${v.single} ns (load ${loadavg()[0].toFixed(1)})`,
});
const text = [
  `# table A/B: A = ${o.base} (${rev(o.base)}), B = ${o.tree} (${rev(o.tree)})`,
  '',
  `${reps} × ABBA, one process per run, ${o.conns} live, ${o.ops} ops × ${o.rounds} rounds per cut, load at end ${loadavg().map((x) => x.toFixed(1)).join(' ')}, ${new Date().toISOString()}`,
  '',
  '| ns/op (median of runs) | A | B | B/A time | speed-up |',
  '|---|---|---|---|---|',
  abRow(res, 'lookup + update, batches of 256 prefetched (the pipeline)', 'batched'),
  abRow(res, 'lookup + update, one at a time', 'single'),
  abRow(res, '(b) lookup only (lock, findIn, unlock), batched', 'lookup'),
  abRow(res, '(a) hash + touch only', 'touch'),
].join('\n');
console.log(text);
if (o.out !== '-') writeFileSync(o.out, `${text}\n`);
