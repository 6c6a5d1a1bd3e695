/**
 * A/B of bench/pipeline.ts between this tree (B) and another checkout (A, e.g. a detached worktree of
 * main), interleaved in one run so both sides share the machine's load: ABBA order, one process per
 * run, medians and the B/A ratio. This checkout's bench/pipeline.ts runs in both trees (copied into each
 * as bench/ab-pipeline.ts for the run, then removed), so only the code under test differs.
 *   git worktree add --detach /tmp/perf-base main && cp -a node_modules build /tmp/perf-base/
 *   node bench/pipeline-ab.mjs --base /tmp/perf-base [--tree B-DIR, default this checkout] [--reps 5] [--flows 65536] [--syns 1000000]
 * Progress on stderr; the table is printed and written to bench/pipeline-ab.md (--out FILE, - = none).
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { abba, abRow, rev } from './abba.mjs';

const { values: o } = parseArgs({
  options: {
    base: { type: 'string', default: '/tmp/perf-base' },
    tree: { type: 'string', default: fileURLToPath(new URL('..', import.meta.url)) },
    reps: { type: 'string', default: '5' },
    flows: { type: 'string', default: '65536' },
    syns: { type: 'string', default: '1000000' },
    out: { type: 'string', default: fileURLToPath(new URL('./pipeline-ab.md', import.meta.url)) },
  },
});
const here = o.tree;
const reps = Number(o.reps);
const ns = (text, label) => Number(new RegExp(`${label}[^|]*\\|[^|]*?([\\d,.]+) ns/packet`).exec(text)?.[1]?.replace(/,/g, '') ?? Number.NaN);
// Helpers of pipeline.ts that an older base may lack are copied next to it (abba.mjs).
const res = abba({
  bench: 'pipeline',
  helpers: ['pipeline-fixture', 'report'],
  dirs: { A: o.base, B: here },
  reps,
  env: { ...process.env, ULVS_BENCH_OUT: '-', ULVS_BENCH_FLOWS: o.flows, ULVS_BENCH_SYNS: o.syns },
  parse: (out) => ({ est: ns(out, 'established'), syn: ns(out, 'new connections') }),
  progress: (r, side, v) => `pipeline-ab: rep ${r}/${reps} ${side}: established ${v.est} ns, SYN ${v.syn} ns (load ${loadavg()[0].toFixed(1)})`,
});
const text = [
  `# pipeline A/B: A = ${o.base} (${rev(o.base)}), B = ${here} (${rev(here)})`,
  '',
  `${reps} × ABBA, one process per run, ${o.flows} flows, ${o.syns} SYNs, load at end ${loadavg().map((x) => x.toFixed(1)).join(' ')}, ${new Date().toISOString()}`,
  '',
  '| ns/packet (median of runs) | A | B | B/A time | speed-up |',
  '|---|---|---|---|---|',
  abRow(res, 'established ACK', 'est'),
  abRow(res, 'SYN', 'syn'),
].join('\n');
console.log(text);
if (o.out !== '-') writeFileSync(o.out, `${text}\n`);
