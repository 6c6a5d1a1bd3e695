/**
 * When a master sends a connection again: the kernel's ip_vs_sync_conn_needed (ip_vs_sync.c), whose
 * per-packet test is turned into one a periodic table scan can make. Our own code after the kernel's
 * rules and the ipvs-sysctl documentation:
 *
 * - TCP is sent only in ESTABLISHED, FIN_WAIT, CLOSE, CLOSE_WAIT and TIME_WAIT; a change into another of
 *   those states than ESTABLISHED is sent at once (force), whatever the counts below.
 * - sync_refresh_period (s, default 0 = off): when the expiry reported last differs from the current one
 *   by less than min(sync_refresh_period, max(timeout / 2, 10 s)), the entry is not sent, except for
 *   sync_retries (0..3, default 0) more sends, each at least sync_refresh_period / 8 after the last.
 * - sync_threshold (default 3) and sync_period (default 50): with a period, a connection is sent each
 *   time its in-packet count reaches threshold + k * period (the kernel: count % period == threshold;
 *   a scan sends when the count went past such a point since the last send); period 0 with no refresh
 *   period: once, when the count reaches the threshold. Templates skip the count test.
 */

/** The kernel's sync sysctls (net.ipv4.vs.sync_*), in our units. */
export interface SyncSendParams {
  /** sync_threshold[0]: in-packets before the first send (0..period-1). */
  threshold: number;
  /** sync_threshold[1] (sync_period): resend every this many in-packets; 0 = no resend by count. */
  period: number;
  /** sync_refresh_period in ms; 0 = off. */
  refreshMs: number;
  /** sync_retries: extra sends within a refresh period (0..3). */
  retries: number;
}

/** The kernel's defaults: threshold 3, period 50, refresh period 0, retries 0. */
export const SYNC_SEND_DEFAULTS: Readonly<SyncSendParams> = { threshold: 3, period: 50, refreshMs: 0, retries: 0 };

/** One entry as the rules see it. */
export interface SyncSendEntry {
  template: boolean;
  proto: number;
  state: number;
  /** In-packets so far. */
  inPkts: number;
  /** Absolute expiry in ms (now + remaining time). */
  expiresMs: number;
  /** The state's full timeout in ms (cp->timeout). */
  timeoutMs: number;
}

/** What was sent last for one entry (cp->old_state, cp->sync_endtime and its retry bits). */
export interface SyncSentMark {
  state: number;
  /** In-packet count at the last send. */
  pkts: number;
  /** Expiry reported at the last send. */
  expiresMs: number;
  /** Time of the last send. */
  atMs: number;
  /** Retries used in the current refresh period. */
  retries: number;
}

const TCP = 6;
const TCP_ESTABLISHED = 1;
/** TCP states the kernel syncs: ESTABLISHED, FIN_WAIT, TIME_WAIT, CLOSE, CLOSE_WAIT (IP_VS_TCP_S_*). */
export const SYNC_TCP_STATES = (1 << 1) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7);

/** True when the entry may be synced at all in its state (TCP only in the states above). */
export function syncableState(e: Pick<SyncSendEntry, 'template' | 'proto' | 'state'>): boolean {
  return e.template || e.proto !== TCP || ((1 << e.state) & SYNC_TCP_STATES) !== 0;
}

/** Whether the count crossed threshold + k * period (k >= 0) in (from, to]. */
function crossed(from: number, to: number, threshold: number, period: number): boolean {
  if (to < threshold || to <= from) return false;
  if (period <= 0) return from < threshold;
  const k = Math.floor((to - threshold) / period); // the last point at or below `to`
  return threshold + k * period > from;
}

/**
 * Decides whether `e` is due (`last` = what was sent before, undefined for a new entry) and returns the
 * mark to keep if it is sent, or undefined when it is not due.
 */
export function syncDue(p: SyncSendParams, e: SyncSendEntry, last: SyncSentMark | undefined, nowMs: number): SyncSentMark | undefined {
  if (!syncableState(e)) return undefined;
  const mark: SyncSentMark = { state: e.state, pkts: e.inPkts, expiresMs: e.expiresMs, atMs: nowMs, retries: 0 };
  // A TCP change into another syncable state than ESTABLISHED is sent at once (old_state starts as NONE).
  if (!e.template && e.proto === TCP && e.state !== (last?.state ?? 0) && e.state !== TCP_ESTABLISHED) return mark;
  if (last && p.refreshMs > 0) {
    const minDiff = Math.max(e.timeoutMs / 2, 10_000);
    if (Math.abs(e.expiresMs - last.expiresMs) < Math.min(p.refreshMs, minDiff)) {
      if (last.retries >= p.retries || nowMs < last.atMs + p.refreshMs / 8) return undefined;
      mark.retries = last.retries + 1;
    }
  }
  // Templates skip the count (the kernel sends one with each connection it controls): a scan sends it
  // when new and, without a refresh period, when its expiry moved by 10 s or more.
  if (e.template) return last && p.refreshMs === 0 && Math.abs(e.expiresMs - last.expiresMs) < 10_000 ? undefined : mark;
  if ((p.period > 0 || p.refreshMs === 0) && !crossed(last ? last.pkts : -1, e.inPkts, p.threshold, p.period)) return undefined;
  return mark;
}
