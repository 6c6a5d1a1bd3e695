/**
 * CRC32c (Castagnoli, reflected polynomial 0x82F63B78) as SCTP uses it for its checksum
 * (RFC 9260 appendix A). Table built once at load; no per-packet allocation.
 */

const TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  TABLE[n] = c >>> 0;
}

/** CRC32c of buf[off, off+len) (the value SCTP stores, before its little-endian byte placement). */
export function crc32c(buf: Uint8Array, off: number, len: number): number {
  let c = 0xffffffff;
  for (let i = off, end = off + len; i < end; i++) c = TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Recomputes the SCTP checksum of the SCTP packet at buf[off, end) in place (field at off+8, little-endian). */
export function fillSctpChecksum(buf: Uint8Array, off: number, end: number): void {
  buf[off + 8] = buf[off + 9] = buf[off + 10] = buf[off + 11] = 0;
  const c = crc32c(buf, off, end - off);
  buf[off + 8] = c & 0xff;
  buf[off + 9] = (c >>> 8) & 0xff;
  buf[off + 10] = (c >>> 16) & 0xff;
  buf[off + 11] = (c >>> 24) & 0xff;
}
