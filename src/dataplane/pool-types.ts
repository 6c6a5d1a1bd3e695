/**
 * The types of the worker pool's interface (dataplane/pool.ts): its start options, lifecycle events and
 * the counters it reads from the workers' shared memory.
 */
import type { LinkType } from '../core/batch.js';
import type { IoKind } from '../io/types.js';
import type { XskRedirectSpec } from '../io/xsk-program.js';
import type { SharedStateBuffers } from '../table/shared-state.js';
import type { SnapshotSpec } from './snapshot-types.js';

/**
 * Options of DataplanePool.start(). `S` is what every worker's pipeline shares (the connection table's
 * SharedStateBuffers) and `P` the snapshot it runs (a compiled SnapshotSpec); a test pipeline module
 * (pipelineModule) may use other types.
 */
export interface PoolOptions<S = SharedStateBuffers, P = SnapshotSpec> {
  /** Packet I/O backend. */
  backend: IoKind;
  /** Number of workers (default: one per core). */
  workers?: number;
  /** AF_PACKET: interfaces to receive on. */
  interfaces?: string[];
  /** AF_PACKET: BPF filter program (io/bpf.ts buildFilter). */
  filter?: Uint8Array;
  /** AF_XDP: what the XDP program redirects (io/xsk-program.ts); when AF_XDP cannot start, the pool runs afpacket with `filter`. */
  xsk?: XskRedirectSpec;
  /** AF_XDP: interrupt moderation in µs (io AfxdpSpec.coalesceUs; default 250, afxdp-start.ts AFXDP_COALESCE_US_DEFAULT; 0 = off). */
  xskCoalesceUs?: number;
  /** AF_PACKET: ring layout, 2 (default: no added latency) or 3 (block batching, up to 1 ms wait). */
  afpRing?: 2 | 3;
  /** NFQUEUE: first queue number; worker i owns queue queueBase + i (iptables --queue-balance). */
  queueBase?: number;
  /** NFQUEUE: kernel queue length (default 4096). */
  queueMaxLen?: number;
  /** NFQUEUE: accept (rather than drop) when the queue is full (default false: a VIP packet the kernel kept would be answered with a RST). */
  failOpen?: boolean;
  /** Memory backend: link type of the frames (default Ether). */
  memoryLinkType?: LinkType;
  /** Passed to every worker's pipeline (e.g. the connection table's SharedStateBuffers). */
  shared: S;
  /** The first snapshot. */
  snapshot: P;
  /** Test seam: URL of a WorkerPipelineModule (exports createWorkerPipeline) the workers run instead of pipeline.ts. */
  pipelineModule?: string;
  /** Packets per batch (default 256). */
  batchCapacity?: number;
  /** Bytes per batch slot (default 2048) and headroom (default 128). */
  slotSize?: number;
  headroom?: number;
  /** Restart a dead worker (default true); first delay, doubling up to 5 s. */
  restart?: boolean;
  restartDelayMs?: number;
  /** Lifecycle notes (worker started/died/restarted, pipeline errors) for the caller's log. */
  onEvent?: (e: PoolEvent) => void;
  /** Next hops workers dropped packets for (no neighbour entry): resolve them (host/neighbours.ts). */
  onNeighbourMiss?: (addresses: string[]) => void;
}

/** Something that happened to a worker. */
export interface PoolEvent {
  kind: 'ready' | 'exit' | 'restart' | 'error';
  workerIndex: number;
  message: string;
}

/** Counters of one worker (backend counters by name plus pipeline outcome counts). */
export interface WorkerCounters {
  workerIndex: number;
  alive: boolean;
  restarts: number;
  io: Record<string, number>;
  batches: number;
  packets: number;
  dropped: number;
  accepted: number;
  modified: number;
  transmitted: number;
  pipelineErrors: number;
  snapshotVersion: number;
  lastBatchMs: number;
}

/** Counters of the whole pool. */
export interface PoolCounters {
  workers: WorkerCounters[];
  totals: Omit<WorkerCounters, 'workerIndex' | 'alive' | 'lastBatchMs' | 'snapshotVersion'>;
  /** Dropped packets by drop-reason code (packet/drop-reasons.ts), over all workers. */
  dropReasons: Record<number, number>;
}
