/**
 * The lblc/lblcr locality table in shared memory: 1024 hash buckets (CONFIG_IP_VS_LBLC[R]_TAB_BITS
 * = 10) of singly linked entries keyed by destination address, with the kernel's periodic garbage
 * collection (ip_vs_lblc[r]_check_expire every 60 s: evict entries idle >= 6 min when there are
 * more than 16 * 1024, every 30th run evict everything idle >= the expiration sysctl).
 *
 * Memory (Int32 words after the SchedState header; all-zero = empty table):
 *   [2] entries  [3] rover  [4] counter-1  [5] entry pool high-water  [6] entry free list + 1
 *   [7] elem pool high-water  [8] elem free list + 1  [10..11] next GC time (f64 ms, 0 = unset)
 *   [12 .. 12+1024) bucket heads (entry + 1)
 *   entries: ENTRY_WORDS words each: next+1, addr[4], dest (lblc) / set head+1 (lblcr), set size
 *   entry times: 2 f64 each: lastuse ms, set lastmod ms
 *   set elems (lblcr): 2 words each: next+1, dest index
 * The kernel allocates entries with kmalloc; here pools are fixed. When a pool is empty the new
 * entry is simply not cached, which is what the kernel does when kmalloc fails.
 * All access happens under the SchedState lock.
 */
import { type SchedState, HEADER_WORDS } from './shared-state.js';
import { foldAddr, hash32, legacyMulHash } from './hash.js';

/** Hash buckets (1 << 10). */
export const LOCALITY_TAB_SIZE = 1024;
const MASK = LOCALITY_TAB_SIZE - 1;
/** tbl->max_size = IP_VS_LBLC_TAB_SIZE * 16. */
export const LOCALITY_MAX_SIZE = LOCALITY_TAB_SIZE * 16;
/** CHECK_EXPIRE_INTERVAL. */
export const CHECK_EXPIRE_INTERVAL_MS = 60_000;
/** ENTRY_TIMEOUT. */
export const ENTRY_TIMEOUT_MS = 6 * 60_000;
/** DEFAULT_EXPIRATION of lblc_expiration / lblcr_expiration. */
export const DEFAULT_EXPIRATION_MS = 24 * 3600_000;
/** COUNT_FOR_FULL_EXPIRATION. */
const COUNT_FOR_FULL_EXPIRATION = 30;
/** Default entry pool size. */
export const DEFAULT_TABLE_CAPACITY = 2 * LOCALITY_MAX_SIZE;

const W_ENTRIES = HEADER_WORDS;
const W_ROVER = HEADER_WORDS + 1;
const W_COUNTER = HEADER_WORDS + 2;
const W_USED_E = HEADER_WORDS + 3;
const W_FREE_E = HEADER_WORDS + 4;
const W_USED_S = HEADER_WORDS + 5;
const W_FREE_S = HEADER_WORDS + 6;
const F_NEXT_CHECK = 5; // f64 index (bytes 40..47 = words 10..11)
const W_BUCKETS = 12;
const W_ENTRY0 = W_BUCKETS + LOCALITY_TAB_SIZE;
const ENTRY_WORDS = 8;
/** Entry field offsets. */
export const E_NEXT = 0,
  E_ADDR = 1,
  E_DEST = 5,
  E_SETSIZE = 6;

/** Bytes for a locality table with `capacity` entries and `elemCapacity` set elements. */
export function localityBytes(capacity: number, elemCapacity: number): number {
  return (W_ENTRY0 + capacity * ENTRY_WORDS + capacity * 4 + elemCapacity * 2) * 4;
}

/** Typed access to a locality table living in a SchedState. */
export class LocalityTable {
  readonly a: Int32Array;
  readonly f: Float64Array;
  private readonly fTimes: number;
  private readonly wElems: number;

  constructor(
    readonly st: SchedState,
    readonly capacity: number,
    readonly elemCapacity: number,
    private readonly legacyHash: boolean,
  ) {
    this.a = st.i32;
    this.f = st.f64;
    const wTimes = W_ENTRY0 + capacity * ENTRY_WORDS; // even, so 8-byte aligned
    this.fTimes = wTimes >> 1;
    this.wElems = wTimes + capacity * 4;
  }

  /** ip_vs_lblc[r]_hashkey: hash_32(fold(addr), 10), or the legacy multiplicative hash. */
  bucketOf(family: 4 | 6, addr: Uint32Array): number {
    const x = foldAddr(family, addr);
    return this.legacyHash ? legacyMulHash(x) & MASK : hash32(x, 10);
  }

