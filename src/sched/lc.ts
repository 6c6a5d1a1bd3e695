/**
 * lc — least connection (net/netfilter/ipvs/ip_vs_lc.c). Stateless.
 * Among dests that are not OVERLOAD and have weight != 0, the minimum overhead
 * (active * 256 + inactive, ip_vs_dest_conn_overhead); strict `<`, so ties go to the first in list.
 */
import type { DestChange, DestView, FlowKey, Scheduler } from './types.js';

/** The lc scheduler. */
export class LcScheduler implements Scheduler {
  readonly name = 'lc';
  update(_d: DestView, _c: DestChange): void {}
  schedule(d: DestView, _flow: FlowKey, _nowMs: number): number {
    let least = -1;
    let loh = 0;
    for (let i = 0, n = d.count; i < n; i++) {
      if (d.overloaded(i) || d.weight(i) === 0) continue;
      const doh = d.activeConns(i) * 256 + d.inactiveConns(i);
      if (least < 0 || doh < loh) {
        least = i;
        loh = doh;
      }
    }
    return least;
  }
}
