/**
 * Runs one probe so that nothing escapes: a throw, a rejection, a non-result or a probe that never
 * settles (past its own timeouts plus a margin, measured on the manager's clock) all become a failed
 * check. This is the single barrier between checker code and the daemon.
 */
import type { CheckOutcome } from './checkers/outcome.js';
import type { Clock } from './clock.js';
import type { ResolvedChecker } from './resolve.js';

/** Safety margin after which a probe that never settled counts as failed (ms). */
export const PROBE_GUARD_MS = 5000;

/** Runs probe(cfg) and resolves with its outcome or a failure; never rejects. */
export function guardedProbe(clock: Clock, probe: (c: ResolvedChecker) => Promise<CheckOutcome>, cfg: ResolvedChecker): Promise<CheckOutcome> {
  const budget = Math.max(cfg.connectTimeoutMs * (cfg.urls.length + 1), cfg.miscTimeoutMs) + PROBE_GUARD_MS;
  return new Promise<CheckOutcome>((resolve) => {
    const t = clock.at(clock.nowMs() + budget, () => resolve({ ok: false, reason: `probe did not finish within ${budget} ms` }));
    let p: Promise<CheckOutcome>;
    try {
      p = Promise.resolve(probe(cfg));
    } catch (e) {
      p = Promise.resolve({ ok: false, reason: `probe threw: ${(e as Error)?.message ?? e}` });
    }
    p.then(
      (o) => resolve(o && typeof o.ok === 'boolean' ? o : { ok: false, reason: 'probe returned nothing' }),
      (e) => resolve({ ok: false, reason: `probe failed: ${(e as Error)?.message ?? e}` }),
    ).finally(() => clock.cancel(t));
  });
}
