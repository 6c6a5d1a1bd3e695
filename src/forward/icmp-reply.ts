/**
 * ICMP errors the director itself sends back to the client, built in place in the packet's slot in
 * front of the quoted original (no allocation), as icmp_send / icmpv6_send build them:
 * - IPv4: source = the address the packet was sent to (the VIP, a local address), TTL 64, tos =
 *   (tos & IPTOS_TOS_MASK) | IPTOS_PREC_INTERNETCONTROL, DF clear, id 0, quote cut so the reply is
 *   at most 576 bytes (RFC 1812 §4.3.2.3).
 * - IPv6: source = the VIP, hop limit 64, traffic class 0, flow label 0, quote cut so the reply is at
 *   most 1280 bytes (RFC 4443 §2.4(c)).
 * Uses: port unreachable when no real server is available (ip_vs_leave), fragmentation needed /
 * Packet Too Big when a TUN packet does not fit (ensure_mtu_is_adequate), time exceeded when the TTL
 * runs out on the way to a real server (decrement_ttl).
 * On Ethernet the reply goes back where the frame came from: its MACs are swapped. The slot is framed
 * (start/length set) by these functions; the caller only sets the verdict.
 */
import { LinkType, type PacketBatch } from '../core/batch.js';
import { checksum, fillIpv4Checksum, sumBytes, wr16, wr32 } from '../packet/checksum.js';
import { DropReason } from '../packet/drop-reasons.js';
import type { PacketView } from '../packet/packet-view.js';

/** Largest ICMPv4 error datagram (RFC 1812 §4.3.2.3) and ICMPv6 error packet (IPv6 minimum MTU). */
export const ICMP4_ERROR_MAX = 576;
export const ICMP6_ERROR_MAX = 1280;

/** ICMPv4 informational types (echo reply/request, timestamp, info, address mask): the others are errors. */
const ICMP4_INFO_TYPES: ReadonlySet<number> = new Set([0, 8, 13, 14, 15, 16, 17, 18]);

/** ICMP type/code pairs the director sends. */
export const IcmpReply = {
  PortUnreachable4: { type: 3, code: 3 },
  FragNeeded4: { type: 3, code: 4 },
  PortUnreachable6: { type: 1, code: 4 },
  PacketTooBig6: { type: 2, code: 0 },
  TimeExceeded4: { type: 11, code: 0 },
  TimeExceeded6: { type: 3, code: 0 },
} as const;

/**
 * Replaces packet i by an ICMP error about it (type/code, `info` = the 32-bit field after the checksum:
 * next-hop MTU for frag-needed / PTB, 0 otherwise), addressed to the packet's source from its
 * destination. Returns 0 or DropReason.NoHeadroom / NotForwardable (not an IP packet).
 */
export function buildIcmpError(b: PacketBatch, i: number, pv: PacketView, type: number, code: number, info: number): number {
  if (!pv.isIp) return DropReason.NotForwardable;
  // Never an error about an error (RFC 1122 §3.2.2, RFC 4443 §2.4(e); icmp_send / icmpv6_send check it).
  if (pv.protocol === 1 && pv.icmpType >= 0 && !ICMP4_INFO_TYPES.has(pv.icmpType)) return DropReason.NotForwardable;
  if (pv.protocol === 58 && pv.icmpType >= 0 && pv.icmpType < 128) return DropReason.NotForwardable;
  const buf = b.buf;
  const v4 = pv.family === 4;
  const hdr = v4 ? 28 : 48;
  const ether = pv.l2Off >= 0 && b.linkType === LinkType.Ether;
  const o = pv.l3Off - hdr;
  if (o - (ether ? 14 : 0) < i * b.slotSize) return DropReason.NoHeadroom;
  // Save the MACs before the new headers overwrite the old Ethernet header.
  let dHi = 0,
    dLo = 0,
    sHi = 0,
    sLo = 0;
  if (ether) {
    const m = pv.l2Off;
    dHi = (buf[m] << 8) | buf[m + 1];
    dLo = ((buf[m + 2] << 24) | (buf[m + 3] << 16) | (buf[m + 4] << 8) | buf[m + 5]) >>> 0;
    sHi = (buf[m + 6] << 8) | buf[m + 7];
    sLo = ((buf[m + 8] << 24) | (buf[m + 9] << 16) | (buf[m + 10] << 8) | buf[m + 11]) >>> 0;
  }
  const quoteLen = Math.min(pv.l3End - pv.l3Off, (v4 ? ICMP4_ERROR_MAX : ICMP6_ERROR_MAX) - hdr);
  const total = hdr + quoteLen;
  const icmp = o + (v4 ? 20 : 40);
  // Addresses: reply source = original destination, reply destination = original source.
  if (v4) {
    buf[o] = 0x45;
    buf[o + 1] = (pv.tos & 0x1e) | 0xc0;
    wr16(buf, o + 2, total);
    wr16(buf, o + 4, 0);
    wr16(buf, o + 6, 0);
    buf[o + 8] = 64;
    buf[o + 9] = 1;
    wr32(buf, o + 12, pv.daddr[0]);
    wr32(buf, o + 16, pv.saddr[0]);
    fillIpv4Checksum(buf, o);
  } else {
    buf[o] = 0x60;
    buf[o + 1] = 0;
    buf[o + 2] = 0;
    buf[o + 3] = 0;
    wr16(buf, o + 4, total - 40);
    buf[o + 6] = 58;
    buf[o + 7] = 64;
    for (let w = 0; w < 4; w++) {
      wr32(buf, o + 8 + w * 4, pv.daddr[w]);
      wr32(buf, o + 24 + w * 4, pv.saddr[w]);
    }
  }
  buf[icmp] = type;
  buf[icmp + 1] = code;
  buf[icmp + 2] = 0;
  buf[icmp + 3] = 0;
  wr32(buf, icmp + 4, info >>> 0);
  const icmpLen = total - (v4 ? 20 : 40);
  const initial = v4 ? 0 : sumBytes(buf, o + 8, 32) + 58 + icmpLen;
  wr16(buf, icmp + 2, checksum(buf, icmp, icmpLen, initial));
  pv.l3Off = o;
  pv.l3End = o + total;
  pv.l3HeaderLen = v4 ? 20 : 40;
  if (ether) {
    const m = o - 14;
    buf[m] = sHi >>> 8;
    buf[m + 1] = sHi & 0xff;
    wr32(buf, m + 2, sLo);
    buf[m + 6] = dHi >>> 8;
    buf[m + 7] = dHi & 0xff;
    wr32(buf, m + 8, dLo);
    buf[m + 12] = v4 ? 0x08 : 0x86;
    buf[m + 13] = v4 ? 0x00 : 0xdd;
    pv.l2Off = m;
    b.start[i] = m;
    b.length[i] = pv.l3End - m;
  } else {
    pv.l2Off = -1;
    b.start[i] = o;
    b.length[i] = total;
  }
  return 0;
}

