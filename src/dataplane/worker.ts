/**
 * The packet worker (a worker_threads entry point): owns one packet I/O backend on its own event loop
 * (one NFQUEUE number or one AF_PACKET fanout member), runs the pipeline once per batch, and counts
 * batches into shared memory the main thread reads (pool.ts); the pipeline counts each packet, once, in
 * its row of the pool's packet counters (dataplane/stats.ts layout). Snapshots arrive as messages; a message handler
 * never runs inside a batch, so every batch sees exactly one snapshot ("swapped between batches").
 */
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { createBatch, LinkType, Verdict, type PacketBatch } from '../core/batch.js';
import { formatIpWords } from '../core/addr.js';
import { openIo } from '../io/open.js';
import { IO_STAT_SLOTS, type IoSpec, type PacketIo, XskUnavailableError } from '../io/types.js';
import { attachSharedState, PIPELINE_COUNTER_WORDS, type SharedStateBuffers } from '../table/shared-state.js';
import type { NeighbourMisses } from './neigh-misses.js';
import { countInto, neighbourMisses, processBatch, sweepIdle } from './pipeline.js';
import { loadSnapshot } from './snapshot.js';
import { PacketSampler } from './packet-sampler.js';
import type { SnapshotSpec } from './snapshot-types.js';

/** Float64 counter slots per worker row in the pool's counter buffer. */
export const WORKER_STAT_SLOTS = 32;
/** Float64 slots per worker row in the pool's packet-counter buffer (dataplane/stats.ts PC layout). */
export const PACKET_COUNTER_SLOTS = PIPELINE_COUNTER_WORDS;

/** Counter slots of a worker row after the backend's IO_STAT_SLOTS (per-packet counts: PACKET_COUNTER_SLOTS rows). */
export const WorkerStat = {
  Batches: IO_STAT_SLOTS + 0,
  /** Wall clock (ms) of the last batch. */
  LastBatchMs: IO_STAT_SLOTS + 6,
  /** Version of the snapshot in use. */
  SnapshotVersion: IO_STAT_SLOTS + 7,
  PipelineErrors: IO_STAT_SLOTS + 8,
} as const;

/** What a worker's pipeline module gets (structured-cloneable parts come from the pool; S and P as in PoolOptions). */
export interface WorkerPipelineContext<S = SharedStateBuffers, P = SnapshotSpec> {
  workerIndex: number;
  linkType: LinkType;
  /** Whatever the pool was given as `shared` (e.g. SharedStateBuffers of the connection table). */
  shared: S;
  /** The snapshot in force when the worker starts. */
  snapshot: P;
  /**
   * This worker's packet counters (dataplane/stats.ts PC layout, PACKET_COUNTER_SLOTS long): the pipeline
   * counts every packet here once (packets, bytes, verdicts, reasons); the pool reads them.
   */
  counters: Float64Array;
}

/** The per-worker pipeline: the module at `pipelineModule` exports createWorkerPipeline(ctx). */
export interface WorkerPipeline<P = SnapshotSpec> {
  /** Decides every packet of the batch in place (verdict, rewritten bytes, mark, outIfindex, reason). */
  processBatch(batch: PacketBatch, nowMs: number): void;
  /** Installs a new snapshot (called between batches). */
  setSnapshot(snapshot: P): void;
  /** Runs timer work between batches (connection expiry without traffic); called every IDLE_TICK_MS. */
  tick?(nowMs: number): void;
  /** Releases resources (worker exit). */
  close?(): void;
}

/** How often a worker runs its pipeline's tick (expiry slices), whether or not packets arrive. */
export const IDLE_TICK_MS = 100;

/** A module that builds worker pipelines (the test seam: PoolOptions.pipelineModule names one). */
export interface WorkerPipelineModule<S = SharedStateBuffers, P = SnapshotSpec> {
  createWorkerPipeline(ctx: WorkerPipelineContext<S, P>): WorkerPipeline<P> | Promise<WorkerPipeline<P>>;
}

/** workerData of a packet worker (S and P as in PoolOptions; the worker itself sees the defaults). */
export interface WorkerInit<S = SharedStateBuffers, P = SnapshotSpec> {
  ulvsPacketWorker: true;
  workerIndex: number;
  io: IoSpec;
  /** URL of a WorkerPipelineModule to load instead of the built-in pipeline (tests); unset = pipeline.ts. */
  pipelineModule?: string;
  shared: S;
  snapshot: P;
  snapshotVersion: number;
  /** SharedArrayBuffer of Float64 rows of WORKER_STAT_SLOTS, one per worker index. */
  counters: SharedArrayBuffer;
  /** SharedArrayBuffer of Float64 rows of PACKET_COUNTER_SLOTS (stats.ts PC layout), one per worker index. */
  packets: SharedArrayBuffer;
  batchCapacity: number;
  slotSize: number;
  headroom: number;
  /** The pool's live packet sample ring (packet-sampler.ts); absent = no sampling. */
  samples?: SharedArrayBuffer;
}

