/**
 * ovf — overflow connection (net/netfilter/ipvs/ip_vs_ovf.c). Stateless.
 * Skip OVERLOAD, weight 0 and dests whose activeconns > weight; of the rest the highest weight
 * (strict `>`, ties to the first in list). A dest absorbs weight + 1 active connections before the
 * next one takes over.
 */
import type { DestChange, DestView, FlowKey, Scheduler } from './types.js';

/** The ovf scheduler. */
export class OvfScheduler implements Scheduler {
  readonly name = 'ovf';
  update(_d: DestView, _c: DestChange): void {}
  schedule(d: DestView, _flow: FlowKey, _nowMs: number): number {
    let h = -1;
    let hw = 0;
    for (let i = 0, n = d.count; i < n; i++) {
      const w = d.weight(i);
      if (d.overloaded(i) || d.activeConns(i) > w || w === 0) continue;
      if (h < 0 || w > hw) {
        h = i;
        hw = w;
      }
    }
    return h;
  }
}
