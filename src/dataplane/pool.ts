/**
 * The worker pool: the ONE interface the control plane uses to run the data plane. It starts one
 * packet worker per NFQUEUE number / AF_PACKET fanout member (default one per core), publishes
 * snapshots to all of them, reads their counters from shared memory, restarts a worker that dies
 * (the connection table lives in SharedArrayBuffers owned by this thread, so nothing is lost) and
 * stops them.
 *
 *   const pool = await DataplanePool.start({ backend: 'afpacket', interfaces: ['eth0'], shared, snapshot });
 *   pool.publish(nextSnapshot);  pool.counters();  await pool.stop();
 *
 * Netfilter rules, routes and addresses are not the pool's job: host/director.ts sets them up.
 */
import os from 'node:os';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { LinkType, Verdict } from '../core/batch.js';
import { fanoutGroupId, ifindexOf } from '../io/afpacket.js';
import {
  IO_STAT_SLOTS,
  AFP_STAT_NAMES,
  NFQ_STAT_NAMES,
  MEM_STAT_NAMES,
  XSK_STAT_NAMES,
  IoError,
  type IoKind,
  type IoSpec,
  XskUnavailableError,
} from '../io/types.js';
import type { XskRedirectSpec } from '../io/xsk-program.js';
import { XskRedirect } from '../io/xsk-redirect.js';
import { afxdpWorkerSpec, startAfxdpOrFallback } from './afxdp-start.js';
import type { PoolCounters, PoolEvent, PoolOptions, WorkerCounters } from './pool-types.js';
import { createSampleBuffer, readSamples, sampleRate, setSampleRate, type PacketSample } from './packet-sampler.js';
import { PACKET_COUNTER_SLOTS, WORKER_STAT_SLOTS, WorkerStat, type FromWorker, type ToWorker, type WorkerInit } from './worker.js';
import { PC, totalsOf } from './stats.js';
import type { SharedStateBuffers } from '../table/shared-state.js';
import type { SnapshotSpec } from './snapshot-types.js';

export type { PoolCounters, PoolEvent, PoolOptions, WorkerCounters } from './pool-types.js';

interface Slot {
  index: number;
  worker?: Worker;
  alive: boolean;
  restarts: number;
  delayMs: number;
  stopping: boolean;
  /** Memory backend: the pool's end of the frame channel. */
  memoryPort?: MessagePort;
}

