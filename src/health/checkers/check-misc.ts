/**
 * MISC_CHECK (keepalived check_misc.c): run misc_path; exit 0 = up, 1 = down; with misc_dynamic, exit
 * 2..255 = up with weight (code - 2) and exit 0 restores the configured weight; without misc_dynamic any
 * non-zero exit is down. A script killed at misc_timeout, killed by a signal or not startable is down.
 */
import type { MiscCheckSpec } from '../types.js';
import type { ResolvedChecker } from '../resolve.js';
import { runScript } from '../script-run.js';
import type { CheckOutcome } from './outcome.js';

/** One MISC_CHECK attempt. */
export async function probeMisc(c: ResolvedChecker): Promise<CheckOutcome> {
  const spec = c.spec as MiscCheckSpec;
  const r = await runScript(spec.misc, c.miscTimeoutMs);
  if (r.timedOut) return { ok: false, reason: `misc script timed out after ${c.miscTimeoutMs} ms` };
  if (r.error) return { ok: false, reason: `misc script could not run: ${r.error}` };
  if (r.code === null) return { ok: false, reason: `misc script killed by ${r.signal}` };
  if (r.code === 0) return spec.miscDynamic ? { ok: true, reason: 'exit 0', weight: 'reset' } : { ok: true, reason: 'exit 0' };
  if (r.code === 1 || !spec.miscDynamic) return { ok: false, reason: `exit ${r.code}` };
  return { ok: true, reason: `exit ${r.code}`, weight: r.code - 2 };
}
