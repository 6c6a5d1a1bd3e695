/**
 * Worker of bench/workers.ts: one pipeline worker on a shared table, per run asked for. Sets up its own established
 * flows (SYN + ACK), waits for the start flag, then times in its own thread CPU time
 * (/proc/thread-self/schedstat) established ACK rounds over those flows and SYNs from new clients.
 */
import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { createBatch, type PacketBatch } from '../src/core/batch.js';
import { processBatch } from '../src/dataplane/pipeline.js';
import { loadSnapshot } from '../src/dataplane/snapshot.js';
import { attachSharedState } from '../src/table/shared-state.js';
import { frame } from './pipeline-fixture.js';

const BATCH = 256;
/** SYN batches prepared at once (written untimed, then processed in one timed run). */
const SYN_CHUNK = 64;

/** This thread's CPU time in ns (Linux schedstat: time on a CPU). */
function threadCpuNs(): number {
  return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
}

/** One timed run on a fresh shared table, as bench/workers.ts asks for it. */
interface Job {
  buffers: Parameters<typeof attachSharedState>[0];
  worker: number;
  spec: Parameters<typeof loadSnapshot>[0];
  base: number;
  flows: number;
  rounds: number;
  syns: number;
  go: SharedArrayBuffer;
}

function job({ buffers, worker, spec, base, flows, rounds, syns, go }: Job): void {
  const state = attachSharedState(buffers, worker);
  const snap = loadSnapshot(spec, state);
  const nb = Math.ceil(flows / BATCH);
  const batches: PacketBatch[] = [];
  let packets = 0;
  for (let k = 0; k < nb; k++) {
    const b = createBatch(1, BATCH, 128, 32);
    b.count = BATCH;
    for (let i = 0; i < BATCH; i++) frame(b, i, base + k * BATCH + i, 0x02);
    processBatch(b, snap, state, 1000);
    for (let i = 0; i < BATCH; i++) frame(b, i, base + k * BATCH + i, 0x10);
    processBatch(b, snap, state, 1000);
    batches.push(b);
    packets += 2 * BATCH;
  }
  const reframe = () => {
    for (let k = 0; k < nb; k++) for (let i = 0; i < BATCH; i++) frame(batches[k]!, i, base + k * BATCH + i, 0x10);
  };
  for (const b of batches) processBatch(b, snap, state, 1001); // warm-up
  packets += nb * BATCH;
  reframe();
  const synBatches = Array.from({ length: SYN_CHUNK }, () => {
    const b = createBatch(1, BATCH, 128, 32);
    b.count = BATCH;
    return b;
  });

  const flag = new Int32Array(go);
  parentPort!.postMessage('ready');
  Atomics.wait(flag, 0, 0);

  const t0 = process.hrtime.bigint();
  let estCpu = 0;
  for (let r = 0; r < rounds; r++) {
    if (r > 0 && r % 200 === 0) reframe(); // TTL 255: 200 rounds leave it at 55
    const c0 = threadCpuNs();
    for (const b of batches) processBatch(b, snap, state, 1002 + r);
    estCpu += threadCpuNs() - c0;
  }
  const estPk = rounds * nb * BATCH;
  let synCpu = 0;
  let synPk = 0;
  for (let n = base + flows; synPk < syns; ) {
    for (const b of synBatches) for (let i = 0; i < BATCH; i++) frame(b, i, n++, 0x02);
    const c0 = threadCpuNs();
    for (const b of synBatches) processBatch(b, snap, state, 2000);
    synCpu += threadCpuNs() - c0;
    synPk += SYN_CHUNK * BATCH;
  }
  const t1 = process.hrtime.bigint();
  parentPort!.postMessage({
    estNs: estCpu / estPk,
    synNs: synCpu / synPk,
    packets: packets + estPk + synPk,
    start: Number(t0),
    end: Number(t1),
  });
}

// The same thread serves every run of the bench (no TypeScript load per run; its code stays optimised).
parentPort!.on('message', job);
