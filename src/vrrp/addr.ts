/**
 * Address helpers of the VRRP side: parse/format IPv4 and IPv6 text to bytes, compare (the RFC
 * tie-break "higher primary IP address wins"), and link-local tests, over src/core/addr.ts. Control plane only.
 */
import { formatIpBytes, ipBytes } from '../core/addr.js';

/** Parses an IPv4 dotted quad into 4 bytes (throws on bad text). */
export function ipv4ToBytes(ip: string): Uint8Array {
  const b = ip.includes(':') ? undefined : ipBytes(ip);
  if (!b) throw new Error(`'${ip}' is not an IPv4 address`);
  return b;
}

/** Parses an IPv6 address (RFC 4291 text forms, incl. embedded IPv4; a zone is ignored) into 16 bytes (throws on bad text). */
export function ipv6ToBytes(ip: string): Uint8Array {
  const b = ip.includes(':') ? ipBytes(ip) : undefined;
  if (!b) throw new Error(`'${ip}' is not an IPv6 address`);
  return b;
}

/** Parses either family into bytes (4 or 16). */
export function ipToBytes(ip: string): Uint8Array {
  return ip.includes(':') ? ipv6ToBytes(ip) : ipv4ToBytes(ip);
}

/** Formats 4 bytes at `off` as a dotted quad. */
export function bytesToIpv4(b: Uint8Array, off = 0): string {
  return formatIpBytes(b, off, 4);
}

/** Formats 16 bytes at `off` as compressed IPv6 text (RFC 5952: longest zero run, lower case). */
export function bytesToIpv6(b: Uint8Array, off = 0): string {
  return formatIpBytes(b, off, 6);
}

/** Canonical text of an address of either family (compresses IPv6). */
export function canonicalIp(ip: string): string {
  return ip.includes(':') ? bytesToIpv6(ipv6ToBytes(ip)) : bytesToIpv4(ipv4ToBytes(ip));
}

/** Compares two addresses of one family as unsigned big-endian numbers: <0, 0, >0. */
export function compareIp(a: string, b: string): number {
  const x = ipToBytes(a);
  const y = ipToBytes(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/** True for fe80::/10. */
export function isLinkLocal6(ip: string): boolean {
  const b = ipv6ToBytes(ip);
  return b[0] === 0xfe && (b[1] & 0xc0) === 0x80;
}

/** True for a multicast address of either family (224.0.0.0/4, ff00::/8). */
export function isMulticast(ip: string): boolean {
  const b = ipToBytes(ip);
  return b.length === 4 ? (b[0] & 0xf0) === 0xe0 : b[0] === 0xff;
}
