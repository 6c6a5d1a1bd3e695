/**
 * BFD_CHECK (keepalived check_bfd.c): the real server follows a bfd_instance session run by src/bfd.
 * keepalived acts on the session's Up/Down events only, so before the session has ever been Up the
 * checker keeps its initial state (up, or down with alpha); after that, Up = up and anything else = down.
 */
import { bfdSessions } from '../../bfd/registry.js';
import type { BfdCheckSpec } from '../types.js';
import type { ResolvedChecker } from '../resolve.js';
import type { CheckOutcome } from './outcome.js';

/** One BFD_CHECK look at the session's state. */
export async function probeBfd(c: ResolvedChecker): Promise<CheckOutcome> {
  const name = (c.spec as BfdCheckSpec).name;
  const d = bfdSessions();
  const up = d.isUp(name);
  if (up === undefined) return { ok: false, reason: `bfd_instance ${name} is not running` };
  if (up) return { ok: true, reason: `bfd_instance ${name} Up` };
  if (!d.everUp(name)) return { ok: !c.alpha, reason: `bfd_instance ${name} not yet Up` };
  return { ok: false, reason: `bfd_instance ${name} ${d.stateOf(name)}` };
}
