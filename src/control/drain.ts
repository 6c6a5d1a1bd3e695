/**
 * `ulvs drain` (the daemon's `drain` request): withdraw every VIP from the routers first, then wait
 * until no packet has arrived for 1 s (the router moved the flows to the other directors) or drain_wait
 * has passed; the caller then stops the daemon, which removes the rules last.
 */
import { ApiError } from '../api/server.js';
import type { BgpAnnouncer } from '../bgp/announcer.js';
import type { Logger } from './logger.js';

/** No packet for this long after the withdraw means the router moved the traffic. */
export const DRAIN_QUIET_MS = 1000;

/** What a drain did: the prefixes withdrawn, how long it waited, and whether the traffic had stopped. */
export interface DrainReport {
  withdrawn: string[];
  waitedMs: number;
  quiet: boolean;
}

/** Withdraws through `bgp` and waits for `inPkts()` (the data plane's packets in, all services) to stand still; resolves with what it saw. */
export async function drainDirector(bgp: BgpAnnouncer | undefined, inPkts: () => number, logger: Logger): Promise<DrainReport> {
  if (!bgp?.active) throw new ApiError('bad-request', 'this daemon announces nothing (no ulvs_bgp block); stop it with SIGTERM instead');
  const t0 = Date.now();
  const withdrawn = await bgp.withdrawAll();
  logger.info(`drain: withdrew ${withdrawn.join(' ') || 'nothing'}; waiting for the traffic to move`);
  const maxMs = Math.max(bgp.drainWaitMs(), DRAIN_QUIET_MS);
  let last = inPkts();
  let lastChange = Date.now();
  while (Date.now() - t0 < maxMs && Date.now() - lastChange < DRAIN_QUIET_MS) {
    await new Promise((r) => setTimeout(r, 100));
    const n = inPkts();
    if (n !== last) {
      last = n;
      lastChange = Date.now();
    }
  }
  const quiet = Date.now() - lastChange >= DRAIN_QUIET_MS;
  logger.info(`drain: ${quiet ? 'no packet for 1 s' : 'drain_wait over, packets still arriving'} after ${Date.now() - t0} ms; stopping`);
  return { withdrawn, waitedMs: Date.now() - t0, quiet };
}
