/**
 * Rates for `ulvsadm -L --rate` and /metrics, estimated like the kernel's ip_vs_est.c: every 2 s the
 * counter deltas are turned into per-second rates and smoothed with an EWMA of weight 1/4.
 */
import type { IpvsRates, IpvsStats } from './types.js';
import { zeroRates } from './types.js';

/** Sampling period of the kernel estimator. */
export const RATE_INTERVAL_MS = 2000;

interface Est {
  last: IpvsStats;
  avg: [number, number, number, number, number];
}

/** Per-id EWMA rate estimator fed with cumulative counters. */
export class RateEstimator {
  private readonly est = new Map<string, Est>();

  /** Feeds the current counters of every id (call every RATE_INTERVAL_MS); ids not seen are forgotten. */
  sample(current: Map<string, IpvsStats>, intervalMs = RATE_INTERVAL_MS): void {
    for (const id of this.est.keys()) if (!current.has(id)) this.est.delete(id);
    for (const [id, s] of current) {
      const e = this.est.get(id);
      if (!e) {
        this.est.set(id, { last: { ...s }, avg: [0, 0, 0, 0, 0] });
        continue;
      }
      const cur = [s.conns, s.inPkts, s.outPkts, s.inBytes, s.outBytes];
      const last = [e.last.conns, e.last.inPkts, e.last.outPkts, e.last.inBytes, e.last.outBytes];
      for (let i = 0; i < 5; i++) {
        // A counter that went down was zeroed (ipvsadm -Z): restart from it.
        const delta = cur[i] >= last[i] ? cur[i] - last[i] : 0;
        const rate = (delta * 1000) / intervalMs;
        e.avg[i] += (rate - e.avg[i]) / 4;
      }
      e.last = { ...s };
    }
  }

  /** Current rates of id (zero when unknown). */
  rates(id: string): IpvsRates {
    const e = this.est.get(id);
    if (!e) return zeroRates();
    const r = e.avg.map((v) => Math.round(v));
    return { cps: r[0], inPps: r[1], outPps: r[2], inBps: r[3], outBps: r[4] };
  }
}
