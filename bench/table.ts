/**
 * Connection-table benchmark (one command; results in bench/table.md):
 *   node --import @tapjs/typescript/import bench/table.ts
 * Env: ULVS_BENCH_CONNS (default 1_000_000 live connections), ULVS_BENCH_OPS (default 10_000_000 lookups),
 * ULVS_BENCH_OUT (the table is also written there; default bench/table-run.md, "-" = stdout only).
 * Measures: insert rate (SYN -> new connection) on one core; lookup + TCP state update on established
 * connections with N live, one at a time and in batches of 256 with the batch prefetch the pipeline uses
 * (ConnTable.touchConnBuckets); memory per live connection (layout bytes and RSS growth); insert time per
 * connection of 1 worker thread alone, then of 2 worker threads on the same shared table at once.
 * Progress goes to stderr while it runs.
 */
import { Worker } from 'node:worker_threads';
import { createSharedState, sharedStateConnBytes } from '../src/table/shared-state.js';
import { ENTRY_BYTES } from '../src/table/layout.js';
import { Inserter, VIP, benchSpec } from './table-fixture.js';
import { emitReport, fmt, measureReport, progressTo } from './report.js';
import { attachSharedState } from '../src/table/shared-state.js';

const N = Number(process.env.ULVS_BENCH_CONNS ?? 1_000_000);
const OPS = Number(process.env.ULVS_BENCH_OPS ?? 10_000_000);
const OUT = process.env.ULVS_BENCH_OUT ?? new URL('./table-run.md', import.meta.url).pathname;
const progress = progressTo('table');
const rows: Array<[string, string]> = [];

function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Process CPU time in ms (single-thread sections: less inflated by other load than wall time). */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const rss0 = process.memoryUsage().rss;
const buffers = createSharedState({ maxConns: Math.ceil(N * 1.25), maxWorkers: 4 });
const main = attachSharedState(buffers, 0);
const spec = benchSpec(main);
const ins = new Inserter(buffers, 1, spec);

// 1. Inserts on one core.
progress(`inserting ${fmt(N)} connections`);
let t0 = cpuMs();
for (let n = 0; n < N; n++) ins.packet(n, 0x02, 1000);
let ms = cpuMs() - t0;
rows.push(['insert (SYN -> new conn), 1 core', `${fmt(N / ms / 1000)} M/s (${fmt((ms * 1e6) / N)} ns/op)`]);
for (let n = 0; n < N; n++) ins.packet(n, 0x10, 1001); // ACK -> ESTABLISHED
const live = ins.state.conns.liveCount();
const rss1 = process.memoryUsage().rss;
rows.push(['live connections', fmt(live)]);
rows.push(['memory per connection (layout: record + buckets)', `${ENTRY_BYTES} B record, ${fmt(sharedStateConnBytes(N) / N)} B reserved per slot`]);
rows.push(['memory per connection (RSS growth / live)', `${fmt((rss1 - rss0) / live)} B`]);

// 2. Lookup + state update on established connections (pseudo-random order over all N).
const order = new Int32Array(1 << 20);
let s = 1;
for (let i = 0; i < order.length; i++) order[i] = (s = (Math.imul(s, 1103515245) + 12345) >>> 0) % N;
progress(`${fmt(OPS)} random lookups`);
t0 = cpuMs();
let hits = 0;
for (let i = 0; i < OPS; i++) if (ins.packet(order[i & (order.length - 1)]!, 0x10, 2000) === 0) hits++;
ms = cpuMs() - t0;
rows.push([`lookup + state update, ${fmt(N)} live, 1 core`, `${fmt(OPS / ms / 1000)} M/s (${fmt((ms * 1e6) / OPS)} ns/op), hits ${fmt(hits)}`]);

