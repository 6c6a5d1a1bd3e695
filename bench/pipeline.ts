/**
 * Whole-pipeline benchmark (parse -> table -> scheduler -> DR transform -> verdict) on one core, 64-byte
 * Ethernet TCP frames (14 + 20 + 20 + 10 payload) in batches of 256. One command (results in bench/table.md):
 *   node --import @tapjs/typescript/import bench/pipeline.ts
 * Env: ULVS_BENCH_FLOWS (default 65_536 established flows), ULVS_BENCH_SYNS (default 1_000_000 new connections).
 * Times are process CPU time (user+sys), so other load on the machine inflates them less than wall time.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { createBatch, type PacketBatch } from '../src/dataplane/batch.js';
import { fillIpv4Checksum, wr16, wr32 } from '../src/packet/checksum.js';
import { attachSharedState, createSharedState } from '../src/table/shared-state.js';
import { loadSnapshot } from '../src/dataplane/snapshot.js';
import { processBatch } from '../src/dataplane/pipeline.js';
import { readPipelineStats } from '../src/dataplane/stats.js';
import { benchSpec } from './table-fixture.js';
import { calibrationNs } from './calibrate.js';

const BATCH = 256;
const FLOWS = Number(process.env.ULVS_BENCH_FLOWS ?? 65_536);
const SYNS = Number(process.env.ULVS_BENCH_SYNS ?? 1_000_000);
const fmt = (x: number, d = 1) => x.toLocaleString('en-US', { maximumFractionDigits: d });
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Writes a 64-byte Ethernet/IPv4/TCP frame client n -> 10.0.0.100:80 with `flags` into slot i. */
function frame(b: PacketBatch, i: number, n: number, flags: number): void {
  const o = i * b.slotSize + b.headroom;
  const buf = b.buf;
  buf.fill(0, o, o + 64);
  buf.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0xfe, 8, 0], o);
  const ip = o + 14;
  buf[ip] = 0x45;
  wr16(buf, ip + 2, 50);
  buf[ip + 6] = 0x40;
  buf[ip + 8] = 64;
  buf[ip + 9] = 6;
  wr32(buf, ip + 12, (0x0b000000 + n) >>> 0);
  wr32(buf, ip + 16, 0x0a000064);
  fillIpv4Checksum(buf, ip);
  const tcp = ip + 20;
  wr16(buf, tcp, 1024 + (n & 0x7fff));
  wr16(buf, tcp + 2, 80);
  buf[tcp + 12] = 0x50;
  buf[tcp + 13] = flags;
  wr16(buf, tcp + 14, 65535);
  b.start[i] = o;
  b.length[i] = 64;
}

const buffers = createSharedState({ maxConns: Math.ceil((SYNS + FLOWS) * 1.1), maxWorkers: 2 });
const state = attachSharedState(buffers, 1);
const snap = loadSnapshot(benchSpec(attachSharedState(buffers, 0)), state);
const rows: Array<[string, string]> = [];

// Established flows: SYN + ACK once, then time ACK batches over all flows.
const nb = Math.ceil(FLOWS / BATCH);
const batches: PacketBatch[] = [];
for (let k = 0; k < nb; k++) {
  const b = createBatch(1, BATCH, 128, 32);
  b.count = BATCH;
  for (let i = 0; i < BATCH; i++) frame(b, i, k * BATCH + i, 0x02);
  processBatch(b, snap, state, 1000);
  for (let i = 0; i < BATCH; i++) frame(b, i, k * BATCH + i, 0x10);
  processBatch(b, snap, state, 1000);
  batches.push(b);
}
const ROUNDS = Math.max(1, Math.floor(5_000_000 / (nb * BATCH)));
for (const b of batches) processBatch(b, snap, state, 1001); // warm-up
let t0 = cpuMs();
for (let r = 0; r < ROUNDS; r++) for (const b of batches) processBatch(b, snap, state, 1002 + r);
const ms = cpuMs() - t0;
const estPk = ROUNDS * nb * BATCH;
rows.push([`established TCP (ACK), ${fmt(FLOWS, 0)} flows, DR`, `${fmt(estPk / ms / 1000, 2)} Mpps, ${fmt((ms * 1e6) / estPk)} ns/packet`]);
const verdicts = readPipelineStats(buffers).verdicts;

// New connections: every SYN from a new client.
const syn = createBatch(1, BATCH, 128, 32);
syn.count = BATCH;
let synMs = 0;
for (let n = FLOWS; n < FLOWS + SYNS; n += BATCH) {
  for (let i = 0; i < BATCH; i++) frame(syn, i, n + i, 0x02);
  t0 = cpuMs();
  processBatch(syn, snap, state, 2000);
  synMs += cpuMs() - t0;
}
rows.push([`new connections (SYN), ${fmt(SYNS, 0)} clients, wlc over 4 DR`, `${fmt(SYNS / synMs / 1000, 2)} Mpps, ${fmt((synMs * 1e6) / SYNS)} ns/packet`]);
rows.push(['check', `transmitted ${fmt(verdicts.transmit, 0)}, dropped ${fmt(verdicts.drop, 0)}, live conns ${fmt(state.conns.liveCount(), 0)}`]);

console.log(
  `# ulvs pipeline benchmark\n\nnode ${process.version}, ${cpus()[0]?.model} x${cpus().length}, ${fmt(totalmem() / 2 ** 30)} GiB, load ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}\n`,
);
console.log(`calibration: ${calibrationNs().toFixed(2)} ns per trivial loop iteration (≈0.5 on an idle core)\n`);
console.log('| measure | result |\n|---|---|');
for (const [a, b] of rows) console.log(`| ${a} | ${b} |`);
// Every frame is forwardable: a drop means the fixture no longer matches the pipeline (e.g. a missing neighbour).
if (verdicts.drop > 0) {
  console.error(`bench/pipeline.ts: ${verdicts.drop} frames dropped, the figures above measure the drop path`);
  process.exitCode = 1;
}
