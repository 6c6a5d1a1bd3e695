/**
 * wlc — weighted least connection, the default scheduler (net/netfilter/ipvs/ip_vs_wlc.c).
 * Stateless. Start with the first dest that is not OVERLOAD and has weight > 0; every later
 * not-OVERLOAD dest replaces it iff oh(best) * w(d) > oh(d) * w(best) (exact, strict), where
 * oh = active * 256 + inactive. A weight-0 dest can never win that test.
 */
import type { DestChange, DestView, FlowKey, Scheduler } from './types.js';
import { mulGt } from './exact.js';

/** Connection overhead of dest i as ip_vs_dest_conn_overhead(): active * 256 + inactive (wlc, lblcr). */
export function wlcOverhead(d: DestView, i: number): number {
  return d.activeConns(i) * 256 + d.inactiveConns(i);
}

/** Weighted-least-connection choice over a whole service, shared by wlc, lblc and lblcr. */
export function wlcPick(d: DestView): number {
  const n = d.count;
  let i = 0;
  for (; i < n; i++) if (!d.overloaded(i) && d.weight(i) > 0) break;
  if (i === n) return -1;
  let least = i;
  let loh = d.activeConns(i) * 256 + d.inactiveConns(i);
  let lw = d.weight(i);
  for (i++; i < n; i++) {
    if (d.overloaded(i)) continue;
    const doh = d.activeConns(i) * 256 + d.inactiveConns(i);
    const dw = d.weight(i);
    if (mulGt(loh, dw, doh, lw)) {
      least = i;
      loh = doh;
      lw = dw;
    }
  }
  return least;
}

/** The wlc scheduler. */
export class WlcScheduler implements Scheduler {
  readonly name = 'wlc';
  update(_d: DestView, _c: DestChange): void {}
  schedule(d: DestView, _flow: FlowKey, _nowMs: number): number {
    return wlcPick(d);
  }
}