// 2b. The same lookups in batches of 256, each batch prefetched as the pipeline does (all bucket heads,
// then all first records), so the misses of a batch overlap.
{
  const t = ins.state.conns;
  const bk = new Int32Array(256);
  let sink = 0;
  hits = 0;
  progress(`${fmt(OPS)} random lookups in prefetched batches of 256`);
  t0 = cpuMs();
  for (let i = 0; i < OPS; i += 256) {
    for (let j = 0; j < 256; j++) {
      const n = order[(i + j) & (order.length - 1)]!;
      bk[j] = t.connBucket4(6, 0x0b000000 + n, VIP, (1024 + (n & 0x7fff)) | (80 << 16));
    }
    sink ^= t.touchConnBuckets(bk, 256);
    for (let j = 0; j < 256; j++) if (ins.packet(order[(i + j) & (order.length - 1)]!, 0x10, 2000) === 0) hits++;
  }
  ms = cpuMs() - t0;
  if (sink === 0x12345678) progress('(sink)'); // keeps the prefetch loads live
  const ops = Math.ceil(OPS / 256) * 256;
  rows.push([
    `lookup + state update, ${fmt(N)} live, 1 core, batches of 256 prefetched`,
    `${fmt(ops / ms / 1000)} M/s (${fmt((ms * 1e6) / ops)} ns/op), hits ${fmt(hits)}`,
  ]);
}

// 3. Sequential-client lookups (cache-friendly best case).
progress('sequential lookups');
t0 = cpuMs();
for (let i = 0; i < OPS; i++) ins.packet(i % N, 0x10, 2000);
ms = cpuMs() - t0;
rows.push([`lookup + state update, sequential clients`, `${fmt(OPS / ms / 1000)} M/s (${fmt((ms * 1e6) / OPS)} ns/op)`]);

// 4. Inserts from worker threads into a fresh shared table: 1 worker alone (N/2 connections), then 2 at
// once (N/2 each). Each worker times its own loop in thread CPU time (/proc/thread-self/schedstat) and
// wall time, so "2 cost no more CPU per connection than 1" reads directly; wall time on a shared
// machine mostly measures the other load.
async function workers(count: number): Promise<number[]> {
  const b2 = createSharedState({ maxConns: Math.ceil(N * 1.25), maxWorkers: 4 });
  const m2 = attachSharedState(b2, 0);
  const spec2 = benchSpec(m2);
  const go = new SharedArrayBuffer(4);
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const half = Math.floor(N / 2);
  const ws = Array.from(
    { length: count },
    (_, w) =>
      new Worker(new URL(`./table-worker${ext}`, import.meta.url), {
        workerData: { buffers: b2, worker: w + 1, spec: spec2, from: w * half, to: (w + 1) * half, go },
      }),
  );
  await Promise.all(
    ws.map(
      (w) =>
        new Promise((res, rej) => {
          w.once('message', res);
          w.once('error', rej);
        }),
    ),
  );
  const done = ws.map(
    (w) =>
      new Promise<{ ok: number; ns: number; cpuNs: number }>((res, rej) => {
        w.once('message', res);
        w.once('error', rej);
      }),
  );
  const t = now();
  Atomics.store(new Int32Array(go), 0, 1);
  Atomics.notify(new Int32Array(go), 0);
  const res = await Promise.all(done);
  const wall = now() - t;
  const ok = res.reduce((a, r) => a + r.ok, 0);
  rows.push([
    `insert, ${count} worker${count > 1 ? 's at once' : ' alone'} on one shared table (wall)`,
    `CPU ${res.map((r) => fmt(r.cpuNs / r.ok, 0)).join(' / ')} ns per connection per worker (wall ${res.map((r) => fmt(r.ns / r.ok, 0)).join(' / ')}); ${fmt(ok / wall / 1000, 2)} M/s total (${fmt(ok)} conns in ${fmt(wall)} ms; live ${fmt(m2.conns.liveCount())})`,
  ]);
  await Promise.all(ws.map((w) => w.terminate()));
  return res.map((r) => r.cpuNs / r.ok);
}
progress('insert from 1 worker thread');
await workers(1);
progress('insert from 2 worker threads at once');
await workers(2);

emitReport(measureReport('ulvs connection table benchmark', rows), OUT);
