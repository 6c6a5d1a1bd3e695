/**
 * Address helpers of the VRRP side: parse/format IPv4 and IPv6 text to bytes, compare (the RFC
 * tie-break "higher primary IP address wins"), and link-local tests. Control plane only.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** Parses an IPv4 dotted quad into 4 bytes (throws on bad text). */
export function ipv4ToBytes(ip: string): Uint8Array {
  const parts = ip.split('.');
  if (parts.length !== 4 || !isIPv4(ip)) throw new Error(`'${ip}' is not an IPv4 address`);
  return Uint8Array.from(parts.map((p) => Number(p)));
}

/** Parses an IPv6 address (RFC 4291 text forms, incl. embedded IPv4) into 16 bytes (throws on bad text). */
export function ipv6ToBytes(ip: string): Uint8Array {
  const pct = ip.indexOf('%');
  const text = pct >= 0 ? ip.slice(0, pct) : ip;
  if (!isIPv6(text)) throw new Error(`'${ip}' is not an IPv6 address`);
  let head = text;
  let tail = '';
  const dbl = text.indexOf('::');
  if (dbl >= 0) { head = text.slice(0, dbl); tail = text.slice(dbl + 2); }
  const toWords = (s: string): number[] => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (g.includes('.')) { const b = ipv4ToBytes(g); out.push((b[0] << 8) | b[1], (b[2] << 8) | b[3]); } else out.push(parseInt(g, 16));
    }
    return out;
  };
  const h = toWords(head);
  const t = toWords(tail);
  const words = dbl >= 0 ? [...h, ...new Array(8 - h.length - t.length).fill(0), ...t] : h;
  const out = new Uint8Array(16);
  words.forEach((w, i) => { out[2 * i] = w >> 8; out[2 * i + 1] = w & 0xff; });
  return out;
}

/** Parses either family into bytes (4 or 16). */
export function ipToBytes(ip: string): Uint8Array {
  return ip.includes(':') ? ipv6ToBytes(ip) : ipv4ToBytes(ip);
}

/** Formats 4 bytes at `off` as a dotted quad. */
export function bytesToIpv4(b: Uint8Array, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** Formats 16 bytes at `off` as compressed IPv6 text (RFC 5952: longest zero run, lower case). */
export function bytesToIpv6(b: Uint8Array, off = 0): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[off + 2 * i] << 8) | b[off + 2 * i + 1]);
  let bestStart = -1; let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) { i++; continue; }
    let j = i; while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = w.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
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
