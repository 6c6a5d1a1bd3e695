/**
 * A/B of bench/pipeline.ts between this tree (B) and another checkout (A, e.g. a detached worktree of
 * main), interleaved in one run so both sides share the machine's load: ABBA order, one process per
 * run, medians and the B/A ratio. This checkout's bench/pipeline.ts runs in both trees (copied into each
 * as bench/ab-pipeline.ts for the run, then removed), so only the code under test differs.
 *   git worktree add --detach /tmp/perf-base main && cp -a node_modules build /tmp/perf-base/
 *   node bench/pipeline-ab.mjs --base /tmp/perf-base [--tree B-DIR, default this checkout] [--reps 5] [--flows 65536] [--syns 1000000]
 * Progress on stderr; the table is printed and written to bench/pipeline-ab.md (--out FILE, - = none).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

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
// Helpers of pipeline.ts that an older base may lack: copied next to it as ab-NAME.ts, imports rewritten.
const helpers = ['pipeline-fixture', 'report'];
let bench = readFileSync(fileURLToPath(new URL('./pipeline.ts', import.meta.url)), 'utf8');
for (const h of helpers) bench = bench.replace(`'./${h}.js'`, `'./ab-${h}.js'`);
for (const dir of [o.base, here]) {
  writeFileSync(join(dir, 'bench/ab-pipeline.ts'), bench);
  for (const h of helpers) copyFileSync(fileURLToPath(new URL(`./${h}.ts`, import.meta.url)), join(dir, `bench/ab-${h}.ts`));
}
const trees = { A: { dir: o.base, file: 'bench/ab-pipeline.ts' }, B: { dir: here, file: 'bench/ab-pipeline.ts' } };
const res = { A: { est: [], syn: [] }, B: { est: [], syn: [] } };
const env = { ...process.env, ULVS_BENCH_OUT: '-', ULVS_BENCH_FLOWS: o.flows, ULVS_BENCH_SYNS: o.syns };
const ns = (text, label) => Number(new RegExp(`${label}[^|]*\\|[^|]*?([\\d,.]+) ns/packet`).exec(text)?.[1]?.replace(/,/g, '') ?? Number.NaN);
try {
  for (let r = 0; r < reps; r++) {
    for (const side of r % 2 === 0 ? ['A', 'B', 'B', 'A'] : ['B', 'A', 'A', 'B']) {
      const t = trees[side];
      const out = execFileSync(process.execPath, ['--import', '@tapjs/typescript/import', t.file], { cwd: t.dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const e = ns(out, 'established');
      const s = ns(out, 'new connections');
      res[side].est.push(e);
      res[side].syn.push(s);
      process.stderr.write(`pipeline-ab: rep ${r + 1}/${reps} ${side}: established ${e} ns, SYN ${s} ns (load ${loadavg()[0].toFixed(1)})\n`);
    }
  }
} finally {
  for (const dir of [o.base, here]) for (const f of ['pipeline', ...helpers]) rmSync(join(dir, 'bench', `ab-${f}.ts`), { force: true });
}
const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const rev = (dir) => execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
const row = (name, k) => {
  const a = med(res.A[k]);
  const b = med(res.B[k]);
  return `| ${name} | ${a.toFixed(1)} (${res.A[k].join(', ')}) | ${b.toFixed(1)} (${res.B[k].join(', ')}) | ${(b / a).toFixed(3)} | ${(a / b).toFixed(2)}× |`;
};
const text = [
  `# pipeline A/B: A = ${o.base} (${rev(o.base)}), B = ${here} (${rev(here)})`,
  '',
  `${reps} × ABBA, one process per run, ${o.flows} flows, ${o.syns} SYNs, load at end ${loadavg().map((x) => x.toFixed(1)).join(' ')}, ${new Date().toISOString()}`,
  '',
  '| ns/packet (median of runs) | A | B | B/A time | speed-up |',
  '|---|---|---|---|---|',
  row('established ACK', 'est'),
  row('SYN', 'syn'),
].join('\n');
console.log(text);
if (o.out !== '-') writeFileSync(o.out, `${text}\n`);
