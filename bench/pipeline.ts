/**
 * Whole-pipeline benchmark (parse -> table -> scheduler -> DR transform -> verdict) on one core, 64-byte
 * Ethernet TCP frames (14 + 20 + 20 + 10 payload) in batches of 256. One command (results in bench/table.md):
 *   node --import @tapjs/typescript/import bench/pipeline.ts
 * Env: ULVS_BENCH_FLOWS (default 65_536 established flows), ULVS_BENCH_SYNS (default 1_000_000 new connections),
 * ULVS_BENCH_OUT (the table is also written there; default bench/pipeline.md, "-" = stdout only).
 * Times are process CPU time (user+sys), so other load on the machine inflates them less than wall time.
 * Progress goes to stderr while it runs. Frames start with TTL 255 and are re-written (untimed) every
 * 200 rounds, so every timed packet takes the forwarding path (before, TTL 64 ran out after 63 rounds and
 * the rest of the run timed the time-exceeded and ICMP-error paths).
 */
import { createBatch, type PacketBatch } from '../src/core/batch.js';
import { attachSharedState, createSharedState } from '../src/table/shared-state.js';
import { loadSnapshot } from '../src/dataplane/snapshot.js';
import { processBatch } from '../src/dataplane/pipeline.js';
import { readPipelineStats } from '../src/dataplane/stats.js';
import { benchSpec } from './table-fixture.js';
import { emitReport, fmt, measureReport, progressTo } from './report.js';
import { frame } from './pipeline-fixture.js';

const BATCH = 256;
const FLOWS = Number(process.env.ULVS_BENCH_FLOWS ?? 65_536);
const SYNS = Number(process.env.ULVS_BENCH_SYNS ?? 1_000_000);
const OUT = process.env.ULVS_BENCH_OUT ?? new URL('./pipeline.md', import.meta.url).pathname;
const progress = progressTo('pipeline');
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

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
/** Re-writes every established frame (the transform decremented its TTL and rewrote its MACs). */
const reframe = () => {
  for (let k = 0; k < nb; k++) for (let i = 0; i < BATCH; i++) frame(batches[k]!, i, k * BATCH + i, 0x10);
};
progress(`${fmt(FLOWS, 0)} flows set up; warm-up`);
for (const b of batches) processBatch(b, snap, state, 1001); // warm-up
reframe();
const v0 = readPipelineStats(buffers).verdicts;
let ms = 0;
let lastReport = Date.now();
for (let r = 0; r < ROUNDS; r++) {
  if (r > 0 && r % 200 === 0) reframe(); // TTL 255: 200 rounds leave it at 55
  const t0 = cpuMs();
  for (const b of batches) processBatch(b, snap, state, 1002 + r);
  ms += cpuMs() - t0;
  if (Date.now() - lastReport > 1000) {
    lastReport = Date.now();
    progress(`established round ${r + 1}/${ROUNDS}, ${fmt((ms * 1e6) / ((r + 1) * nb * BATCH))} ns/packet so far`);
  }
}
const estPk = ROUNDS * nb * BATCH;
rows.push([`established TCP (ACK), ${fmt(FLOWS, 0)} flows, DR`, `${fmt(estPk / ms / 1000, 2)} Mpps, ${fmt((ms * 1e6) / estPk)} ns/packet`]);
const v1 = readPipelineStats(buffers).verdicts;
const estTransmit = v1.transmit - v0.transmit;

// New connections: every SYN from a new client.
const syn = createBatch(1, BATCH, 128, 32);
syn.count = BATCH;
let synMs = 0;
let synPk = 0;
progress(`established done; ${fmt(SYNS, 0)} SYNs`);
for (let n = FLOWS; n < FLOWS + SYNS; n += BATCH) {
  for (let i = 0; i < BATCH; i++) frame(syn, i, n + i, 0x02);
  const t0 = cpuMs();
  processBatch(syn, snap, state, 2000);
  synMs += cpuMs() - t0;
  synPk += BATCH;
  if (Date.now() - lastReport > 1000) {
    lastReport = Date.now();
    progress(`SYN ${fmt(n - FLOWS, 0)}/${fmt(SYNS, 0)}, ${fmt((synMs * 1e6) / synPk)} ns/packet so far`);
  }
}
const v2 = readPipelineStats(buffers).verdicts;
rows.push([`new connections (SYN), ${fmt(SYNS, 0)} clients, wlc over 4 DR`, `${fmt(synPk / synMs / 1000, 2)} Mpps, ${fmt((synMs * 1e6) / synPk)} ns/packet`]);
const synTransmit = v2.transmit - v1.transmit;
rows.push([
  'check',
  `timed and transmitted: established ${fmt(estTransmit, 0)} of ${fmt(estPk, 0)}, SYN ${fmt(synTransmit, 0)} of ${fmt(synPk, 0)}; dropped ${fmt(v2.drop, 0)}; live conns ${fmt(state.conns.liveCount(), 0)}`,
]);

emitReport(measureReport('ulvs pipeline benchmark', rows), OUT);
// Every timed frame is forwardable: anything else means the fixture no longer matches the pipeline
// (e.g. a missing neighbour) and the figures measure another path.
if (estTransmit !== estPk || synTransmit !== synPk) {
  console.error('bench/pipeline.ts: not every timed frame was transmitted, the figures above measure another path');
  process.exitCode = 1;
}