  /** Word offset of entry e's fields. */
  ew(e: number): number {
    return W_ENTRY0 + e * ENTRY_WORDS;
  }
  /** Entry e's lastuse (ms). */
  lastuse(e: number): number {
    return this.f[this.fTimes + 2 * e]!;
  }
  setLastuse(e: number, ms: number): void {
    this.f[this.fTimes + 2 * e] = ms;
  }
  /** Entry e's set lastmod (ms, lblcr). */
  lastmod(e: number): number {
    return this.f[this.fTimes + 2 * e + 1]!;
  }
  setLastmod(e: number, ms: number): void {
    this.f[this.fTimes + 2 * e + 1] = ms;
  }
  /** Number of entries. */
  get entries(): number {
    return this.a[W_ENTRIES]!;
  }

  /** ip_vs_lblc[r]_get: the entry for this address, or -1. */
  find(family: 4 | 6, addr: Uint32Array): number {
    const a = this.a;
    for (let e = a[W_BUCKETS + this.bucketOf(family, addr)]! - 1; e >= 0; e = a[this.ew(e) + E_NEXT]! - 1) {
      const w = this.ew(e) + E_ADDR;
      if (a[w] === (addr[0]! | 0) && a[w + 1] === (addr[1]! | 0) && a[w + 2] === (addr[2]! | 0) && a[w + 3] === (addr[3]! | 0)) {
        return e;
      }
    }
    return -1;
  }

  /** Allocates an entry for `addr` and hashes it at its bucket's head; -1 when the pool is full. */
  insert(family: 4 | 6, addr: Uint32Array, nowMs: number): number {
    const a = this.a;
    let e = a[W_FREE_E]! - 1;
    if (e >= 0) a[W_FREE_E] = a[this.ew(e) + E_NEXT]!;
    else if (a[W_USED_E]! < this.capacity) e = a[W_USED_E]!++;
    else return -1;
    const w = this.ew(e);
    for (let i = 0; i < 4; i++) a[w + E_ADDR + i] = addr[i]! | 0;
    a[w + E_DEST] = 0;
    a[w + E_SETSIZE] = 0;
    this.setLastuse(e, nowMs);
    this.setLastmod(e, nowMs);
    const b = W_BUCKETS + this.bucketOf(family, addr);
    a[w + E_NEXT] = a[b]!;
    a[b] = e + 1;
    a[W_ENTRIES]!++;
    return e;
  }

  /** Unhashes entry e (found in bucket b) and frees it and its set. */
  remove(e: number, bucket: number): void {
    const a = this.a;
    let link = W_BUCKETS + bucket;
    while (a[link]! - 1 !== e) link = this.ew(a[link]! - 1) + E_NEXT;
    a[link] = a[this.ew(e) + E_NEXT]!;
    this.freeSet(e);
    a[this.ew(e) + E_NEXT] = a[W_FREE_E]!;
    a[W_FREE_E] = e + 1;
    a[W_ENTRIES]!--;
  }

  /** Calls fn(entry, bucket) for every entry; fn may remove the entry it is given. */
  forEach(fn: (e: number, bucket: number) => void): void {
    const a = this.a;
    for (let b = 0; b < LOCALITY_TAB_SIZE; b++) {
      for (let e = a[W_BUCKETS + b]! - 1; e >= 0; ) {
        const next = a[this.ew(e) + E_NEXT]! - 1;
        fn(e, b);
        e = next;
      }
    }
  }

  /** Empties the table (done_service / a fresh init). */
  flush(): void {
    this.forEach((e, b) => this.remove(e, b));
  }

  // ---- lblcr destination sets: a list of elems, newest first (list_add_rcu) ----

  /** First elem of entry e's set, or -1. */
  setHead(e: number): number {
    return this.a[this.ew(e) + E_DEST]! - 1;
  }
  /** Next elem, or -1. */
  elemNext(s: number): number {
    return this.a[this.wElems + 2 * s]! - 1;
  }
  /** Dest index held by elem s. */
  elemDest(s: number): number {
    return this.a[this.wElems + 2 * s + 1]!;
  }
  setElemDest(s: number, dest: number): void {
    this.a[this.wElems + 2 * s + 1] = dest;
  }
  /** Set size of entry e. */
  setSize(e: number): number {
    return this.a[this.ew(e) + E_SETSIZE]!;
  }

