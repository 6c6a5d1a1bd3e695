/**
 * Address text -> the schedulers' address layout (four host-order u32 words, IPv4 in word 0), over
 * the one parser in src/core/addr.ts.
 */
import { ipv6Pton, ipWords } from '../core/addr.js';

/** Parses an IPv4 dotted quad or an IPv6 address (with ::, optional embedded IPv4) into words; throws RangeError. */
export function addrWords(text: string): Uint32Array {
  const a = ipWords(text);
  if (!a) throw new RangeError(`invalid IP${text.includes(':') ? 'v6' : 'v4'} address: ${text}`);
  return a.words;
}

/** The eight 16-bit groups of an IPv6 address; throws RangeError when malformed. */
export function ipv6Groups(text: string): number[] {
  const g = ipv6Pton(text);
  if (!g) throw new RangeError(`invalid IPv6 address: ${text}`);
  return g;
}
