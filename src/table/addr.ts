/**
 * Address words <-> text for the table and snapshot (control-path helpers, they allocate).
 * Words are host-order u32 values stored in Int32 slots; IPv4 uses word 0 only.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** Parses an IPv4 or IPv6 address into 4 words; returns the family. Throws on bad text. */
export function parseAddrWords(text: string, out: Int32Array): 4 | 6 {
  out.fill(0);
  if (isIPv4(text)) {
    const p = text.split('.').map(Number);
    out[0] = ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) | 0;
    return 4;
  }
  if (!isIPv6(text)) throw new Error(`not an IP address: ${text}`);
  let s = text;
  const v4tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4tail) {
    const p = v4tail[1]!.split('.').map(Number);
    s = s.slice(0, -v4tail[1]!.length) + ((p[0]! << 8) | p[1]!).toString(16) + ':' + ((p[2]! << 8) | p[3]!).toString(16);
  }
  const [l, r] = s.split('::') as [string, string | undefined];
  const left = l ? l.split(':') : [];
  const right = r !== undefined && r !== '' ? r.split(':') : [];
  const groups = r === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  for (let i = 0; i < 4; i++) out[i] = ((parseInt(groups[2 * i]!, 16) << 16) | parseInt(groups[2 * i + 1]!, 16)) | 0;
  return 6;
}

/** Formats 4 words as an address of `family` (IPv6 compressed per RFC 5952). */
export function formatAddrWords(w: ArrayLike<number>, family: 4 | 6): string {
  if (family === 4) {
    const v = w[0]! >>> 0;
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  const g: number[] = [];
  for (let i = 0; i < 4; i++) g.push((w[i]! >>> 16) & 0xffff, w[i]! & 0xffff);
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestAt = i; bestLen = j - i; }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestAt < 0) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`;
}

/** Netmask words from an IPv4 dotted mask or an IPv6 prefix length ("" = host mask). */
export function netmaskWords(mask: string, family: 4 | 6, out: Int32Array): void {
  out.fill(0);
  if (family === 4) {
    if (mask === '') out[0] = -1;
    else parseAddrWords(mask, out);
    return;
  }
  const bits = mask === '' ? 128 : Number(mask);
  for (let i = 0; i < 4; i++) {
    const b = Math.max(0, Math.min(32, bits - 32 * i));
    out[i] = b === 0 ? 0 : b === 32 ? -1 : (~0 << (32 - b)) | 0;
  }
}
