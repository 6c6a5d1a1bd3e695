/**
 * ICMP / ICMPv6 parsing, including the packet quoted in an error (RFC 792, RFC 4443 §2.4(c)).
 * Mirrors what ip_vs_in_icmp / ip_vs_in_icmp_v6 examine: only error types, checksum verified, the
 * quoted IP header plus the first 4 bytes (ports) of its TCP/UDP/SCTP header.
 */
import { DropReason } from './drop-reasons.js';
import { foldSum, rd16, rd32, sumBytes } from './checksum.js';
import { IpProto, type PacketView } from './packet-view.js';

/** ICMPv4 types IPVS relates to connections (ip_vs_in_icmp). */
function isIpvsIcmp4Error(type: number): boolean {
  return type === 3 || type === 4 || type === 11;
}

/** Parses the ICMP header at `off`; fills pv.icmp* and, for errors, pv.inner. Returns a DropReason. */
export function parseIcmp(pv: PacketView, buf: Uint8Array, off: number, end: number): number {
  if (off + 8 > end) return DropReason.IcmpTruncated;
  const type = buf[off];
  pv.icmpType = type;
  pv.icmpCode = buf[off + 1];
  pv.l4CsumOff = off + 2;
  pv.payloadOff = off + 8;
  const v6 = pv.protocol === IpProto.Icmpv6;
  if (v6 !== (pv.family === 6)) return 0; // ICMP in v6 or ICMPv6 in v4: not an error we relate
  const isError = v6 ? type < 128 : isIpvsIcmp4Error(type);
  if (!isError) return 0;
  const len = end - off;
  const initial = v6 ? sumBytes(buf, pv.l3Off + 8, 32) + IpProto.Icmpv6 + len : 0;
  if (foldSum(sumBytes(buf, off, len, initial)) !== 0xffff) return DropReason.IcmpBadChecksum;
  const q = off + 8;
  const r = v6 ? parseQuote6(pv, buf, q, end) : parseQuote4(pv, buf, q, end);
  if (r === 0) pv.icmpError = true;
  return r;
}

function quotedPorts(pv: PacketView, buf: Uint8Array, l4: number, end: number): number {
  const p = pv.inner.protocol;
  if (p !== IpProto.Tcp && p !== IpProto.Udp && p !== IpProto.Sctp) return DropReason.IcmpBadQuote;
  if (l4 + 4 > end) return DropReason.IcmpBadQuote;
  pv.innerL4Off = l4;
  pv.inner.sport = rd16(buf, l4);
  pv.inner.dport = rd16(buf, l4 + 2);
  return 0;
}

function parseQuote4(pv: PacketView, buf: Uint8Array, q: number, end: number): number {
  if (q + 20 > end || buf[q] >> 4 !== 4) return DropReason.IcmpBadQuote;
  let ihl = (buf[q] & 0x0f) * 4;
  if (ihl < 20 || q + ihl > end) return DropReason.IcmpBadQuote;
  if ((rd16(buf, q + 6) & 0x1fff) !== 0) return DropReason.IcmpQuoteFragment;
  if (buf[q + 9] === IpProto.Ipip) {
    // An error about a packet we tunnelled (ip_vs_in_icmp's IPIP branch): describe the client's packet
    // quoted inside the quoted IPIP header.
    const q2 = q + ihl;
    if (q2 + 20 > end || buf[q2] >> 4 !== 4) return DropReason.IcmpBadQuote;
    const ihl2 = (buf[q2] & 0x0f) * 4;
    if (ihl2 < 20 || q2 + ihl2 > end) return DropReason.IcmpBadQuote;
    if ((rd16(buf, q2 + 6) & 0x1fff) !== 0) return DropReason.IcmpQuoteFragment;
    pv.icmpTunnel = true;
    pv.tunnelQuoteOff = q;
    q = q2;
    ihl = ihl2;
  }
  const inner = pv.inner;
  inner.family = 4;
  inner.protocol = buf[q + 9];
  inner.saddr[0] = rd32(buf, q + 12);
  inner.daddr[0] = rd32(buf, q + 16);
  inner.saddr[1] = inner.saddr[2] = inner.saddr[3] = 0;
  inner.daddr[1] = inner.daddr[2] = inner.daddr[3] = 0;
  pv.innerL3Off = q;
  return quotedPorts(pv, buf, q + ihl, end);
}

function parseQuote6(pv: PacketView, buf: Uint8Array, q: number, end: number): number {
  if (q + 40 > end || buf[q] >> 4 !== 6) return DropReason.IcmpBadQuote;
  const inner = pv.inner;
  inner.family = 6;
  for (let w = 0; w < 4; w++) {
    inner.saddr[w] = rd32(buf, q + 8 + w * 4);
    inner.daddr[w] = rd32(buf, q + 24 + w * 4);
  }
  pv.innerL3Off = q;
  // Bounded walk of the quoted extension headers (the quote may be cut anywhere).
  let next = buf[q + 6];
  let off = q + 40;
  for (let n = 0; n <= 8; n++) {
    if (next === IpProto.HopByHop || next === IpProto.Routing || next === IpProto.DestOpts) {
      if (off + 8 > end) return DropReason.IcmpBadQuote;
      next = buf[off];
      off += (buf[off + 1] + 1) * 8;
    } else if (next === IpProto.Fragment) {
      if (off + 8 > end) return DropReason.IcmpBadQuote;
      if ((rd16(buf, off + 2) & 0xfff8) !== 0) return DropReason.IcmpQuoteFragment;
      next = buf[off];
      off += 8;
    } else {
      inner.protocol = next;
      return quotedPorts(pv, buf, off, end);
    }
  }
  return DropReason.IcmpBadQuote;
}
