/**
 * sed — shortest expected delay (net/netfilter/ipvs/ip_vs_sed.c). Stateless.
 * As wlc, but the overhead is activeconns + 1 (inactive connections ignored, the incoming job
 * counted): first eligible (not OVERLOAD, weight > 0), then replace iff
 * (a(best)+1) * w(d) > (a(d)+1) * w(best), exact and strict.
 */
import type { DestChange, DestView, FlowKey, Scheduler } from './types.js';
import { mulGt } from './exact.js';

/** The sed scheduler. */
export class SedScheduler implements Scheduler {
  readonly name = 'sed';
  update(_d: DestView, _c: DestChange): void {}
  schedule(d: DestView, _flow: FlowKey, _nowMs: number): number {
    const n = d.count;
    let i = 0;
    for (; i < n; i++) if (!d.overloaded(i) && d.weight(i) > 0) break;
    if (i === n) return -1;
    let least = i;
    let loh = d.activeConns(i) + 1;
    let lw = d.weight(i);
    for (i++; i < n; i++) {
      if (d.overloaded(i)) continue;
      const doh = d.activeConns(i) + 1;
      const dw = d.weight(i);
      if (mulGt(loh, dw, doh, lw)) {
        least = i;
        loh = doh;
        lw = dw;
      }
    }
    return least;
  }
}
