/**
 * fo — weighted failover (net/netfilter/ipvs/ip_vs_fo.c). Stateless.
 * The not-OVERLOAD dest with the highest weight (strict `>` from 0, so weight must be > 0 and ties
 * go to the first in list). Connection counts are ignored.
 */
import type { DestChange, DestView, FlowKey, Scheduler } from './types.js';

/** The fo scheduler. */
export class FoScheduler implements Scheduler {
  readonly name = 'fo';
  update(_d: DestView, _c: DestChange): void {}
  schedule(d: DestView, _flow: FlowKey, _nowMs: number): number {
    let best = -1;
    let hw = 0;
    for (let i = 0, n = d.count; i < n; i++) {
      if (d.overloaded(i)) continue;
      const w = d.weight(i);
      if (w > hw) {
        best = i;
        hw = w;
      }
    }
    return best;
  }
}
