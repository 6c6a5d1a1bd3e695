/**
 * mh — Maglev hashing (net/netfilter/ipvs/ip_vs_mh.c, Linux >= 4.18), with mh-fallback
 * (IP_VS_SVC_F_SCHED1) and mh-port (IP_VS_SVC_F_SCHED2).
 *
 * Matches a 64-bit kernel built with the default CONFIG_IP_VS_MH_TAB_INDEX=12: table size
 * M = 4093, hash = hsiphash (SipHash-1-3 on 64-bit lanes, truncated to u32) of the u32
 * v = offset + port + fold(addr), with the fixed keys hash1 = (2654435761, 2654435761) and
 * hash2 = (2654446892, 2654446892).
 * Per dest: offset = hash1(dest addr, dest port) % M, skip = hash2(...) % (M - 1) + 1, and
 * turns = ((last_weight / gcd) >> rshift) or 1 if that is 0 and last_weight != 0, where
 * rshift = max(0, fls(max_last_weight / gcd) - 6). Population: rounds over the dest list in order,
 * each dest claiming `turns` slots in a row by walking its permutation to the next free slot,
 * until all M slots are full. last_weight keeps the latest non-zero weight, so a dest set to
 * weight 0 keeps its slots (lookups there see it unavailable).
 * Lookup: slot = hash1(client addr, port) % M; unavailable (weight <= 0 or OVERLOAD) gives NULL,
 * or with mh-fallback slot = hash1(addr, port, offset = (o + ihash) % M) % M for o = 0..M-1,
 * stopping at an empty slot. The table is derived from the configuration, so each instance
 * (worker) builds its own copy and they agree.
 */
import type { DestChange, DestView, FlowKey, Scheduler } from './types.js';
import { foldAddr } from './hash.js';
import { gcd } from './exact.js';
import { hsiphashU32, kernelKey } from './siphash.js';
import { flowPort } from './sh.js';
import { SVC_F_SCHED1, SVC_F_SCHED2 } from '../ipvs/schedulers.js';

/** Table sizes CONFIG_IP_VS_MH_TAB_INDEX 8..17 selects from. */
export const MH_PRIMES = [251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071] as const;
/** The default table size (CONFIG_IP_VS_MH_TAB_INDEX = 12). */
export const MH_TAB_SIZE = 4093;
/** IP_VS_MH_TAB_BITS = CONFIG_IP_VS_MH_TAB_INDEX / 2. */
const MH_TAB_BITS = 6;
/** The kernel's fixed hsiphash keys (generate_hash_secret). */
export const MH_HASH1 = kernelKey(2654435761, 2654435761);
/** Second key, for the skip values. */
export const MH_HASH2 = kernelKey(2654446892, 2654446892);

/** fls(): 1-based index of the most significant set bit, 0 for 0. */
function fls(x: number): number {
  return 32 - Math.clz32(x);
}

/** The mh scheduler. */
export class MhScheduler implements Scheduler {
  readonly name = 'mh';
  /** Slot -> dest index, -1 = empty. */
  readonly table: Int32Array;
  private readonly fallback: boolean;
  private readonly usePort: boolean;
  private lastWeights: number[] = [];
  private readonly used: Uint8Array;

  constructor(
    flags: number,
    readonly size: number = MH_TAB_SIZE,
  ) {
    this.fallback = (flags & SVC_F_SCHED1) !== 0;
    this.usePort = (flags & SVC_F_SCHED2) !== 0;
    this.table = new Int32Array(size).fill(-1);
    this.used = new Uint8Array(size);
  }

  private trackLastWeights(d: DestView, change: DestChange): void {
    const lw = this.lastWeights;
    if (d.lastWeight) {
      this.lastWeights = Array.from({ length: d.count }, (_, i) => d.lastWeight!(i));
      return;
    }
    if (change.kind === 'add' && lw.length + 1 === d.count) lw.splice(change.index, 0, d.weight(change.index));
    else if (change.kind === 'del' && lw.length - 1 === d.count) lw.splice(change.index, 1);
    else if (change.kind === 'edit' && lw.length === d.count) {
      const w = d.weight(change.index);
      if (w !== 0) lw[change.index] = w;
    } else this.lastWeights = Array.from({ length: d.count }, (_, i) => d.weight(i));
  }

  update(d: DestView, change: DestChange): void {
    this.trackLastWeights(d, change);
    const n = d.count;
    const M = this.size;
    if (n > M) return; // -EINVAL in ip_vs_mh_reassign: the old table stays
    const lw = this.lastWeights;
    let g = 0;
    let maxW = 0;
    for (let i = 0; i < n; i++) {
      const w = lw[i]!;
      if (w > 0) g = g > 0 ? gcd(w, g) : w;
      if (w > maxW) maxW = w;
    }
    if (g < 1) {
      this.table.fill(-1);
      return;
    }
    const shift = fls(Math.trunc(maxW / g)) - MH_TAB_BITS;
    const rshift = shift >= 0 ? shift : 0;
    const skip = new Uint32Array(n);
    const perm = new Uint32Array(n);
    const turns = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      // Words 1..3 of an IPv4 address are 0, so the IPv6 fold gives the IPv4 value too.
      const a = foldAddr(6, d.addr(i));
      const v = (d.port(i) + a) >>> 0;
      perm[i] = hsiphashU32(v, MH_HASH1) % M;
      skip[i] = (hsiphashU32(v, MH_HASH2) % (M - 1)) + 1;
      const t = Math.trunc(lw[i]! / g) >> rshift;
      turns[i] = t !== 0 ? t : lw[i] !== 0 ? 1 : 0;
    }
    const used = this.used;
    used.fill(0);
    let filled = 0;
    let dt = 0;
    fill: while (filled < M) {
      for (let p = 0; p < n; ) {
        if (turns[p]! < 1) {
          p++;
          continue;
        }
        let c = perm[p]!;
        while (used[c]) {
          c += skip[p]!;
          if (c >= M) c -= M;
        }
        perm[p] = c;
        used[c] = 1;
        this.table[c] = p;
        if (++filled === M) break fill;
        if (++dt >= turns[p]!) {
          dt = 0;
          p++;
        }
      }
    }
  }

  /** Table slot for a client address fold and port at a fallback offset (0 for the first try). */
  slot(a: number, port: number, offset: number): number {
    return hsiphashU32((offset + port + a) >>> 0, MH_HASH1) % this.size;
  }

  schedule(d: DestView, flow: FlowKey, _nowMs: number): number {
    const a = foldAddr(flow.family, flow.saddr);
    const port = this.usePort ? flowPort(flow) : 0;
    const ihash = this.slot(a, port, 0);
    let i = this.table[ihash]!;
    if (i < 0 || i >= d.count) return -1;
    if (d.weight(i) > 0 && !d.overloaded(i)) return i;
    if (!this.fallback) return -1;
    const M = this.size;
    for (let o = 0; o < M; o++) {
      i = this.table[this.slot(a, port, (o + ihash) % M)]!;
      if (i < 0 || i >= d.count) return -1;
      if (d.weight(i) > 0 && !d.overloaded(i)) return i;
    }
    return -1;
  }
}
