/**
 * nq — never queue (net/netfilter/ipvs/ip_vs_nq.c). Stateless.
 * Skip OVERLOAD and weight-0 dests; the first dest (list order) with no active connection is
 * returned at once; otherwise sed's rule: overhead activeconns + 1, replace iff
 * oh(best) * w(d) > oh(d) * w(best), exact and strict.
 */
import type { DestChange, DestView, FlowKey, Scheduler } from './types.js';
import { mulGt } from './exact.js';

/** The nq scheduler. */
export class NqScheduler implements Scheduler {
  readonly name = 'nq';
  update(_d: DestView, _c: DestChange): void {}
  schedule(d: DestView, _flow: FlowKey, _nowMs: number): number {
    let least = -1;
    let loh = 0;
    let lw = 0;
    for (let i = 0, n = d.count; i < n; i++) {
      const w = d.weight(i);
      if (d.overloaded(i) || w === 0) continue;
      const active = d.activeConns(i);
      if (active === 0) return i;
      const doh = active + 1;
      if (least < 0 || mulGt(loh, w, doh, lw)) {
        least = i;
        loh = doh;
        lw = w;
      }
    }
    return least;
  }
}