/** One line of the CPU count: cores this process may use. */
export function defaultWorkerCount(): number {
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

function workerUrl(): URL {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./worker${ext}`, import.meta.url);
}

/** Resolves true as soon as `done()` holds (checked every `everyMs`), false after `timeoutMs`. */
async function pollUntil(done: () => boolean, timeoutMs: number, everyMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (done()) return true;
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The running data plane. */
export class DataplanePool<S = SharedStateBuffers, P = SnapshotSpec> {
  private readonly slots: Slot[] = [];
  private readonly counterBuf: SharedArrayBuffer;
  /** Per-packet counters, one PACKET_COUNTER_SLOTS row per worker (stats.ts PC layout; the pipeline writes them). */
  private readonly packetBuf: SharedArrayBuffer;
  private snapshot: P;
  private version = 1;
  private stopped = false;
  private readonly statNames: readonly string[];
  /** AF_PACKET: the BPF filter the rings use now (PoolOptions.filter, then setFilter). */
  private filter: Uint8Array | undefined;
  /** AF_XDP: the interfaces' XSKMAPs and redirect programs. */
  private redirect?: XskRedirect;
  /** Live packet samples the workers write when a rate is set (packet-sampler.ts; off by default). */
  private readonly sampleBuf = createSampleBuffer();

  private constructor(
    private readonly o: Required<Pick<PoolOptions<S, P>, 'backend' | 'workers' | 'batchCapacity' | 'slotSize' | 'headroom' | 'restart' | 'restartDelayMs'>> &
      PoolOptions<S, P>,
  ) {
    this.counterBuf = new SharedArrayBuffer(o.workers * WORKER_STAT_SLOTS * 8);
    this.packetBuf = new SharedArrayBuffer(o.workers * PACKET_COUNTER_SLOTS * 8);
    this.snapshot = o.snapshot;
    this.filter = o.filter;
    this.statNames =
      o.backend === 'nfqueue' ? NFQ_STAT_NAMES : o.backend === 'afpacket' ? AFP_STAT_NAMES : o.backend === 'afxdp' ? XSK_STAT_NAMES : MEM_STAT_NAMES;
  }

  /** The backend running (afpacket when afxdp was asked for and AF_XDP could not start). */
  get backend(): IoKind {
    return this.o.backend;
  }

  /** Starts the workers; resolves when every one has opened its backend, or rejects with the first one's error sentence. */
  static async start<S = SharedStateBuffers, P = SnapshotSpec>(opts: PoolOptions<S, P>): Promise<DataplanePool<S, P>> {
    if (opts.backend !== 'afxdp') return DataplanePool.startOne(opts);
    return startAfxdpOrFallback(
      (backend) => DataplanePool.startOne({ ...opts, backend }),
      (message) => opts.onEvent?.({ kind: 'error', workerIndex: -1, message }),
    );
  }

  private static async startOne<S, P>(opts: PoolOptions<S, P>): Promise<DataplanePool<S, P>> {
    const workers = opts.workers ?? defaultWorkerCount();
    if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new IoError(`--workers must be 1..64, got ${workers}`);
    if ((opts.backend === 'afpacket' || opts.backend === 'afxdp') && !opts.interfaces?.length)
      throw new IoError(`the ${opts.backend} backend needs at least one interface (--iface)`);
    const pool = new DataplanePool<S, P>({
      ...opts,
      workers,
      batchCapacity: opts.batchCapacity ?? 256,
      slotSize: opts.slotSize ?? 2048,
      headroom: opts.headroom ?? 128,
      restart: opts.restart ?? true,
      restartDelayMs: opts.restartDelayMs ?? 100,
    });
    try {
      if (opts.backend === 'afxdp') pool.redirect = XskRedirect.attach(opts.interfaces!, opts.xsk ?? { services: [], natReplies: [], local: [] });
      await Promise.all(Array.from({ length: workers }, (_, i) => pool.spawn(i)));
    } catch (e) {
      await pool.stop();
      throw e;
    }
    return pool;
  }

  /** Number of workers. */
  get size(): number {
    return this.slots.length;
  }

  /** Sends a new snapshot to every worker; each installs it between two batches. Returns its version. */
  publish(snapshot: P): number {
    this.snapshot = snapshot;
    this.version++;
    for (const s of this.slots) if (s.alive) s.worker?.postMessage({ type: 'snapshot', snapshot, version: this.version } satisfies ToWorker<P>);
    return this.version;
  }

  /** Samples up to `rate` live packets a second per worker from now on (0 = off, the default). */
  setSampleRate(rate: number): void {
    setSampleRate(this.sampleBuf, rate);
  }

  /** The sampling rate in force and the newest samples, oldest first. */
  samples(): { rate: number; samples: PacketSample[] } {
    return { rate: sampleRate(this.sampleBuf), samples: readSamples(this.sampleBuf) };
  }

  /**
   * AF_PACKET: replaces every worker's BPF filter in place (a new VIP set keeps the rings, the fanout
   * group and every packet in flight); a worker started later opens its ring with this filter.
   */
  setFilter(filter: Uint8Array): void {
    this.filter = filter;
    for (const s of this.slots) if (s.alive) s.worker?.postMessage({ type: 'filter', filter } satisfies ToWorker<P>);
  }

  /** AF_XDP: swaps every interface's XDP program for one that redirects `spec` (sockets and frames in flight stay). */
  setXsk(spec: XskRedirectSpec): void {
    this.redirect?.update(spec);
  }

  /** Reads every worker's counters (no messages: shared memory). */
  counters(): PoolCounters {
    const all = new Float64Array(this.counterBuf);
    const pk = new Float64Array(this.packetBuf);
    const dropReasons: Record<number, number> = {};
    const workers: WorkerCounters[] = this.slots.map((s) => {
      const r = all.subarray(s.index * WORKER_STAT_SLOTS, (s.index + 1) * WORKER_STAT_SLOTS);
      const p = pk.subarray(s.index * PACKET_COUNTER_SLOTS, (s.index + 1) * PACKET_COUNTER_SLOTS);
      for (const [code, n] of Object.entries(totalsOf(p).dropReasons)) dropReasons[Number(code)] = (dropReasons[Number(code)] ?? 0) + n;
      const io: Record<string, number> = {};
      this.statNames.forEach((n, k) => {
        if (k < IO_STAT_SLOTS) io[n] = r[k];
      });
      return {
        workerIndex: s.index,
        alive: s.alive,
        restarts: s.restarts,
        io,
        batches: r[WorkerStat.Batches],
        packets: p[PC.Packets],
        dropped: p[PC.Verdict0 + Verdict.Drop],
        accepted: p[PC.Verdict0 + Verdict.Accept],
        modified: p[PC.Verdict0 + Verdict.AcceptModified],
        transmitted: p[PC.Verdict0 + Verdict.Transmit],
        pipelineErrors: r[WorkerStat.PipelineErrors],
        snapshotVersion: r[WorkerStat.SnapshotVersion],
        lastBatchMs: r[WorkerStat.LastBatchMs],
      };
    });
    const totals = {
      restarts: 0,
      io: {} as Record<string, number>,
      batches: 0,
      packets: 0,
      dropped: 0,
      accepted: 0,
      modified: 0,
      transmitted: 0,
      pipelineErrors: 0,
    };
    for (const w of workers) {
      totals.restarts += w.restarts;
      totals.batches += w.batches;
      totals.packets += w.packets;
      totals.dropped += w.dropped;
      totals.accepted += w.accepted;
      totals.modified += w.modified;
      totals.transmitted += w.transmitted;
      totals.pipelineErrors += w.pipelineErrors;
      for (const [k, v] of Object.entries(w.io)) totals.io[k] = (totals.io[k] ?? 0) + v;
    }
    return { workers, totals, dropReasons };
  }

  /** The pool's end of worker i's frame channel (memory backend only): post MemoryMessage frames, receive results. */
  memoryPort(i: number): MessagePort | undefined {
    return this.slots[i]?.memoryPort;
  }

  /** Makes worker i crash (an uncaught error inside it), for supervisor tests and drills. */
  crashWorker(i: number): void {
    this.slots[i]?.worker?.postMessage({ type: 'crash' } satisfies ToWorker<P>);
  }

  /**
   * Resolves true when every live worker runs snapshot `version` or a later one (a worker that is
   * restarting gets the current snapshot when it comes up), false after `timeoutMs`.
   */
  whenApplied(version: number, timeoutMs = 2000): Promise<boolean> {
    const all = new Float64Array(this.counterBuf);
    return pollUntil(
      () => this.stopped || this.slots.every((s) => !s.alive || all[s.index * WORKER_STAT_SLOTS + WorkerStat.SnapshotVersion]! >= version),
      timeoutMs,
      2,
    );
  }

  /** Resolves when worker i is alive again with at least `restarts` restarts (supervisor tests). */
  waitAlive(i: number, restarts: number, timeoutMs = 10000): Promise<boolean> {
    return pollUntil(
      () => {
        const s = this.slots[i];
        return !!s && s.alive && s.restarts >= restarts;
      },
      timeoutMs,
      25,
    );
  }

  /** Stops every worker (closing queues and rings) and waits for them to exit. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(
      this.slots.map(async (s) => {
        s.stopping = true;
        const w = s.worker;
        if (!w) return;
        const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
        const stoppedMsg = new Promise<void>((resolve) => {
          if (!s.alive) return resolve();
          w.on('message', (m: FromWorker) => {
            if (m.type === 'stopped') resolve();
          });
          w.once('exit', () => resolve());
        });
        if (s.alive) w.postMessage({ type: 'stop' } satisfies ToWorker<P>);
        await Promise.race([stoppedMsg, new Promise((r) => setTimeout(r, 2000))]);
        await w.terminate();
        await exited.catch(() => {});
        s.memoryPort?.close();
      }),
    );
    this.redirect?.close();
  }

  private ioSpec(i: number, s: Slot): { spec: IoSpec; transfer: MessagePort[] } {
    const o = this.o;
    if (o.backend === 'nfqueue') {
      return { spec: { kind: 'nfqueue', queue: (o.queueBase ?? 0) + i, maxLen: o.queueMaxLen ?? 4096, failOpen: o.failOpen ?? false }, transfer: [] };
    }
    if (o.backend === 'afpacket') {
      const ifs = o.interfaces ?? [];
      return {
        spec: {
          kind: 'afpacket',
          interfaces: ifs,
          fanoutGroups: ifs.map((n) => fanoutGroupId(process.pid, ifindexOf(n))),
          filter: this.filter,
          ...(o.afpRing === 3 ? { ringVersion: 3, blockSizeBytes: 256 * 1024, blockCount: 64 } : { ringVersion: 2, frameCount: 8192 }),
        },
        transfer: [],
      };
    }
    if (o.backend === 'afxdp') return { spec: afxdpWorkerSpec(this.redirect, o.workers, i, o.xskCoalesceUs), transfer: [] };
    const ch = new MessageChannel();
    s.memoryPort?.close();
    s.memoryPort = ch.port1;
    return { spec: { kind: 'memory', linkType: o.memoryLinkType ?? LinkType.Ether, port: ch.port2 }, transfer: [ch.port2] };
  }

  private spawn(i: number): Promise<void> {
    let s = this.slots[i];
    if (!s) {
      s = { index: i, alive: false, restarts: 0, delayMs: this.o.restartDelayMs, stopping: false };
      this.slots[i] = s;
    }
    const slot = s;
    const { spec, transfer } = this.ioSpec(i, slot);
    const init: WorkerInit<S, P> = {
      ulvsPacketWorker: true,
      workerIndex: i,
      io: spec,
      pipelineModule: this.o.pipelineModule,
      shared: this.o.shared,
      snapshot: this.snapshot,
      snapshotVersion: this.version,
      counters: this.counterBuf,
      packets: this.packetBuf,
      batchCapacity: this.o.batchCapacity,
      slotSize: this.o.slotSize,
      headroom: this.o.headroom,
      samples: this.sampleBuf,
    };
    const w = new Worker(workerUrl(), { workerData: init, transferList: transfer as never[] });
    slot.worker = w;
    return new Promise((resolve, reject) => {
      let settled = false;
      const emit = (kind: PoolEvent['kind'], message: string): void => this.o.onEvent?.({ kind, workerIndex: i, message });
      w.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          slot.alive = true;
          // A snapshot published while this worker was starting: send the current one.
          if (init.snapshotVersion !== this.version) w.postMessage({ type: 'snapshot', snapshot: this.snapshot, version: this.version } satisfies ToWorker<P>);
          // Likewise a filter set while it was opening its ring with the previous one.
          if (spec.kind === 'afpacket' && this.filter && spec.filter !== this.filter)
            w.postMessage({ type: 'filter', filter: this.filter } satisfies ToWorker<P>);
          slot.delayMs = this.o.restartDelayMs;
          emit('ready', `worker ${i} ready`);
          if (!settled) {
            settled = true;
            resolve();
          }
        } else if (m.type === 'neigh-miss') {
          this.o.onNeighbourMiss?.(m.addresses);
        } else if (m.type === 'error') {
          emit('error', `worker ${i}: ${m.message}`);
          if (m.fatal && !settled) {
            settled = true;
            reject(m.unavailable ? new XskUnavailableError(m.message) : new Error(m.message));
          }
        }
      });
      w.on('error', (e) => emit('error', `worker ${i} crashed: ${e.message}`));
      w.on('exit', (code) => {
        slot.alive = false;
        if (!this.stopped && !slot.stopping) emit('exit', `worker ${i} exited (code ${code})`);
        if (!settled) {
          settled = true;
          reject(new Error(`worker ${i} exited (code ${code}) before it was ready`));
          return;
        }
        if (this.stopped || slot.stopping || !this.o.restart) return;
        const delay = slot.delayMs;
        slot.delayMs = Math.min(slot.delayMs * 2, 5000);
        setTimeout(() => {
          if (this.stopped) return;
          slot.restarts++;
          emit('restart', `restarting worker ${i} (restart ${slot.restarts})`);
          this.spawn(i).catch((e) => emit('error', `worker ${i} restart failed: ${(e as Error).message}`));
        }, delay);
      });
    });
  }
}
