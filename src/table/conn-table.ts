/**
 * The shared connection table: records in one SharedArrayBuffer, three chained hash tables over them
 * (connections by client-side "in" tuple, NAT connections by real-server-side "out" tuple, and
 * persistence templates); the free list and live counts are conn-alloc.ts, the bucket spin lock spin-lock.ts.
 *
 * Concurrency (several worker threads on the same buffers):
 * - Every chain head word carries a spin lock in bit 31. Chains are walked and changed only with their
 *   head locked; a lock is held for one packet's lookup/update, never across a batch.
 * - Lock order: conn lock -> template lock -> out lock; at most one of each per thread. A path that
 *   holds an out lock never waits for a conn or template lock (NAT replies find the record under the
 *   out lock, note its generation, unlock, then lock the conn bucket and re-check the generation).
 * - Atomics.compareExchange (acquire) and Atomics.store (release) order the plain accesses made under
 *   a lock, so records are never read torn.
 * This file is the mechanism only; IPVS semantics live in ipvs-core.ts.
 */
import type { ConnKey } from './conn-key.js';
import { E_CADDR, E_DADDR, E_DEST, E_META, E_NEXT_IN, E_NEXT_OUT, E_PORTS, E_VADDR, ENTRY_WORDS, HEAD_MASK, Hdr, TABLE_MAGIC, ConnFlag } from './layout.js';
import { adviseHugePages } from './huge-pages.js';
import { ConnAllocator, LIVE_STRIDE } from './conn-alloc.js';
import { lockWord } from './spin-lock.js';

/** The SharedArrayBuffers of a connection table (structured-cloneable to worker threads). */
export interface ConnTableBuffers {
  header: SharedArrayBuffer;
  entries: SharedArrayBuffer;
  connHeads: SharedArrayBuffer;
  outHeads: SharedArrayBuffer;
  tmplHeads: SharedArrayBuffer;
  live: SharedArrayBuffer;
}

/** Sizing of a new connection table. */
export interface ConnTableOptions {
  maxConns: number;
  maxWorkers: number;
  /** Hash seed (random by default); tests fix it. */
  seed?: number;
}

function pow2AtLeast(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Allocates the buffers of a table for `maxConns` records (memory is touched only as records are used). */
export function createConnTableBuffers(o: ConnTableOptions): ConnTableBuffers {
  const maxConns = Math.max(16, Math.floor(o.maxConns));
  const connBuckets = pow2AtLeast(maxConns);
  const tmplBuckets = pow2AtLeast(Math.max(16, maxConns >>> 2));
  const header = new SharedArrayBuffer(Hdr.Words * 4);
  const h = new Int32Array(header);
  h[Hdr.Magic] = TABLE_MAGIC;
  h[Hdr.MaxConns] = maxConns;
  h[Hdr.ConnMask] = connBuckets - 1;
  h[Hdr.TmplMask] = tmplBuckets - 1;
  h[Hdr.Seed] = o.seed ?? (Math.random() * 0x100000000) | 0;
  h[Hdr.MaxWorkers] = o.maxWorkers;
  const b: ConnTableBuffers = {
    header,
    entries: new SharedArrayBuffer(maxConns * ENTRY_WORDS * 4),
    connHeads: new SharedArrayBuffer(connBuckets * 4),
    outHeads: new SharedArrayBuffer(connBuckets * 4),
    tmplHeads: new SharedArrayBuffer(tmplBuckets * 4),
    live: new SharedArrayBuffer(Math.max(1, o.maxWorkers) * LIVE_STRIDE * 4),
  };
  // Random lookups over a large table: one TLB entry per 2 MiB, not per 4 KiB (still committed on first touch).
  adviseHugePages([b.entries, b.connHeads, b.outHeads, b.tmplHeads]);
  return b;
}

/** Bytes of shared memory a table of `maxConns` records reserves (records + the three bucket arrays). */
export function connTableBytes(maxConns: number): number {
  const b = pow2AtLeast(maxConns);
  return maxConns * ENTRY_WORDS * 4 + 2 * b * 4 + pow2AtLeast(Math.max(16, maxConns >>> 2)) * 4;
}

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x9e3779b1);
  return (h << 13) | (h >>> 19);
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** One thread's handle on a shared connection table (each worker attaches its own). */
export class ConnTable {
  /** All records. */
  readonly e: Int32Array;
  readonly header: Int32Array;
  readonly connHeads: Int32Array;
  readonly outHeads: Int32Array;
  readonly tmplHeads: Int32Array;
  readonly live: Int32Array;
  readonly maxConns: number;
  private readonly connMask: number;
  private readonly tmplMask: number;
  private readonly seed: number;
  private readonly records: ConnAllocator;

