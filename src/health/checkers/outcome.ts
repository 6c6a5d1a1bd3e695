/**
 * What a probe reports: up or down with a short reason; MISC_CHECK with misc_dynamic may also report a
 * weight. Probes never reject: every error (timeout, RST, TLS failure, malformed reply) is `ok: false`.
 */
import type { ResolvedChecker } from '../resolve.js';

/** Result of one probe attempt. */
export interface CheckOutcome {
  ok: boolean;
  /** Short human reason, e.g. `connect timeout after 2000 ms`, `HTTP status 500`. */
  reason: string;
  /** misc_dynamic: weight to apply (exit code - 2), or `reset` to return to the configured weight. */
  weight?: number | 'reset';
  /** FILE_CHECK: offset added to the configured weight (the track_file value × weight). */
  weightDelta?: number;
}

/** One probe attempt of a resolved checker. */
export type Probe = (c: ResolvedChecker) => Promise<CheckOutcome>;

/** Turns anything thrown into a failed outcome. */
export function failure(reason: string): CheckOutcome {
  return { ok: false, reason };
}

/** Formats an error for a reason string (code and message, one line). */
export function errText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const msg = err?.message ?? String(e);
  return (err?.code && !msg.includes(err.code) ? `${err.code} ${msg}` : msg).split('\n')[0];
}

/** The address to connect to, with `%if` appended for IPv6 link-local targets (bind_if). */
export function targetHost(c: ResolvedChecker): string {
  return c.bindIf && c.host.toLowerCase().startsWith('fe80') && !c.host.includes('%') ? `${c.host}%${c.bindIf}` : c.host;
}