/** Messages from the pool to a worker. */
export type ToWorker<P = SnapshotSpec> =
  | { type: 'snapshot'; snapshot: P; version: number }
  | { type: 'filter'; filter: Uint8Array }
  | { type: 'stop' }
  | { type: 'crash' };

/** Messages from a worker to the pool. */
export type FromWorker =
  | { type: 'ready' }
  /** `unavailable`: a fatal start error meaning AF_XDP cannot run on this host (io XskUnavailableError). */
  | { type: 'error'; message: string; fatal: boolean; unavailable?: boolean }
  | { type: 'stopped' }
  /** Next hops the pipeline dropped packets for because they have no neighbour entry (at most once a second each). */
  | { type: 'neigh-miss'; addresses: string[] };

/** Re-reports of one unresolved next hop are this far apart at least. */
const NEIGH_MISS_REPORT_MS = 1000;

/** Posts the batch's unresolved next hops to the pool (allocates only when there are any, rate-limited per address). */
function reportMisses(m: NeighbourMisses, format: (w: ArrayLike<number>, f: 4 | 6) => string, last: Map<string, number>, nowMs: number): void {
  const out: string[] = [];
  for (let s = 0; s < m.count; s++) {
    const a = format(m.words.subarray(s * 4, s * 4 + 4), m.v6[s] ? 6 : 4);
    if ((last.get(a) ?? -Infinity) + NEIGH_MISS_REPORT_MS > nowMs) continue;
    if (last.size > 4096) last.clear();
    last.set(a, nowMs);
    out.push(a);
  }
  m.clear();
  if (out.length) parentPort?.postMessage({ type: 'neigh-miss', addresses: out } satisfies FromWorker);
}

/**
 * Builds the batch handler: the pipeline (which counts each packet), then the batch counters. A batch
 * the pipeline throws on is dropped whole and counted in PipelineErrors (pipeline.ts itself never throws).
 */
export function makeBatchHandler(pipeline: WorkerPipeline, row: Float64Array, sampler?: PacketSampler): (b: PacketBatch) => void {
  return (b: PacketBatch): void => {
    const now = Date.now();
    // Live packet sampling (packet-sampler.ts): one shared read per batch when off.
    const sample = sampler !== undefined && sampler.armed(now, b);
    if (sample) sampler.before(b, now);
    try {
      pipeline.processBatch(b, now);
      if (sample) sampler.after(b);
    } catch (e) {
      // A pipeline bug must not take down the queue: drop this batch, count it, keep going.
      row[WorkerStat.PipelineErrors]++;
      for (let i = 0; i < b.count; i++) b.verdict[i] = Verdict.Drop;
      if (row[WorkerStat.PipelineErrors] === 1)
        parentPort?.postMessage({ type: 'error', message: `pipeline error: ${(e as Error).stack ?? e}`, fatal: false } satisfies FromWorker);
    }
    row[WorkerStat.Batches]++;
    row[WorkerStat.LastBatchMs] = now;
  };
}

/** Thread index a packet worker uses in the shared state (the main thread is 0, worker i is i + 1). */
export function stateIndexOfWorker(workerIndex: number): number {
  return workerIndex + 1;
}

/**
 * The built-in pipeline: attaches the shared state (SharedStateBuffers in ctx.shared), loads each
 * SnapshotSpec and runs pipeline.ts's processBatch(batch, snapshot, state, nowMs), counting into ctx.counters.
 */
export function createWorkerPipeline(ctx: WorkerPipelineContext): WorkerPipeline {
  const reported = new Map<string, number>();
  const state = attachSharedState(ctx.shared, stateIndexOfWorker(ctx.workerIndex));
  countInto(state, ctx.counters);
  let snap = loadSnapshot(ctx.snapshot, state);
  state.core.setConfig(snap.core);
  const misses = neighbourMisses(state);
  return {
    processBatch(b: PacketBatch, nowMs: number): void {
      processBatch(b, snap, state, nowMs);
      if (misses.count > 0) reportMisses(misses, formatIpWords, reported, nowMs);
    },
    setSnapshot(spec: SnapshotSpec): void {
      snap = loadSnapshot(spec, state, snap);
      state.core.setConfig(snap.core);
    },
    tick(nowMs: number): void {
      // A slice of the table per tick, so a full pass takes at most ~5 s (50 ticks) however large it is:
      // a SYN flood's entries leave at their timeout and ActiveConn/InActConn fall with no traffic.
      sweepIdle(state, nowMs, Math.max(4096, Math.ceil(state.conns.highWater() / 50)));
    },
  };
}