  constructor(
    readonly buffers: ConnTableBuffers,
    readonly workerIndex: number,
  ) {
    this.header = new Int32Array(buffers.header);
    if (this.header[Hdr.Magic] !== TABLE_MAGIC) throw new Error('not a ulvs connection table buffer');
    this.e = new Int32Array(buffers.entries);
    this.connHeads = new Int32Array(buffers.connHeads);
    this.outHeads = new Int32Array(buffers.outHeads);
    this.tmplHeads = new Int32Array(buffers.tmplHeads);
    this.live = new Int32Array(buffers.live);
    this.maxConns = this.header[Hdr.MaxConns]!;
    this.connMask = this.header[Hdr.ConnMask]!;
    this.tmplMask = this.header[Hdr.TmplMask]!;
    this.seed = this.header[Hdr.Seed]!;
    this.records = new ConnAllocator(this.header, this.e, this.live, this.maxConns, workerIndex);
  }

  // ---------------------------------------------------------------- hashing

  /** Bucket of the client-side tuple <proto, caddr, cport, vaddr, vport> in `table` (conn or template). */
  private hashIn(k: ConnKey, mask: number): number {
    const w = k.words;
    let h = mix(this.seed ^ k.proto, w[0]!);
    h = mix(h, w[4]!);
    if (k.v6) {
      h = mix(mix(mix(h, w[1]!), w[2]!), w[3]!);
      h = mix(mix(mix(h, w[5]!), w[6]!), w[7]!);
    }
    h = mix(h, k.cport | (k.vport << 16));
    return fmix(h) & mask;
  }

  /** Bucket of `k` in the connection hash. */
  connBucket(k: ConnKey): number {
    return this.hashIn(k, this.connMask);
  }

  /**
   * Bucket of the IPv4 in-tuple <proto, caddr:cport, vaddr:vport> in the connection hash: connBucket of
   * that key, without a ConnKey (the batch prefetch hashes straight from the frame).
   */
  connBucket4(proto: number, caddr: number, vaddr: number, ports: number): number {
    let h = mix(this.seed ^ proto, caddr);
    h = mix(h, vaddr);
    h = mix(h, ports);
    return fmix(h) & this.connMask;
  }

  /**
   * Brings connection buckets `buckets[0..n)` (-1 = skip) and the first record of each non-empty chain
   * into the cache, without locking: first every head, then every record, so each pass is a run of
   * independent loads whose misses overlap, instead of two dependent misses inside each lookup. Plain
   * loads only (a torn or stale head just touches the wrong line); returns a value folded from them so
   * the compiler keeps them.
   */
  touchConnBuckets(buckets: Int32Array, n: number): number {
    const heads = this.connHeads;
    const e = this.e;
    let acc = 0;
    for (let i = 0; i < n; i++) {
      const b = buckets[i]!;
      if (b >= 0) acc ^= heads[b]!;
    }
    for (let i = 0; i < n; i++) {
      const b = buckets[i]!;
      if (b < 0) continue;
      const h = heads[b]! & HEAD_MASK;
      if (h === 0) continue;
      // A 96 B record spans two cache lines: PORTS is in the first, VADDR in the second, and together
      // they hold every word a hit reads (the key compare, NEXT_IN, EXPIRES, DEST, SVC, TIMEOUT, INPKTS).
      const o = (h - 1) * ENTRY_WORDS;
      acc ^= e[o + E_PORTS]! ^ e[o + E_VADDR]!;
    }
    return acc;
  }