/** ICMP port unreachable (v4 type 3 code 3 / v6 type 1 code 4): no real server available (ip_vs_leave). */
export function buildPortUnreachable(b: PacketBatch, i: number, pv: PacketView): number {
  const r = pv.family === 4 ? IcmpReply.PortUnreachable4 : IcmpReply.PortUnreachable6;
  return buildIcmpError(b, i, pv, r.type, r.code, 0);
}

/**
 * ICMP time exceeded in transit (v4 type 11 code 0 / v6 type 3 code 0) about the client's own packet,
 * from the VIP: IPVS's decrement_ttl when a packet for a non-local real server arrives with TTL / hop
 * limit <= 1. Built before any rewrite, so the quote never shows the real server.
 */
export function buildTimeExceeded(b: PacketBatch, i: number, pv: PacketView): number {
  const r = pv.family === 4 ? IcmpReply.TimeExceeded4 : IcmpReply.TimeExceeded6;
  return buildIcmpError(b, i, pv, r.type, r.code, 0);
}

/**
 * Fragmentation needed (v4 type 3 code 4, next-hop MTU in the low 16 bits) or Packet Too Big (v6 type 2,
 * MTU, at least 1280) carrying `payloadMtu` (for TUN: tunPayloadMtu(family, routeMtu)).
 */
export function buildFragNeeded(b: PacketBatch, i: number, pv: PacketView, payloadMtu: number): number {
  if (pv.family === 4) return buildIcmpError(b, i, pv, 3, 4, payloadMtu & 0xffff);
  return buildIcmpError(b, i, pv, 2, 0, Math.max(payloadMtu, 1280));
}

/**
 * ip_vs_in_icmp's IPIP branch: an ICMP error (pv.icmpTunnel) about a packet the director tunnelled to a
 * real server becomes an ICMP error of the same type/code about the client's own packet, sent to the
 * client from the VIP. For fragmentation needed the MTU is min(quoted MTU, `routeMtu`) minus the
 * 20-byte IPIP header (when above 88), and only when the client's packet had DF (else NotForwardable:
 * IPVS ignores it). Leaves slot i holding the bare IP packet (pv.l3Off/l3End, l2Off -1): the caller
 * frames it towards the client (frameEther) or hands it back (frameIp). Returns 0 or a DropReason.
 */
export function buildTunnelIcmpReply(b: PacketBatch, i: number, pv: PacketView, routeMtu: number): number {
  if (!pv.icmpTunnel || pv.family !== 4 || !pv.icmpError) return DropReason.NotForwardable;
  const buf = b.buf;
  const icmp = pv.l4Off;
  const type = pv.icmpType;
  const code = pv.icmpCode;
  let info = ((buf[icmp + 4] << 24) | (buf[icmp + 5] << 16) | (buf[icmp + 6] << 8) | buf[icmp + 7]) >>> 0;
  const q = pv.innerL3Off;
  if (type === 3 && code === 4) {
    if ((buf[q + 6] & 0x40) === 0) return DropReason.NotForwardable; // client does not use PMTUD
    const quoted = (buf[icmp + 6] << 8) | buf[icmp + 7];
    let mtu = quoted !== 0 ? Math.min(quoted, routeMtu) : routeMtu;
    if (mtu > 68 + 20) mtu -= 20;
    info = mtu;
  }
  // Describe the client's quoted packet as "the packet" the error is about.
  pv.l3Off = q;
  pv.l3HeaderLen = (buf[q] & 0x0f) * 4;
  pv.saddr[0] = pv.inner.saddr[0];
  pv.daddr[0] = pv.inner.daddr[0];
  pv.tos = buf[q + 1];
  pv.protocol = pv.inner.protocol;
  pv.icmpType = -1;
  pv.icmpCode = -1;
  pv.icmpError = false;
  pv.icmpTunnel = false;
  pv.l2Off = -1;
  return buildIcmpError(b, i, pv, type, code, info);
}
