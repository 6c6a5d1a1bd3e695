/**
 * The record allocator of the shared connection table: each worker hands out records from a small
 * private cache, refilled from the global free list (records freed before, locked by bit 31 of
 * Hdr.FreeHead, linked through E_NEXT_IN) and then from never-used records above the high-water mark;
 * a full cache spills its oldest half back onto the global list. Also the per-worker live counts and
 * the sweep cursor over the records handed out so far.
 */
import { E_GEN, E_META, E_NEXT_IN, ENTRY_WORDS, HEAD_MASK, Hdr } from './layout.js';
import { lockWord } from './spin-lock.js';

/**
 * Int32 words between two workers' live counts: one 64-byte cache line each, so a worker's count
 * (written on every alloc and free) never shares a line with another's (no false sharing).
 */
export const LIVE_STRIDE = 16;

/** One thread's allocator over a table's records (`e`), header and live counts. */
export class ConnAllocator {
  private readonly cache: Int32Array;
  private cacheN = 0;
  private readonly chunk: number;

  constructor(
    private readonly header: Int32Array,
    private readonly e: Int32Array,
    private readonly live: Int32Array,
    private readonly maxConns: number,
    private readonly workerIndex: number,
  ) {
    const workers = Math.max(1, header[Hdr.MaxWorkers]!);
    this.chunk = Math.max(1, Math.min(64, Math.floor(maxConns / (16 * workers))));
    this.cache = new Int32Array(this.chunk * 2);
    if (workerIndex < 0 || workerIndex * LIVE_STRIDE >= live.length) throw new RangeError(`worker index ${workerIndex} out of range`);
  }

  /** Takes a free record (generation bumped, META = InUse) or returns -1 when the table is full. */
  alloc(): number {
    if (this.cacheN === 0) this.refill();
    if (this.cacheN === 0) return -1;
    const i = this.cache[--this.cacheN]!;
    const o = i * ENTRY_WORDS;
    const e = this.e;
    e[o + E_GEN] = (e[o + E_GEN]! + 1) | 0;
    this.live[this.workerIndex * LIVE_STRIDE]!++; // single writer per worker slot; readers use Atomics.load
    return i;
  }

  /** Returns record `i` (already unlinked from every chain) to the free pool. */
  free(i: number): void {
    const o = i * ENTRY_WORDS;
    // The caller holds the record's bucket lock (or claimed it by CAS): plain writes, published by the unlock.
    this.e[o + E_META] = 0;
    this.e[o + E_GEN] = (this.e[o + E_GEN]! + 1) | 0;
    this.live[this.workerIndex * LIVE_STRIDE]!--;
    this.cache[this.cacheN++] = i;
    if (this.cacheN === this.cache.length) this.spill();
  }

  private refill(): void {
    const h = this.header;
    const e = this.e;
    // Recycled records first (keeps the touched memory compact), then never-used ones.
    if ((Atomics.load(h, Hdr.FreeHead) & HEAD_MASK) !== 0) {
      let head = lockWord(h, Hdr.FreeHead);
      while (head !== 0 && this.cacheN < this.chunk) {
        this.cache[this.cacheN++] = head - 1;
        head = e[(head - 1) * ENTRY_WORDS + E_NEXT_IN]!;
      }
      Atomics.store(h, Hdr.FreeHead, head);
      if (this.cacheN > 0) return;
    }
    for (;;) {
      const hw = Atomics.load(h, Hdr.HighWater);
      const n = Math.min(this.chunk, this.maxConns - hw);
      if (n <= 0) return;
      if (Atomics.compareExchange(h, Hdr.HighWater, hw, hw + n) === hw) {
        for (let j = n - 1; j >= 0; j--) this.cache[this.cacheN++] = hw + j;
        return;
      }
    }
  }

  private spill(): void {
    const e = this.e;
    const n = this.chunk;
    // Chain the oldest `n` cached records, then splice the chain onto the global list.
    for (let j = 0; j < n - 1; j++) e[this.cache[j]! * ENTRY_WORDS + E_NEXT_IN] = this.cache[j + 1]! + 1;
    const h = this.header;
    const head = lockWord(h, Hdr.FreeHead);
    e[this.cache[n - 1]! * ENTRY_WORDS + E_NEXT_IN] = head;
    Atomics.store(h, Hdr.FreeHead, this.cache[0]! + 1);
    this.cache.copyWithin(0, n, this.cacheN);
    this.cacheN -= n;
  }

  /** Connections + templates currently allocated (sum over workers; exact when no worker is mid-update). */
  liveCount(): number {
    let s = 0;
    for (let w = 0; w < this.live.length; w += LIVE_STRIDE) s += Atomics.load(this.live, w);
    return s;
  }

  /** Records handed out at least once: the sweep range. */
  highWater(): number {
    return Atomics.load(this.header, Hdr.HighWater);
  }

  /** Claims `n` consecutive record indexes for a sweep step (shared cursor, wraps at the high-water mark). */
  claimSweep(n: number): number {
    const hw = this.highWater();
    if (hw === 0) return 0;
    return (Atomics.add(this.header, Hdr.SweepCursor, n) >>> 0) % hw;
  }
}