  /** Bucket of `k` in the template hash. */
  tmplBucket(k: ConnKey): number {
    return this.hashIn(k, this.tmplMask);
  }

  /** Bucket of the reply tuple <proto, daddr, dport, caddr, cport> in the out hash. */
  outBucket(k: ConnKey): number {
    const w = k.words;
    let h = mix(this.seed ^ (k.proto + 0x5bd1e995), w[8]!);
    h = mix(h, w[0]!);
    if (k.v6) {
      h = mix(mix(mix(h, w[9]!), w[10]!), w[11]!);
      h = mix(mix(mix(h, w[1]!), w[2]!), w[3]!);
    }
    h = mix(h, k.dport | (k.cport << 16));
    return fmix(h) & this.connMask;
  }

  /** Loads record `i`'s key into `k` (proto, family, addresses, ports). */
  loadKey(i: number, k: ConnKey): void {
    const e = this.e;
    const o = i * ENTRY_WORDS;
    const meta = e[o + E_META]!;
    k.proto = meta & 0xff;
    k.v6 = ((meta >>> 16) & ConnFlag.Inet6) !== 0;
    k.cport = e[o + E_PORTS]! & 0xffff;
    k.vport = e[o + E_PORTS]! >>> 16;
    k.dport = e[o + E_DEST]! & 0xffff;
    const w = k.words;
    for (let j = 0; j < 4; j++) {
      w[j] = e[o + E_CADDR + j]!;
      w[4 + j] = e[o + E_VADDR + j]!;
      w[8 + j] = e[o + E_DADDR + j]!;
    }
  }

  // ---------------------------------------------------------------- bucket locks

  /** Locks connection bucket `b`; returns its head (index+1, 0 = empty). */
  lockConn(b: number): number {
    return lockWord(this.connHeads, b);
  }

  /** Unlocks connection bucket `b`, publishing `head` as its chain head. */
  unlockConn(b: number, head: number): void {
    Atomics.store(this.connHeads, b, head);
  }

  /** Locks template bucket `b`; returns its head. */
  lockTmpl(b: number): number {
    return lockWord(this.tmplHeads, b);
  }

  /** Unlocks template bucket `b` with chain head `head`. */
  unlockTmpl(b: number, head: number): void {
    Atomics.store(this.tmplHeads, b, head);
  }

  /** Locks out bucket `b`; returns its head. */
  lockOut(b: number): number {
    return lockWord(this.outHeads, b);
  }

  /** Unlocks out bucket `b` with chain head `head`. */
  unlockOut(b: number, head: number): void {
    Atomics.store(this.outHeads, b, head);
  }

  // ---------------------------------------------------------------- chain walks (bucket locked)

  /** Finds the record with `k`'s in-tuple in the chain starting at `head` (conn or template chain); -1 if none. */
  findIn(head: number, k: ConnKey): number {
    const e = this.e;
    const w = k.words;
    const ports = k.cport | (k.vport << 16);
    const c0 = w[0]!;
    const v0 = w[4]!;
    const want = k.proto | (k.v6 ? ConnFlag.Inet6 << 16 : 0);
    let i = head;
    while (i !== 0) {
      const o = (i - 1) * ENTRY_WORDS;
      if (
        e[o + E_PORTS] === ports &&
        e[o + E_CADDR] === c0 &&
        e[o + E_VADDR] === v0 &&
        (e[o + E_META]! & (0xff | (ConnFlag.Inet6 << 16))) === want &&
        (!k.v6 ||
          (e[o + E_CADDR + 1] === w[1] &&
            e[o + E_CADDR + 2] === w[2] &&
            e[o + E_CADDR + 3] === w[3] &&
            e[o + E_VADDR + 1] === w[5] &&
            e[o + E_VADDR + 2] === w[6] &&
            e[o + E_VADDR + 3] === w[7]))
      ) {
        return i - 1;
      }
      i = e[o + E_NEXT_IN]!;
    }
    return -1;
  }

