/**
 * twos — power of two choices (net/netfilter/ipvs/ip_vs_twos.c, Linux >= 6.4). Not deterministic.
 * T = sum of weights of not-OVERLOAD dests with weight > 0; r1, r2 = random u32 mod (T + 1).
 * Walking those dests, subtract each weight from both; choice1/choice2 = the first dest where the
 * running value is <= 0. Return choice2 iff w2 * oh1 > w1 * oh2 (oh = active * 256 + inactive),
 * else choice1. The first eligible dest has probability (w + 1) / (T + 1), as in the kernel.
 */
import type { DestChange, DestView, FlowKey, Scheduler } from './types.js';
import { mulGt } from './exact.js';

/** Default random source: uniform u32 from Math.random. */
export function mathRandomU32(): number {
  return Math.floor(Math.random() * 4294967296) >>> 0;
}

/** The twos scheduler; `random` returns uniform u32 values (prandom_u32). */
export class TwosScheduler implements Scheduler {
  readonly name = 'twos';
  constructor(private readonly random: () => number = mathRandomU32) {}
  update(_d: DestView, _c: DestChange): void {}
  schedule(d: DestView, _flow: FlowKey, _nowMs: number): number {
    const n = d.count;
    let total = 0;
    let any = -1;
    for (let i = 0; i < n; i++) {
      if (d.overloaded(i)) continue;
      const w = d.weight(i);
      if (w > 0) {
        total += w;
        any = i;
      }
    }
    if (any < 0) return -1;
    total += 1;
    let r1 = this.random() % total;
    let r2 = this.random() % total;
    let c1 = any;
    let c2 = -1;
    let w1 = -1;
    let w2 = -1;
    let oh1 = 0;
    let oh2 = 0;
    for (let i = 0; i < n; i++) {
      if (d.overloaded(i)) continue;
      const w = d.weight(i);
      if (w <= 0) continue;
      r1 -= w;
      r2 -= w;
      if (r1 <= 0 && w1 === -1) {
        c1 = i;
        w1 = w;
        oh1 = d.activeConns(i) * 256 + d.inactiveConns(i);
      }
      if (r2 <= 0 && w2 === -1) {
        c2 = i;
        w2 = w;
        oh2 = d.activeConns(i) * 256 + d.inactiveConns(i);
      }
      if (w1 !== -1 && w2 !== -1) break;
    }
    if (c2 >= 0 && mulGt(w2, oh1, w1, oh2)) c1 = c2;
    return c1;
  }
}
