/**
 * dh — destination hashing (net/netfilter/ipvs/ip_vs_dh.c).
 * A 256-bucket table filled round-robin over the dest list, one bucket per dest per cycle
 * (weights ignored), rebuilt on every add/del/edit. The bucket comes from the packet's
 * destination address: hash_32(fold(daddr), 8) on newer kernels (the generation we match by
 * default), (fold(daddr) * 2654435761) & 255 on older ones (`legacyHash`). The result is NULL when
 * the dest is not AVAILABLE, has weight <= 0 or is OVERLOAD; there is no fallback.
 * The table is derived from the configuration only, so each instance keeps its own copy.
 */
import type { DestChange, DestView, FlowKey, Scheduler } from './types.js';
import { foldAddr, hash32, legacyMulHash } from './hash.js';

/** Buckets of the dh table (CONFIG_IP_VS_DH_TAB_BITS = 8). */
export const DH_TAB_SIZE = 256;

/** The dh scheduler. */
export class DhScheduler implements Scheduler {
  readonly name = 'dh';
  /** Bucket -> dest index, -1 = empty. */
  readonly table = new Int32Array(DH_TAB_SIZE).fill(-1);
  constructor(private readonly legacyHash = false) {}

  update(d: DestView, _change: DestChange): void {
    const n = d.count;
    for (let i = 0, p = 0; i < DH_TAB_SIZE; i++) {
      if (n === 0) {
        this.table[i] = -1;
        continue;
      }
      this.table[i] = p;
      p = p + 1 === n ? 0 : p + 1;
    }
  }

  /** Bucket of a destination address. */
  bucket(family: 4 | 6, daddr: Uint32Array): number {
    const a = foldAddr(family, daddr);
    return this.legacyHash ? legacyMulHash(a) & 255 : hash32(a, 8);
  }

  schedule(d: DestView, flow: FlowKey, _nowMs: number): number {
    const i = this.table[this.bucket(flow.family, flow.daddr)]!;
    if (i < 0 || i >= d.count || !d.available(i) || d.weight(i) <= 0 || d.overloaded(i)) return -1;
    return i;
  }
}
