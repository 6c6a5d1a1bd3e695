/**
 * The data plane's shared state: connection table + dest/service stats, created once in the main
 * thread and attached by every worker. `createSharedState` returns plain SharedArrayBuffers (post
 * them to workers as is); `attachSharedState(buffers, workerIndex)` gives each thread its handle.
 *
 * Default sizing (this machine: 24 GiB RAM, 2 cores): 8 Mi connections = 96 B per record + 16 B of
 * hash buckets per record (+1 B of template buckets) ≈ 113 B/conn, ≈ 0.9 GiB reserved. Pages are
 * touched only as the table fills (the free pool hands out never-used records last-in first), so an
 * idle director costs a few MiB. Raise `maxConns` for more; each worker needs no extra memory.
 */
import { ConnTable, connTableBytes, createConnTableBuffers, type ConnTableBuffers } from './conn-table.js';
import { DestStats, createStatsBuffers, type StatsBuffers } from './dest-stats.js';
import { IpvsCore } from './ipvs-core.js';
import type { CoreConfig } from './core-types.js';
import { tcpTimeoutsMs } from './tcp-states.js';

/** Default connection bound (see the file comment for the memory it implies). */
export const DEFAULT_MAX_CONNS = 8 * 1024 * 1024;
/** Default number of dest slots (real servers over all services, incl. deleted ones still referenced). */
export const DEFAULT_MAX_DESTS = 4096;
/** Default number of virtual service slots. */
export const DEFAULT_MAX_SERVICES = 1024;
/** Default number of worker slots (each worker has one row of traffic counters). */
export const DEFAULT_MAX_WORKERS = 16;

/** Sizing of the shared state. */
export interface SharedStateOptions {
  /** Upper bound of connections + templates (default DEFAULT_MAX_CONNS). */
  maxConns?: number;
  maxDests?: number;
  maxServices?: number;
  /** Worker indexes 0..maxWorkers-1 may attach; the main thread (control plane) uses its own index too. */
  maxWorkers?: number;
  /** Fixed hash seed (tests); random by default. */
  seed?: number;
}

/** Everything a worker needs to attach; structured-cloneable (SharedArrayBuffers are shared, not copied). */
export interface SharedStateBuffers {
  conns: ConnTableBuffers;
  stats: StatsBuffers;
  /** Pipeline counters: one Float64 row of PIPELINE_COUNTER_WORDS per worker (layout: dataplane/stats.ts). */
  pipeline: SharedArrayBuffer;
  maxWorkers: number;
}

/** Float64 words per worker row of pipeline counters. */
export const PIPELINE_COUNTER_WORDS = 512;

/** Allocates the shared state (main thread, once). */
export function createSharedState(o: SharedStateOptions = {}): SharedStateBuffers {
  const maxWorkers = o.maxWorkers ?? DEFAULT_MAX_WORKERS;
  return {
    conns: createConnTableBuffers({ maxConns: o.maxConns ?? DEFAULT_MAX_CONNS, maxWorkers, seed: o.seed }),
    stats: createStatsBuffers(o.maxDests ?? DEFAULT_MAX_DESTS, o.maxServices ?? DEFAULT_MAX_SERVICES, maxWorkers),
    pipeline: new SharedArrayBuffer(maxWorkers * PIPELINE_COUNTER_WORDS * 8),
    maxWorkers,
  };
}

/** Bytes of connection-table memory reserved for `maxConns` (records + buckets). */
export function sharedStateConnBytes(maxConns: number): number {
  return connTableBytes(maxConns);
}

/** One thread's handle on the shared state. */
export interface SharedState {
  readonly buffers: SharedStateBuffers;
  readonly workerIndex: number;
  readonly conns: ConnTable;
  readonly stats: DestStats;
  /** The IPVS logic bound to this thread (its config is set from each snapshot). */
  readonly core: IpvsCore;
}

/** A config with kernel defaults and no dests, used until the first snapshot is installed. */
export function defaultCoreConfig(): CoreConfig {
  return {
    tcpTimeoutsMs: tcpTimeoutsMs(0, 0),
    udpTimeoutMs: 300_000,
    otherTimeoutMs: 300_000,
    expireNodestConn: false,
    expireQuiescentTemplate: false,
    connReuseMode: 1,
    sloppyTcp: false,
    secureTcp: 0,
    dropEntry: 1,
    dropPacket: 0,
    amDroprate: 10,
    destBySlot: [],
  };
}

/** Attaches this thread (worker `workerIndex`, unique per thread) to shared state created elsewhere. */
export function attachSharedState(buffers: SharedStateBuffers, workerIndex: number): SharedState {
  const conns = new ConnTable(buffers.conns, workerIndex);
  const stats = new DestStats(buffers.stats, buffers.maxWorkers, workerIndex);
  const core = new IpvsCore(conns, stats, defaultCoreConfig());
  return { buffers, workerIndex, conns, stats, core };
}