  /** ip_vs_dest_set_insert: push dest at the set's head (unless `check` finds it); lastmod = now. */
  setInsert(e: number, dest: number, check: boolean, nowMs: number): void {
    const a = this.a;
    if (check) for (let s = this.setHead(e); s >= 0; s = this.elemNext(s)) if (this.elemDest(s) === dest) return;
    let s = a[W_FREE_S]! - 1;
    if (s >= 0) a[W_FREE_S] = a[this.wElems + 2 * s]!;
    else if (a[W_USED_S]! < this.elemCapacity) s = a[W_USED_S]!++;
    else return; // kmalloc failure: not inserted
    const w = this.ew(e);
    a[this.wElems + 2 * s] = a[w + E_DEST]!;
    a[this.wElems + 2 * s + 1] = dest;
    a[w + E_DEST] = s + 1;
    a[w + E_SETSIZE]!++;
    this.setLastmod(e, nowMs);
  }

  /** ip_vs_dest_set_erase: unlink the first elem holding dest; lastmod = now when found. */
  setErase(e: number, dest: number, nowMs: number): void {
    const a = this.a;
    let link = this.ew(e) + E_DEST;
    for (let s = a[link]! - 1; s >= 0; s = a[link]! - 1) {
      if (this.elemDest(s) === dest) {
        a[link] = a[this.wElems + 2 * s]!;
        a[this.wElems + 2 * s] = a[W_FREE_S]!;
        a[W_FREE_S] = s + 1;
        a[this.ew(e) + E_SETSIZE]!--;
        this.setLastmod(e, nowMs);
        return;
      }
      link = this.wElems + 2 * s;
    }
  }

  private freeSet(e: number): void {
    const a = this.a;
    const w = this.ew(e);
    for (let s = a[w + E_DEST]! - 1; s >= 0; ) {
      const next = this.elemNext(s);
      a[this.wElems + 2 * s] = a[W_FREE_S]!;
      a[W_FREE_S] = s + 1;
      s = next;
    }
    a[w + E_DEST] = 0;
    a[w + E_SETSIZE] = 0;
  }

  /**
   * Runs the periodic GC for every 60 s tick due by `nowMs` (the kernel's timer, started at the
   * first use). `expirationMs` is the lblc[r]_expiration sysctl.
   */
  runDueChecks(nowMs: number, expirationMs: number): void {
    const f = this.f;
    if (f[F_NEXT_CHECK] === 0) {
      f[F_NEXT_CHECK] = nowMs + CHECK_EXPIRE_INTERVAL_MS;
      return;
    }
    let guard = 0;
    while (nowMs >= f[F_NEXT_CHECK]!) {
      this.checkExpire(f[F_NEXT_CHECK]!, expirationMs); // the timer's own time, as jiffies at expiry
      f[F_NEXT_CHECK] = f[F_NEXT_CHECK]! + CHECK_EXPIRE_INTERVAL_MS;
      if (++guard === COUNT_FOR_FULL_EXPIRATION + 1) {
        f[F_NEXT_CHECK] = nowMs + CHECK_EXPIRE_INTERVAL_MS; // long idle: resume the timer from now
        break;
      }
    }
  }

  /** One run of ip_vs_lblc[r]_check_expire. */
  checkExpire(nowMs: number, expirationMs: number): void {
    const a = this.a;
    const counter = a[W_COUNTER]! + 1;
    if (counter % COUNT_FOR_FULL_EXPIRATION === 0) {
      this.sweep(nowMs, expirationMs, Infinity);
      a[W_COUNTER] = 0; // counter = 1
      return;
    }
    if (a[W_ENTRIES]! <= LOCALITY_MAX_SIZE) {
      a[W_COUNTER] = counter; // counter++
      return;
    }
    let goal = Math.trunc(((a[W_ENTRIES]! - LOCALITY_MAX_SIZE) * 4) / 3);
    if (goal > LOCALITY_MAX_SIZE / 2) goal = LOCALITY_MAX_SIZE / 2;
    this.sweep(nowMs, ENTRY_TIMEOUT_MS, goal);
  }

  /** Walks buckets from rover + 1, evicting entries idle >= idleMs, until `goal` are gone. */
  private sweep(nowMs: number, idleMs: number, goal: number): void {
    const a = this.a;
    let j = a[W_ROVER]!;
    for (let i = 0; i < LOCALITY_TAB_SIZE; i++) {
      j = (j + 1) & MASK;
      for (let e = a[W_BUCKETS + j]! - 1; e >= 0; ) {
        const next = a[this.ew(e) + E_NEXT]! - 1;
        if (nowMs >= this.lastuse(e) + idleMs) {
          this.remove(e, j);
          goal--;
        }
        e = next;
      }
      if (goal <= 0) break;
    }
    a[W_ROVER] = j;
  }
}
