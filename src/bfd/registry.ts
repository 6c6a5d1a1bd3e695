/**
 * The process-wide BFD sessions: the daemon applies the configuration's bfd_instance blocks here
 * before VRRP and the checkers start, and `track_bfd` (vrrp/) and `BFD_CHECK` (health/) read and
 * watch the same sessions — as keepalived's BFD process feeds both its VRRP and checker processes.
 */
import { BfdDaemon } from './daemon.js';

let daemon: BfdDaemon | undefined;

/** The one BfdDaemon of this process (created on first use; `log` applies from the first call). */
export function bfdSessions(log?: (m: string) => void): BfdDaemon {
  daemon ??= new BfdDaemon(log);
  return daemon;
}