  /** Finds the NAT record whose reply tuple is <proto, daddr:dport -> caddr:cport> of `k`; -1 if none. */
  findOut(head: number, k: ConnKey): number {
    const e = this.e;
    const w = k.words;
    const want = k.proto | (k.v6 ? ConnFlag.Inet6 << 16 : 0);
    let i = head;
    while (i !== 0) {
      const o = (i - 1) * ENTRY_WORDS;
      if (
        (e[o + E_DEST]! & 0xffff) === k.dport &&
        (e[o + E_PORTS]! & 0xffff) === k.cport &&
        e[o + E_DADDR] === w[8] &&
        e[o + E_CADDR] === w[0] &&
        (e[o + E_META]! & (0xff | (ConnFlag.Inet6 << 16))) === want &&
        (!k.v6 ||
          (e[o + E_DADDR + 1] === w[9] &&
            e[o + E_DADDR + 2] === w[10] &&
            e[o + E_DADDR + 3] === w[11] &&
            e[o + E_CADDR + 1] === w[1] &&
            e[o + E_CADDR + 2] === w[2] &&
            e[o + E_CADDR + 3] === w[3]))
      ) {
        return i - 1;
      }
      i = e[o + E_NEXT_OUT]!;
    }
    return -1;
  }

  /** Removes record `idx` from the in/template chain starting at `head`; returns the new head. */
  unlinkIn(head: number, idx: number): number {
    const e = this.e;
    const target = idx + 1;
    if (head === target) return e[idx * ENTRY_WORDS + E_NEXT_IN]!;
    let i = head;
    while (i !== 0) {
      const o = (i - 1) * ENTRY_WORDS;
      const n = e[o + E_NEXT_IN]!;
      if (n === target) {
        e[o + E_NEXT_IN] = e[idx * ENTRY_WORDS + E_NEXT_IN]!;
        return head;
      }
      i = n;
    }
    return head;
  }

  /** Removes record `idx` from the out chain starting at `head`; returns the new head. */
  unlinkOut(head: number, idx: number): number {
    const e = this.e;
    const target = idx + 1;
    if (head === target) return e[idx * ENTRY_WORDS + E_NEXT_OUT]!;
    let i = head;
    while (i !== 0) {
      const o = (i - 1) * ENTRY_WORDS;
      const n = e[o + E_NEXT_OUT]!;
      if (n === target) {
        e[o + E_NEXT_OUT] = e[idx * ENTRY_WORDS + E_NEXT_OUT]!;
        return head;
      }
      i = n;
    }
    return head;
  }

  // ---------------------------------------------------------------- allocation (conn-alloc.ts)

  /** Takes a free record (generation bumped, META = InUse) or returns -1 when the table is full. */
  alloc(): number {
    return this.records.alloc();
  }

  /** Returns record `i` (already unlinked from every chain) to the free pool. */
  free(i: number): void {
    this.records.free(i);
  }

  /** Connections + templates currently allocated (sum over workers; exact when no worker is mid-update). */
  liveCount(): number {
    return this.records.liveCount();
  }

  /** Records handed out at least once: the sweep range. */
  highWater(): number {
    return this.records.highWater();
  }

  /** Claims `n` consecutive record indexes for a sweep step (shared cursor, wraps at the high-water mark). */
  claimSweep(n: number): number {
    return this.records.claimSweep(n);
  }
}
