/**
 * Builds one packet of a flow from its 5-tuple (control path: `ulvs explain`, the dashboard's packet
 * walk): an Ethernet frame (or a bare IP packet) carrying IPv4 or IPv6 with a TCP, UDP or SCTP header
 * and 10 bytes of payload, every checksum filled. Allocates; never on the hot path.
 */
import { ipBytes } from '../core/addr.js';
import { checksum, fillIpv4Checksum, pseudoSum4, pseudoSum6, wr16 } from './checksum.js';
import { fillSctpChecksum } from './crc32c.js';

/** What a flow packet is made of. */
export interface FlowPacketSpec {
  /** IP protocol: 6 TCP, 17 UDP, 132 SCTP. */
  proto: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  /** TCP flags byte (default 0x02, SYN). */
  tcpFlags?: number;
  ttl?: number;
  /** Ethernet-framed when given: destination and source MAC (6 bytes each). */
  ether?: { dst: Uint8Array; src: Uint8Array };
}

const PAYLOAD = 10;

/** The packet of `s` as bytes; throws TypeError for an address that is not IPv4/IPv6 or mixed families. */
export function buildFlowPacket(s: FlowPacketSpec): Uint8Array {
  const src = ipBytes(s.src);
  const dst = ipBytes(s.dst);
  if (!src || !dst) throw new TypeError(`not an IP address: ${!src ? s.src : s.dst}`);
  if (src.length !== dst.length) throw new TypeError(`${s.src} and ${s.dst} are of different families`);
  const v6 = src.length === 16;
  const l4Len = (s.proto === 6 ? 20 : s.proto === 132 ? 28 : 8) + PAYLOAD;
  const l3Len = v6 ? 40 : 20;
  const off = s.ether ? 14 : 0;
  const b = new Uint8Array(off + l3Len + l4Len);
  if (s.ether) {
    b.set(s.ether.dst, 0);
    b.set(s.ether.src, 6);
    wr16(b, 12, v6 ? 0x86dd : 0x0800);
  }
  if (v6) {
    b[off] = 0x60;
    wr16(b, off + 4, l4Len);
    b[off + 6] = s.proto;
    b[off + 7] = s.ttl ?? 64;
    b.set(src, off + 8);
    b.set(dst, off + 24);
  } else {
    b[off] = 0x45;
    wr16(b, off + 2, l3Len + l4Len);
    b[off + 6] = 0x40; // DF
    b[off + 8] = s.ttl ?? 64;
    b[off + 9] = s.proto;
    b.set(src, off + 12);
    b.set(dst, off + 16);
    fillIpv4Checksum(b, off);
  }
  const t = off + l3Len;
  wr16(b, t, s.sport);
  wr16(b, t + 2, s.dport);
  for (let i = 0; i < PAYLOAD; i++) b[b.length - PAYLOAD + i] = 0x61 + i;
  if (s.proto === 132) {
    // SCTP common header + an INIT chunk stub (a packet that may start an association); CRC32c over the packet with the checksum zeroed (RFC 4960 §6.8).
    b[t + 12] = 1;
    wr16(b, t + 14, 16 + PAYLOAD);
    fillSctpChecksum(b, t, t + l4Len);
    return b;
  }
  let csumOff: number;
  if (s.proto === 6) {
    b[t + 12] = 0x50;
    b[t + 13] = s.tcpFlags ?? 0x02;
    wr16(b, t + 14, 65535);
    csumOff = t + 16;
  } else {
    wr16(b, t + 4, l4Len);
    csumOff = t + 6;
  }
  const ps = v6 ? pseudoSum6(b, off, s.proto, l4Len) : pseudoSum4(b, off, s.proto, l4Len);
  let c = checksum(b, t, l4Len, ps);
  if (c === 0 && s.proto === 17) c = 0xffff;
  wr16(b, csumOff, c);
  return b;
}

/** TCP flag letters as tcpdump prints them (F S R P A U E C) -> the flags byte; undefined for anything else. */
export function parseTcpFlags(text: string): number | undefined {
  const names = 'FSRPAUEC';
  let f = 0;
  for (const ch of text.toUpperCase()) {
    const k = names.indexOf(ch);
    if (k < 0) return ch === '.' ? f : undefined;
    f |= 1 << k;
  }
  return f;
}
