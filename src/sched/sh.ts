/**
 * sh — source hashing (net/netfilter/ipvs/ip_vs_sh.c), with the sh-fallback (IP_VS_SVC_F_SCHED1)
 * and sh-port (IP_VS_SVC_F_SCHED2) flags.
 *
 * Generation matched: the newer kernels whose ip_vs_sh_hashkey is
 *   (offset + hash_32(port + fold(addr), 8)) & 255,  hash_32(x, 8) = (x * 0x61C88647 mod 2^32) >> 24.
 * Older kernels used (offset + (port + fold(addr)) * 2654435761) & 255; pass `legacyHash` for that.
 *
 * Table: 256 buckets, filled walking the dest list cyclically, each dest getting max(weight, 1)
 * consecutive buckets per cycle (a weight-0 dest still gets one), rebuilt on every add/del/edit.
 * Unavailable = weight <= 0 or OVERLOAD. Without sh-fallback an unavailable bucket gives NULL; with
 * it, for o = 0..255 try bucket hashkey((o + ihash) % 256) and stop at an empty bucket.
 * Port = the packet's source port for TCP/UDP/SCTP when sh-port is set, else 0.
 */
import type { DestChange, DestView, FlowKey, Scheduler } from './types.js';
import { foldAddr, hash32, legacyMulHash } from './hash.js';
import { SVC_F_SCHED1, SVC_F_SCHED2 } from '../ipvs/schedulers.js';

/** Buckets of the sh table (CONFIG_IP_VS_SH_TAB_BITS = 8). */
export const SH_TAB_SIZE = 256;

/** Source port of the flow when the protocol has ports the kernel reads (TCP, UDP, SCTP), else 0. */
export function flowPort(flow: FlowKey): number {
  const p = flow.protocol;
  return p === 6 || p === 17 || p === 132 ? flow.sport : 0;
}

/** The sh scheduler. */
export class ShScheduler implements Scheduler {
  readonly name = 'sh';
  /** Bucket -> dest index, -1 = empty. */
  readonly table = new Int32Array(SH_TAB_SIZE).fill(-1);
  private readonly fallback: boolean;
  private readonly usePort: boolean;

  constructor(
    flags: number,
    private readonly legacyHash = false,
  ) {
    this.fallback = (flags & SVC_F_SCHED1) !== 0;
    this.usePort = (flags & SVC_F_SCHED2) !== 0;
  }

  update(d: DestView, _change: DestChange): void {
    const n = d.count;
    let p = 0;
    let count = 0;
    for (let i = 0; i < SH_TAB_SIZE; i++) {
      if (n === 0) {
        this.table[i] = -1;
        continue;
      }
      this.table[i] = p;
      if (++count >= d.weight(p)) {
        p = p + 1 === n ? 0 : p + 1;
        count = 0;
      }
    }
  }

  /** ip_vs_sh_hashkey(af, addr, port, offset). */
  hashKey(a: number, port: number, offset: number): number {
    const x = (port + a) >>> 0;
    return (offset + (this.legacyHash ? legacyMulHash(x) : hash32(x, 8))) & 255;
  }

  schedule(d: DestView, flow: FlowKey, _nowMs: number): number {
    const a = foldAddr(flow.family, flow.saddr);
    const port = this.usePort ? flowPort(flow) : 0;
    const ihash = this.hashKey(a, port, 0);
    let i = this.table[ihash]!;
    if (i < 0 || i >= d.count) return -1;
    if (d.weight(i) > 0 && !d.overloaded(i)) return i;
    if (!this.fallback) return -1;
    for (let o = 0; o < SH_TAB_SIZE; o++) {
      i = this.table[this.hashKey(a, port, (o + ihash) % SH_TAB_SIZE)]!;
      if (i < 0 || i >= d.count) return -1;
      if (d.weight(i) > 0 && !d.overloaded(i)) return i;
    }
    return -1;
  }
}
