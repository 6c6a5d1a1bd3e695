/**
 * VRRP timer formulas exactly as keepalived computes them (keepalived/include/vrrp.h
 * VRRP_TIMER_SKEW / VRRP_MS_DOWN_TIMER; RFC 3768 §6.1, RFC 5798 §6.1), in integer microseconds
 * like keepalived (TIMER_HZ = 1e6), returned in (fractional) milliseconds.
 */
import type { VrrpVersion } from './types.js';

/** Skew_Time in ms: v2 (256 − prio)/256 s (not scaled by the interval); v3 (256 − prio) × Master_Adver_Interval / 256. */
export function skewTimeMs(version: VrrpVersion, priority: number, masterAdverIntMs: number): number {
  const p = 256 - priority;
  if (version === 3) {
    const centis = Math.floor(Math.round(masterAdverIntMs * 1000) / 10000);
    return Math.floor((p * centis * 625) / 16) / 1000;
  }
  return Math.floor((p * 1_000_000) / 256) / 1000;
}

/** Master_Down_Interval in ms: down_timer_adverts × Master_Adver_Interval + Skew_Time. */
export function masterDownIntervalMs(version: VrrpVersion, priority: number, masterAdverIntMs: number, downTimerAdverts = 3): number {
  return downTimerAdverts * masterAdverIntMs + skewTimeMs(version, priority, masterAdverIntMs);
}
