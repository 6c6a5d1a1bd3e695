/**
 * Internet checksums (RFC 1071) over bytes in network order, and incremental updates (RFC 1624 eqn. 3:
 * HC' = ~(~HC + ~m + m')). All values are 16-bit numbers in host order of the big-endian field, i.e.
 * exactly what `(buf[o] << 8) | buf[o + 1]` reads. No allocation.
 */

/** Adds buf[off, off+len) as big-endian 16-bit words to `sum` (not folded; odd tail padded with 0). */
export function sumBytes(buf: Uint8Array, off: number, len: number, sum = 0): number {
  const end = off + len;
  let i = off;
  // Unrolled by 8 bytes; sums stay far below 2^53 for any frame size.
  for (; i + 8 <= end; i += 8) {
    sum += ((buf[i] << 8) | buf[i + 1]) + ((buf[i + 2] << 8) | buf[i + 3]) + ((buf[i + 4] << 8) | buf[i + 5]) + ((buf[i + 6] << 8) | buf[i + 7]);
  }
  for (; i + 1 < end; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  if (i < end) sum += buf[i] << 8;
  return sum;
}

/** Folds a running sum to 16 bits (end-around carry). */
export function foldSum(sum: number): number {
  // sum < 2^53: fold the high part down until it fits (integer ops while it fits in 32 bits).
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum > 0xffffffff ? Math.floor(sum / 65536) : sum >>> 16);
  return sum;
}

/** Ones'-complement checksum of buf[off, off+len) plus an initial unfolded sum. */
export function checksum(buf: Uint8Array, off: number, len: number, initial = 0): number {
  return ~foldSum(sumBytes(buf, off, len, initial)) & 0xffff;
}

/** Sum of an IPv4 pseudo-header (RFC 793 §3.1 / RFC 768): saddr, daddr, zero+protocol, L4 length. */
export function pseudoSum4(buf: Uint8Array, l3Off: number, protocol: number, l4Len: number): number {
  return sumBytes(buf, l3Off + 12, 8) + protocol + l4Len;
}

/** Sum of an IPv6 pseudo-header (RFC 8200 §8.1): saddr, daddr, upper-layer length, next header. */
export function pseudoSum6(buf: Uint8Array, l3Off: number, protocol: number, l4Len: number): number {
  return sumBytes(buf, l3Off + 8, 32) + Math.floor(l4Len / 65536) + (l4Len & 0xffff) + protocol;
}

/** Reads the big-endian u16 at `off`. */
export function rd16(buf: Uint8Array, off: number): number {
  return (buf[off] << 8) | buf[off + 1];
}

/** Writes `v` as a big-endian u16 at `off`. */
export function wr16(buf: Uint8Array, off: number, v: number): void {
  buf[off] = (v >>> 8) & 0xff;
  buf[off + 1] = v & 0xff;
}

/** Reads the big-endian u32 at `off` as an unsigned number. */
export function rd32(buf: Uint8Array, off: number): number {
  return ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
}

/** Writes `v` as a big-endian u32 at `off`. */
export function wr32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = (v >>> 24) & 0xff;
  buf[off + 1] = (v >>> 16) & 0xff;
  buf[off + 2] = (v >>> 8) & 0xff;
  buf[off + 3] = v & 0xff;
}

/** RFC 1624 eqn. 3 for one 16-bit word: the checksum after `oldWord` became `newWord`. */
export function csumReplace16(csum: number, oldWord: number, newWord: number): number {
  let s = (~csum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** RFC 1624 for a 32-bit field (two words), e.g. an IPv4 address. */
export function csumReplace32(csum: number, oldValue: number, newValue: number): number {
  let s = (~csum & 0xffff) + ((~oldValue >>> 16) & 0xffff) + (~oldValue & 0xffff) + ((newValue >>> 16) & 0xffff) + (newValue & 0xffff);
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/**
 * Rewrites the 4-byte field at `off` to `value` and updates the checksums at `csumOffA` and, when >= 0,
 * `csumOffB` incrementally (e.g. IPv4 header checksum and TCP checksum for an address change).
 * `udpZeroA`: the field at csumOffA is a UDP-over-IPv4 checksum, where 0 means "none" and stays 0 and
 * a computed 0 is sent as 0xffff (RFC 768; kernel udp_fast_csum_update / CSUM_MANGLED_0).
 */
export function rewrite32(buf: Uint8Array, off: number, value: number, csumOffA: number, csumOffB: number, udpZeroA = false): void {
  // Signed read: no boxing of values >= 2^31 (csumReplace32 only looks at the 16-bit halves).
  const old = (buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3];
  wr32(buf, off, value);
  if (csumOffA >= 0) {
    const c = rd16(buf, csumOffA);
    if (!(udpZeroA && c === 0)) {
      let n = csumReplace32(c, old, value);
      if (udpZeroA && n === 0) n = 0xffff;
      wr16(buf, csumOffA, n);
    }
  }
  if (csumOffB >= 0) wr16(buf, csumOffB, csumReplace32(rd16(buf, csumOffB), old, value));
}

/** Rewrites the 2-byte field at `off` and updates the checksum at `csumOff` (same `udpZero` rule). */
export function rewrite16(buf: Uint8Array, off: number, value: number, csumOff: number, udpZero = false): void {
  const old = rd16(buf, off);
  wr16(buf, off, value);
  if (csumOff < 0) return;
  const c = rd16(buf, csumOff);
  if (udpZero && c === 0) return;
  let n = csumReplace16(c, old, value);
  if (udpZero && n === 0) n = 0xffff;
  wr16(buf, csumOff, n);
}

/** Recomputes the IPv4 header checksum of the header at `l3Off` (ip_send_check). */
export function fillIpv4Checksum(buf: Uint8Array, l3Off: number): void {
  const ihlBytes = (buf[l3Off] & 0x0f) * 4;
  buf[l3Off + 10] = 0;
  buf[l3Off + 11] = 0;
  wr16(buf, l3Off + 10, checksum(buf, l3Off, ihlBytes));
}

/** True when the IPv4 header at `l3Off` (IHL already validated) has a correct checksum. */
export function ipv4ChecksumOk(buf: Uint8Array, l3Off: number, ihlBytes: number): boolean {
  let s: number;
  if (ihlBytes === 20) {
    // The common case, unrolled: ten 16-bit words, sum < 2^20.
    const o = l3Off;
    s =
      ((buf[o] << 8) | buf[o + 1]) +
      ((buf[o + 2] << 8) | buf[o + 3]) +
      ((buf[o + 4] << 8) | buf[o + 5]) +
      ((buf[o + 6] << 8) | buf[o + 7]) +
      ((buf[o + 8] << 8) | buf[o + 9]) +
      ((buf[o + 10] << 8) | buf[o + 11]) +
      ((buf[o + 12] << 8) | buf[o + 13]) +
      ((buf[o + 14] << 8) | buf[o + 15]) +
      ((buf[o + 16] << 8) | buf[o + 17]) +
      ((buf[o + 18] << 8) | buf[o + 19]);
  } else {
    s = sumBytes(buf, l3Off, ihlBytes);
  }
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return s === 0xffff;
}
