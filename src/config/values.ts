/**
 * Value parsers shared by the keyword tables: integers, keepalived timers, booleans, addresses, and the
 * "did you mean" keyword suggestion.
 */
import { canonicalIp as coreCanonicalIp, ipv4Pton, ipv4Text } from '../core/addr.js';

/** Parses a decimal integer (no sign unless allowNegative); undefined when malformed. */
export function parseInteger(s: string | undefined, allowNegative = false): number | undefined {
  if (s === undefined) return undefined;
  const re = allowNegative ? /^[-+]?\d+$/ : /^\+?\d+$/;
  if (!re.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Parses a keepalived timer (decimal seconds, µs resolution) into milliseconds. */
export function parseTimerMs(s: string | undefined): number | undefined {
  if (s === undefined || !/^\+?(\d+(\.\d*)?|\.\d+)$/.test(s)) return undefined;
  const v = Number(s);
  return Number.isFinite(v) ? Math.round(v * 1e6) / 1e3 : undefined;
}

/** keepalived's check_true_false: on/off, true/false, yes/no (case-insensitive); undefined otherwise. */
export function parseBool(s: string): boolean | undefined {
  const v = s.toLowerCase();
  if (v === 'on' || v === 'true' || v === 'yes') return true;
  if (v === 'off' || v === 'false' || v === 'no') return false;
  return undefined;
}

/** Canonical form of an IP address (IPv6 compressed, lower case, zone dropped) and its family; undefined when invalid. */
export function canonicalIp(s: string): { address: string; family: 4 | 6 } | undefined {
  return coreCanonicalIp(s);
}

/** Parses `ADDR[/LEN]`; default prefix 32 / 128. */
export function parsePrefix(s: string): { address: string; family: 4 | 6; prefixLen: number } | undefined {
  const [a, len] = s.split('/', 2);
  const ip = canonicalIp(a ?? '');
  if (!ip) return undefined;
  const max = ip.family === 4 ? 32 : 128;
  if (len === undefined) return { ...ip, prefixLen: max };
  const n = parseInteger(len);
  if (n === undefined || n > max) return undefined;
  return { ...ip, prefixLen: n };
}

/** IPv4 address -> 32-bit unsigned integer. */
export function ipv4ToInt(a: string): number {
  return ipv4Pton(a) ?? NaN;
}

/** 32-bit unsigned integer -> IPv4 address. */
export function intToIpv4(n: number): string {
  return ipv4Text(n >>> 0);
}

/** Levenshtein distance, for keyword suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** The known keyword closest to `word`, when it is close enough to be a plausible typo. */
export function nearestKeyword(word: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const w = word.toLowerCase();
  for (const k of known) {
    const kl = k.toLowerCase();
    let d = editDistance(w, kl);
    if (d > 0 && (kl.includes(w) || w.includes(kl)) && Math.min(w.length, kl.length) >= 4) d = Math.min(d, 2);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  if (best === undefined) return undefined;
  return bestD <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}
