/**
 * Exact integer helpers for the schedulers. The kernel compares loads as cross products in signed
 * 64-bit (`(__s64)loh * w(d) > (__s64)doh * w(least)`); weights reach 2^31-1 and overheads ~2^31,
 * so products need ~62 bits. Doubles are exact below 2^53; beyond that we fall back to BigInt
 * (rare: only with huge weights and huge connection counts), so the hot path never allocates.
 */

const SAFE = Number.MAX_SAFE_INTEGER;

/** Exactly `a * b > c * d` for non-negative integers (a, c overheads; b, d weights). */
export function mulGt(a: number, b: number, c: number, d: number): boolean {
  const x = a * b;
  const y = c * d;
  if (x <= SAFE && y <= SAFE) return x > y;
  return BigInt(a) * BigInt(b) > BigInt(c) * BigInt(d);
}

/** Exactly `a * b < c * d` for non-negative integers. */
export function mulLt(a: number, b: number, c: number, d: number): boolean {
  return mulGt(c, d, a, b);
}

/** Greatest common divisor of two positive integers (lib/math/gcd.c semantics for a, b > 0). */
export function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/** IPVS connection overhead (ip_vs_dest_conn_overhead): activeconns * 256 + inactconns. */
export function connOverhead(active: number, inactive: number): number {
  return active * 256 + inactive;
}
