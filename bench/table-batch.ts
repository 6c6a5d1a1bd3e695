/**
 * Where a batched connection lookup + update goes (issue 21): the batched loop of bench/table.ts timed in
 * three cuts, with 1 M live connections (random order: the records are in DRAM) and with 4,096 live (in
 * cache), so the difference says how much is memory and how much is JS:
 *   (a) hash + touch: the batch prefetch alone (connBucket4 of every packet, touchConnBuckets);
 *   (b) (a) + per packet key, hash, lock, findIn, unlock (the lookup, no update);
 *   (c) (a) + per packet IpvsCore.inPacket (lookup, expiry/SYN checks, transition, fill, unlock, DestStats.addIn);
 *   (d) (c) without the prefetch (one at a time).
 * The client numbers of every batch are precomputed (outside the timed loop); the key, hash and
 * bucket are computed inside it, as the pipeline does. Rounds interleave the cuts, medians printed.
 *   node --import @tapjs/typescript/import bench/table-batch.ts
 * Env: ULVS_BENCH_CONNS (1_000_000), ULVS_BENCH_SMALL (4096; 0 = only the big table), ULVS_BENCH_OPS per cut per round
 * (2_000_000), ULVS_BENCH_ROUNDS (5), ULVS_BENCH_OUT (bench/table-batch-run.md, "-" = stdout only).
 */
import { attachSharedState, createSharedState } from '../src/table/shared-state.js';
import { Inserter, VIP, benchSpec } from './table-fixture.js';
import { emitReport, fmt, progressTo, reportHeader } from './report.js';

const N = Number(process.env.ULVS_BENCH_CONNS ?? 1_000_000);
const SMALL = Number(process.env.ULVS_BENCH_SMALL ?? 4096);
const OPS = Math.ceil(Number(process.env.ULVS_BENCH_OPS ?? 2_000_000) / 256) * 256;
const ROUNDS = Number(process.env.ULVS_BENCH_ROUNDS ?? 5);
const OUT = process.env.ULVS_BENCH_OUT ?? new URL('./table-batch-run.md', import.meta.url).pathname;
const progress = progressTo('table-batch');
const B = 256;

/** Process CPU time in ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** A table with `live` established connections and a random order over them. */
function setup(live: number): { ins: Inserter; order: Int32Array } {
  const buffers = createSharedState({ maxConns: Math.ceil(live * 1.25), maxWorkers: 4 });
  const ins = new Inserter(buffers, 1, benchSpec(attachSharedState(buffers, 0)));
  for (let n = 0; n < live; n++) ins.packet(n, 0x02, 1000);
  for (let n = 0; n < live; n++) ins.packet(n, 0x10, 1001);
  const order = new Int32Array(1 << 20);
  let s = 1;
  for (let i = 0; i < order.length; i++) order[i] = (s = (Math.imul(s, 1103515245) + 12345) >>> 0) % live;
  return { ins, order };
}

const bk = new Int32Array(B);
let sink = 0;

/** Hashes and touches the batch of clients order[i..i+256). */
function prefetch(ins: Inserter, order: Int32Array, i: number): void {
  const t = ins.state.conns;
  for (let j = 0; j < B; j++) {
    const n = order[(i + j) & (order.length - 1)]!;
    bk[j] = t.connBucket4(6, 0x0b000000 + n, VIP, (1024 + (n & 0x7fff)) | (80 << 16));
  }
  sink ^= t.touchConnBuckets(bk, B);
}

function cutA(ins: Inserter, order: Int32Array): number {
  for (let i = 0; i < OPS; i += B) prefetch(ins, order, i);
  return 0;
}

function cutB(ins: Inserter, order: Int32Array): number {
  const t = ins.state.conns;
  const k = ins.k;
  let hits = 0;
  for (let i = 0; i < OPS; i += B) {
    prefetch(ins, order, i);
    for (let j = 0; j < B; j++) {
      const n = order[(i + j) & (order.length - 1)]!;
      k.setV4(6, 0x0b000000 + n, 1024 + (n & 0x7fff), VIP, 80);
      const b = t.connBucket(k);
      const head = t.lockConn(b);
      if (t.findIn(head, k) >= 0) hits++;
      t.unlockConn(b, head);
    }
  }
  return hits;
}

function cutC(ins: Inserter, order: Int32Array): number {
  let hits = 0;
  for (let i = 0; i < OPS; i += B) {
    prefetch(ins, order, i);
    for (let j = 0; j < B; j++) if (ins.packet(order[(i + j) & (order.length - 1)]!, 0x10, 2000) === 0) hits++;
  }
  return hits;
}

function cutD(ins: Inserter, order: Int32Array): number {
  let hits = 0;
  for (let i = 0; i < OPS; i++) if (ins.packet(order[i & (order.length - 1)]!, 0x10, 2000) === 0) hits++;
  return hits;
}

const cuts: Array<[string, (ins: Inserter, order: Int32Array) => number]> = [
  ['(a) hash + touch (prefetch only)', cutA],
  ['(b) + key, hash, lock, findIn, unlock', cutB],
  ['(c) + full inPacket (batched, as the pipeline)', cutC],
  ['(d) full inPacket one at a time (no prefetch)', cutD],
];

const sizes = SMALL > 0 ? [N, SMALL] : [N];
const ns: number[][][] = sizes.map(() => cuts.map(() => []));
const tables = sizes.map((live) => {
  progress(`filling a table with ${fmt(live)} live connections`);
  return setup(live);
});
for (let r = 0; r < ROUNDS; r++) {
  for (let s = 0; s < sizes.length; s++) {
    const { ins, order } = tables[s]!;
    for (let c = 0; c < cuts.length; c++) {
      const t0 = cpuMs();
      const hits = cuts[c]![1](ins, order);
      const v = ((cpuMs() - t0) * 1e6) / OPS;
      if (c > 0 && hits !== OPS) throw new Error(`${cuts[c]![0]}: ${hits} hits of ${OPS}`);
      ns[s]![c]!.push(v);
    }
  }
  progress(`round ${r + 1}/${ROUNDS}: ${sizes.map((live, s) => `${fmt(live)} live ${ns[s]!.map((a) => fmt(a[r]!, 0)).join(' / ')} ns`).join('; ')}`);
}
if (sink === 0x12345678) progress('(sink)');
const med = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1]!;
const lines = [
  ...reportHeader('ulvs connection table: batched lookup + update, by cut'),
  `${ROUNDS} interleaved rounds of ${fmt(OPS)} ops per cut, batches of ${B}, process CPU time, medians (M/s in brackets)\n`,
  `| cut | ${sizes.map((l) => `${fmt(l)} live`).join(' | ')} |${sizes.length > 1 ? ' difference (memory) |' : ''}`,
  `|---|${sizes.map(() => '---|').join('')}${sizes.length > 1 ? '---|' : ''}`,
  ...cuts.map(([name], c) => {
    const m = sizes.map((_, s) => med(ns[s]![c]!));
    const diff = m.length > 1 ? ` ${fmt(m[0]! - m[1]!)} ns |` : '';
    return `| ${name} | ${m.map((x) => `${fmt(x)} ns (${fmt(1000 / x, 2)} M/s)`).join(' | ')} |${diff}`;
  }),
];
emitReport(lines.join('\n'), OUT);
