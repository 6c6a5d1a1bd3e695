/**
 * Address words <-> text for the table and snapshot (control-path helpers, they allocate), over
 * src/core/addr.ts.
 * Words are host-order u32 values stored in Int32 slots; IPv4 uses word 0 only.
 */
import { formatIpWords, parseIpWords } from '../core/addr.js';

/** Parses an IPv4 or IPv6 address into 4 words; returns the family. Throws on bad text. */
export function parseAddrWords(text: string, out: Int32Array): 4 | 6 {
  const family = parseIpWords(text, out);
  if (family === 0) throw new Error(`not an IP address: ${text}`);
  return family;
}

/** Formats 4 words as an address of `family` (IPv6 compressed per RFC 5952); core's formatIpWords. */
export const formatAddrWords: (w: ArrayLike<number>, family: 4 | 6) => string = formatIpWords;

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