/** The pipeline module a worker runs: the built-in one, or the module `url` names (PoolOptions.pipelineModule, for tests). */
async function pipelineModule(url: string | undefined): Promise<WorkerPipelineModule> {
  if (url === undefined) return { createWorkerPipeline };
  const mod = (await import(url)) as Partial<WorkerPipelineModule>;
  if (typeof mod.createWorkerPipeline !== 'function') throw new Error(`${url} does not export createWorkerPipeline`);
  return mod as WorkerPipelineModule;
}

async function workerMain(init: WorkerInit, port: MessagePort): Promise<void> {
  const row = new Float64Array(init.counters, init.workerIndex * WORKER_STAT_SLOTS * 8, WORKER_STAT_SLOTS);
  const packets = new Float64Array(init.packets, init.workerIndex * PACKET_COUNTER_SLOTS * 8, PACKET_COUNTER_SLOTS);
  const linkType = init.io.kind === 'nfqueue' ? LinkType.Ip : init.io.kind === 'memory' ? init.io.linkType : LinkType.Ether;
  let io: PacketIo | undefined;
  let pipeline: WorkerPipeline | undefined;
  try {
    const mod = await pipelineModule(init.pipelineModule);
    pipeline = await mod.createWorkerPipeline({ workerIndex: init.workerIndex, linkType, shared: init.shared, snapshot: init.snapshot, counters: packets });
    row[WorkerStat.SnapshotVersion] = init.snapshotVersion;
    const batch = createBatch(linkType, init.batchCapacity, init.slotSize, init.headroom);
    io = openIo(init.io, batch, row.subarray(0, IO_STAT_SLOTS));
    io.start(makeBatchHandler(pipeline, row, init.samples ? new PacketSampler(init.samples) : undefined));
  } catch (e) {
    io?.close();
    port.postMessage({ type: 'error', message: (e as Error).message, fatal: true, unavailable: e instanceof XskUnavailableError } satisfies FromWorker);
    return;
  }
  const ringTimer =
    io.kind === 'afpacket' || io.kind === 'afxdp' ? setInterval(() => (io as { pollRingDrops?: () => void }).pollRingDrops?.(), 1000) : undefined;
  ringTimer?.unref();
  const tickTimer = pipeline.tick
    ? setInterval(() => {
        try {
          pipeline!.tick!(Date.now());
        } catch (e) {
          row[WorkerStat.PipelineErrors]++;
          if (row[WorkerStat.PipelineErrors] === 1)
            port.postMessage({ type: 'error', message: `pipeline tick error: ${(e as Error).stack ?? e}`, fatal: false } satisfies FromWorker);
        }
      }, IDLE_TICK_MS)
    : undefined;
  tickTimer?.unref();
  port.on('message', (m: ToWorker) => {
    if (m.type === 'snapshot') {
      pipeline!.setSnapshot(m.snapshot);
      row[WorkerStat.SnapshotVersion] = m.version;
    } else if (m.type === 'filter') {
      try {
        (io as { setFilter?: (f: Uint8Array) => void }).setFilter?.(m.filter);
      } catch (e) {
        port.postMessage({ type: 'error', message: (e as Error).message, fatal: false } satisfies FromWorker);
      }
    } else if (m.type === 'crash') {
      // Test hook: an uncaught error, as a bug would raise.
      setImmediate(() => {
        throw new Error(`worker ${init.workerIndex} crashed on request`);
      });
    } else if (m.type === 'stop') {
      if (ringTimer) clearInterval(ringTimer);
      if (tickTimer) clearInterval(tickTimer);
      io!.close();
      pipeline!.close?.();
      port.postMessage({ type: 'stopped' } satisfies FromWorker);
      port.removeAllListeners('message');
    }
  });
  port.postMessage({ type: 'ready' } satisfies FromWorker);
}

if (!isMainThread && parentPort && (workerData as Partial<WorkerInit> | undefined)?.ulvsPacketWorker) {
  void workerMain(workerData as WorkerInit, parentPort);
}
