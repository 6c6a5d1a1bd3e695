/**
 * 1 pipeline worker vs 2 at once on one shared table, CPU time per packet (issue 21: "2 workers cost
 * no more CPU per packet than 1", target within 10 %). One command (table written to bench/workers.md):
 *   node --import @tapjs/typescript/import bench/workers.ts [--reps 10] [--flows 65536] [--packets 2000000] [--syns 131072]
 * Each rep runs 1, 2, 2, 1 workers (odd reps 2, 1, 1, 2), each run on a fresh shared table: every worker
 * thread sets up --flows established flows of its own, then all start at once and each times, in its
 * own thread CPU time (/proc/thread-self/schedstat), --packets established ACKs and --syns SYNs from new
 * clients through processBatch (bench/workers-thread.ts). Thread CPU time leaves out the time other
 * processes hold the cores, but not their cache and memory-bus pressure: the spread is reported.
 * Progress on stderr; --out FILE (default bench/workers.md, - = none).
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { readPipelineStats } from '../src/dataplane/stats.js';
import { attachSharedState, createSharedState } from '../src/table/shared-state.js';
import { emitReport, fmt, progressTo, reportHeader } from './report.js';
import { benchSpec } from './table-fixture.js';

const { values: o } = parseArgs({
  options: {
    reps: { type: 'string', default: '10' },
    flows: { type: 'string', default: '65536' },
    packets: { type: 'string', default: '2000000' },
    syns: { type: 'string', default: '131072' },
    out: { type: 'string', default: new URL('./workers.md', import.meta.url).pathname },
  },
});
const REPS = Number(o.reps);
const FLOWS = Number(o.flows);
const ROUNDS = Math.max(1, Math.round(Number(o.packets) / FLOWS));
const SYNS = Number(o.syns);
const progress = progressTo('workers');

interface ThreadResult {
  estNs: number;
  synNs: number;
  packets: number;
  start: number;
  end: number;
}
/** One run: per-worker results and the share of the run's wall time when every worker was timing. */
interface Run {
  threads: ThreadResult[];
  overlap: number;
}

// Two worker threads serve every run (a 1-worker run uses the first): TypeScript loads once per thread.
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const pool = [0, 1].map(() => new Worker(new URL(`./workers-thread${ext}`, import.meta.url)));

async function run(count: number): Promise<Run> {
  const perWorker = Math.ceil((FLOWS + SYNS + 64 * 256) * 1.1);
  // Sized for 2 workers in every run: the same bucket array and record range whether 1 or 2 use it.
  const buffers = createSharedState({ maxConns: 2 * perWorker, maxWorkers: 3 });
  const spec = benchSpec(attachSharedState(buffers, 0));
  const go = new SharedArrayBuffer(4);
  const ws = pool.slice(0, count);
  const next = () =>
    Promise.all(
      ws.map(
        (w) =>
          new Promise<unknown>((res, rej) => {
            w.once('message', res);
            w.once('error', rej);
          }),
      ),
    );
  const ready = next();
  ws.forEach((w, i) => w.postMessage({ buffers, worker: i + 1, spec, base: i * perWorker, flows: FLOWS, rounds: ROUNDS, syns: SYNS, go }));
  await ready; // every worker has set up its flows
  const done = next() as Promise<ThreadResult[]>;
  Atomics.store(new Int32Array(go), 0, 1);
  Atomics.notify(new Int32Array(go), 0);
  const threads = await done;
  for (const w of ws) w.removeAllListeners('error');
  const sent = threads.reduce((a, t) => a + t.packets, 0);
  const transmitted = readPipelineStats(buffers).verdicts.transmit;
  if (transmitted !== sent) throw new Error(`bench/workers.ts: ${transmitted} of ${sent} frames transmitted: the figures would measure another path`);
  const first = Math.max(...threads.map((t) => t.start));
  const last = Math.min(...threads.map((t) => t.end));
  const span = Math.max(...threads.map((t) => t.end)) - Math.min(...threads.map((t) => t.start));
  return { threads, overlap: Math.max(0, last - first) / span };
}

const med = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
const runs: Record<1 | 2, Run[]> = { 1: [], 2: [] };
const ratios = { est: [] as number[], syn: [] as number[] };
for (let r = 0; r < REPS; r++) {
  const rep: Record<1 | 2, Run[]> = { 1: [], 2: [] };
  for (const count of (r % 2 === 0 ? [1, 2, 2, 1] : [2, 1, 1, 2]) as Array<1 | 2>) {
    const x = await run(count);
    rep[count].push(x);
    runs[count].push(x);
    progress(
      `rep ${r + 1}/${REPS}, ${count} worker${count > 1 ? 's' : ''}: established ${x.threads.map((t) => fmt(t.estNs)).join(' / ')} ns, SYN ${x.threads.map((t) => fmt(t.synNs, 0)).join(' / ')} ns CPU per packet${count > 1 ? `, overlap ${fmt(100 * x.overlap, 0)} %` : ''} (load ${loadavg()[0]!.toFixed(1)})`,
    );
  }
  // This rep's ratio: mean CPU per packet of the 2-worker threads over that of the 1-worker runs.
  for (const k of ['est', 'syn'] as const) {
    const f = (t: ThreadResult) => (k === 'est' ? t.estNs : t.synNs);
    ratios[k].push(mean(rep[2].flatMap((x) => x.threads.map(f))) / mean(rep[1].flatMap((x) => x.threads.map(f))));
  }
}

const all = (count: 1 | 2, f: (t: ThreadResult) => number) => runs[count].flatMap((x) => x.threads.map(f));
const spread = (a: number[]) => `${fmt(Math.min(...a))}-${fmt(Math.max(...a))}`;
const line = (name: string, f: (t: ThreadResult) => number, k: 'est' | 'syn') => {
  const a = all(1, f);
  const b = all(2, f);
  const q = ratios[k];
  const qs = [...q].sort((x, y) => x - y);
  return `| ${name} | ${fmt(med(a))} (${spread(a)}) | ${fmt(med(b))} (${spread(b)}) | ${fmt(med(q), 3)} (${fmt(qs[0]!, 3)}-${fmt(qs[qs.length - 1]!, 3)}; middle half ${fmt(qs[Math.floor((qs.length - 1) / 4)]!, 3)}-${fmt(qs[Math.ceil((3 * (qs.length - 1)) / 4)]!, 3)}) |`;
};
const overlaps = runs[2].map((x) => x.overlap);
const text = [
  ...reportHeader('ulvs pipeline, 1 worker vs 2 workers: CPU per packet', 'load at end'),
  `${REPS} reps of 1-2-2-1 / 2-1-1-2 workers, each run on a fresh shared table; per worker ${fmt(FLOWS, 0)} established flows × ${ROUNDS} rounds, then ${fmt(SYNS, 0)} SYNs from new clients; thread CPU time per packet; the 2-worker threads were timing at the same time for a median ${fmt(100 * med(overlaps), 0)} % of their run's wall time (min ${fmt(100 * Math.min(...overlaps), 0)} %).\n`,
  '| ns of CPU per packet | 1 worker: median (min-max over runs) | 2 workers: median (min-max over threads) | 2 / 1 per rep: median (min-max; middle half) |',
  '|---|---|---|---|',
  line(`established ACK, ${fmt(FLOWS, 0)} flows per worker, DR`, (t) => t.estNs, 'est'),
  line('SYN (new connection), wlc over 4 DR', (t) => t.synNs, 'syn'),
].join('\n');
await Promise.all(pool.map((w) => w.terminate()));
emitReport(text, o.out);
