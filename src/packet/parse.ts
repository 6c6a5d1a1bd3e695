/**
 * Zero-copy parser: Ethernet (+802.1Q/QinQ), ARP, IPv4 (options, fragments), IPv6 (extension headers,
 * bounded walk), TCP, UDP, SCTP ports, ICMP/ICMPv6 (with the quoted packet of an error). It fills a
 * reused PacketView and returns a DropReason code (0 = parsed). It never throws and never reads outside
 * [start, start+length): every read is preceded by a bounds check.
 */
import { DropReason } from './drop-reasons.js';
import { foldSum, ipv4ChecksumOk, rd16, rd32, sumBytes } from './checksum.js';
import { EtherType, IpProto, type PacketView } from './packet-view.js';
import { parseIcmp } from './parse-icmp.js';
import { LinkType } from '../core/batch.js';

/** Bound on the IPv6 extension-header walk (Linux uses a similar small bound in ipv6_skip_exthdr callers). */
export const MAX_IPV6_EXT_HEADERS = 8;

/**
 * Parses the packet at buf[start, start+length) into `pv`. `linkType` says whether it starts with Ethernet.
 * Returns 0 or the DropReason of the first fatal problem (pv is then only partly filled).
 */
export function parsePacket(pv: PacketView, buf: Uint8Array, start: number, length: number, linkType: LinkType): number {
  pv.reset();
  const end = start + length;
  if (end > buf.length || start < 0 || length < 0) return DropReason.EthTruncated;
  let off = start;
  let etherType: number;
  if (linkType === LinkType.Ether) {
    if (length < 14) return DropReason.EthTruncated;
    pv.l2Off = start;
    etherType = rd16(buf, start + 12);
    off = start + 14;
    for (let tags = 0; (etherType === EtherType.Vlan || etherType === EtherType.QinQ) && tags < 2; tags++) {
      if (off + 4 > end) return DropReason.EthTruncated;
      if (pv.vlanTci < 0) pv.vlanTci = rd16(buf, off);
      etherType = rd16(buf, off + 2);
      off += 4;
    }
  } else {
    if (length < 1) return DropReason.Ipv4Truncated;
    const v = buf[start] >> 4;
    etherType = v === 6 ? EtherType.Ipv6 : EtherType.Ipv4;
  }
  pv.etherType = etherType;
  pv.l3Off = off;
  if (etherType === EtherType.Ipv4) return parseIpv4(pv, buf, off, end);
  if (etherType === EtherType.Ipv6) return parseIpv6(pv, buf, off, end);
  if (etherType === EtherType.Arp) return parseArp(pv, buf, off, end);
  return DropReason.UnknownEtherType;
}

function parseArp(pv: PacketView, buf: Uint8Array, off: number, end: number): number {
  // RFC 826 for Ethernet/IPv4: htype(2) ptype(2) hlen(1) plen(1) op(2) sha(6) spa(4) tha(6) tpa(4) = 28 bytes.
  if (off + 28 > end) return DropReason.ArpTruncated;
  pv.arpOp = rd16(buf, off + 6);
  pv.arpSpa = rd32(buf, off + 14);
  pv.arpTpa = rd32(buf, off + 24);
  pv.l3End = off + 28;
  return 0;
}

function parseIpv4(pv: PacketView, buf: Uint8Array, off: number, end: number): number {
  if (off + 20 > end) return DropReason.Ipv4Truncated;
  const b0 = buf[off];
  if (b0 >> 4 !== 4) return DropReason.IpBadVersion;
  const ihl = (b0 & 0x0f) * 4;
  if (ihl < 20 || off + ihl > end) return DropReason.Ipv4BadIhl;
  const totalLen = rd16(buf, off + 2);
  // A shorter total length than the frame is Ethernet padding (the kernel trims it); longer is bad.
  if (totalLen < ihl || off + totalLen > end) return DropReason.Ipv4BadTotalLength;
  if (!ipv4ChecksumOk(buf, off, ihl)) return DropReason.Ipv4BadChecksum;
  if (ihl > 20 && !ipv4OptionsOk(buf, off + 20, off + ihl)) return DropReason.Ipv4BadOptions;
  pv.isIp = true;
  pv.family = 4;
  pv.l3HeaderLen = ihl;
  pv.l3End = off + totalLen;
  pv.tos = buf[off + 1];
  pv.ipId = rd16(buf, off + 4);
  const frag = rd16(buf, off + 6);
  pv.dontFragment = (frag & 0x4000) !== 0;
  pv.fragOffset = (frag & 0x1fff) * 8;
  pv.isFragment = (frag & 0x3fff) !== 0;
  pv.ttl = buf[off + 8];
  pv.protocol = buf[off + 9];
  // Signed int32 stores: Uint32Array conversion without boxing numbers >= 2^31.
  pv.saddr[0] = (buf[off + 12] << 24) | (buf[off + 13] << 16) | (buf[off + 14] << 8) | buf[off + 15];
  pv.daddr[0] = (buf[off + 16] << 24) | (buf[off + 17] << 16) | (buf[off + 18] << 8) | buf[off + 19];
  if (pv.fragOffset !== 0) return DropReason.IpFragmentNonFirst;
  return parseL4(pv, buf, off + ihl, pv.l3End);
}

/** Walks IPv4 options (RFC 791 §3.1): EOL ends, NOP is one byte, others need 2 <= len <= remaining. */
function ipv4OptionsOk(buf: Uint8Array, off: number, end: number): boolean {
  while (off < end) {
    const type = buf[off];
    if (type === 0) return true;
    if (type === 1) {
      off++;
      continue;
    }
    if (off + 1 >= end) return false;
    const len = buf[off + 1];
    if (len < 2 || off + len > end) return false;
    off += len;
  }
  return true;
}

function parseIpv6(pv: PacketView, buf: Uint8Array, off: number, end: number): number {
  if (off + 40 > end) return DropReason.Ipv6Truncated;
  if (buf[off] >> 4 !== 6) return DropReason.IpBadVersion;
  const payloadLen = rd16(buf, off + 4);
  // payload length 0 = jumbogram (RFC 2675), not supported on these links.
  if (payloadLen === 0 && end - off > 40) return DropReason.Ipv6BadPayloadLength;
  if (off + 40 + payloadLen > end) return DropReason.Ipv6BadPayloadLength;
  pv.isIp = true;
  pv.family = 6;
  pv.l3HeaderLen = 40;
  pv.l3End = off + 40 + payloadLen;
  pv.tos = ((buf[off] & 0x0f) << 4) | (buf[off + 1] >> 4);
  pv.ttl = buf[off + 7];
  for (let w = 0; w < 4; w++) {
    const a = off + 8 + w * 4;
    const d = off + 24 + w * 4;
    pv.saddr[w] = (buf[a] << 24) | (buf[a + 1] << 16) | (buf[a + 2] << 8) | buf[a + 3];
    pv.daddr[w] = (buf[d] << 24) | (buf[d + 1] << 16) | (buf[d + 2] << 8) | buf[d + 3];
  }
  const r = walkIpv6Ext(buf, off, pv.l3End, pv);
  if (r !== 0) return r;
  return parseL4(pv, buf, pv.l4Off, pv.l3End);
}

/**
 * Walks the extension-header chain of the IPv6 header at `l3Off` (RFC 8200 §4), at most
 * MAX_IPV6_EXT_HEADERS headers. On success stores the final protocol in pv.protocol and its offset in
 * pv.l4Off, fragment info in pv.isFragment/fragOffset/ipId; returns a DropReason otherwise.
 */
export function walkIpv6Ext(buf: Uint8Array, l3Off: number, l3End: number, pv: PacketView): number {
  let next = buf[l3Off + 6];
  let off = l3Off + 40;
  for (let n = 0; ; n++) {
    if (next === IpProto.HopByHop && n !== 0) return DropReason.Ipv6HopByHopNotFirst;
    switch (next) {
      case IpProto.HopByHop:
      case IpProto.Routing:
      case IpProto.DestOpts:
      case IpProto.Mobility:
      case IpProto.Hip:
      case IpProto.Shim6: {
        if (n >= MAX_IPV6_EXT_HEADERS) return DropReason.Ipv6ExtLimit;
        if (off + 8 > l3End) return DropReason.Ipv6ExtTruncated;
        const len = (buf[off + 1] + 1) * 8;
        if (off + len > l3End) return DropReason.Ipv6ExtTruncated;
        next = buf[off];
        off += len;
        break;
      }
      case IpProto.Ah: {
        if (n >= MAX_IPV6_EXT_HEADERS) return DropReason.Ipv6ExtLimit;
        if (off + 8 > l3End) return DropReason.Ipv6ExtTruncated;
        const len = (buf[off + 1] + 2) * 4;
        if (off + len > l3End) return DropReason.Ipv6ExtTruncated;
        next = buf[off];
        off += len;
        break;
      }
      case IpProto.Fragment: {
        if (n >= MAX_IPV6_EXT_HEADERS) return DropReason.Ipv6ExtLimit;
        if (off + 8 > l3End) return DropReason.Ipv6ExtTruncated;
        const fo = rd16(buf, off + 2);
        pv.isFragment = true;
        pv.fragOffset = fo & 0xfff8;
        pv.ipId = rd32(buf, off + 4) & 0xffff;
        next = buf[off];
        off += 8;
        if (pv.fragOffset !== 0) {
          pv.protocol = next;
          return DropReason.IpFragmentNonFirst;
        }
        break;
      }
      default:
        pv.protocol = next;
        pv.l4Off = off;
        return 0;
    }
  }
}

/** Parses the transport header at `off` (inside the IP packet ending at `end`). */
function parseL4(pv: PacketView, buf: Uint8Array, off: number, end: number): number {
  pv.l4Off = off;
  pv.payloadOff = off;
  switch (pv.protocol) {
    case IpProto.Tcp: {
      if (off + 20 > end) return DropReason.TcpTruncated;
      const doff = (buf[off + 12] >> 4) * 4;
      if (doff < 20 || off + doff > end) return DropReason.TcpBadDataOffset;
      pv.sport = rd16(buf, off);
      pv.dport = rd16(buf, off + 2);
      pv.tcpFlags = buf[off + 13];
      pv.l4CsumOff = off + 16;
      pv.payloadOff = off + doff;
      if (doff > 20 && !tcpOptionsOk(buf, off + 20, off + doff)) pv.anomaly = DropReason.TcpBadOptions;
      return 0;
    }
    case IpProto.Udp: {
      if (off + 8 > end) return DropReason.UdpTruncated;
      pv.sport = rd16(buf, off);
      pv.dport = rd16(buf, off + 2);
      pv.l4CsumOff = off + 6;
      pv.payloadOff = off + 8;
      const ulen = rd16(buf, off + 4);
      if (ulen < 8 || ulen > end - off) pv.anomaly = DropReason.UdpBadLength;
      else if (pv.family === 6 && rd16(buf, off + 6) === 0) pv.anomaly = DropReason.Udp6ZeroChecksum;
      return 0;
    }
    case IpProto.Sctp: {
      // RFC 9260 §3.1: common header = sport(2) dport(2) vtag(4) crc32c(4).
      if (off + 12 > end) return DropReason.UdpTruncated;
      pv.sport = rd16(buf, off);
      pv.dport = rd16(buf, off + 2);
      pv.payloadOff = off + 12;
      return 0;
    }
    case IpProto.Icmp:
    case IpProto.Icmpv6:
      return parseIcmp(pv, buf, off, end);
    default:
      return 0;
  }
}

/** Walks TCP options (RFC 9293 §3.2): EOL ends, NOP is one byte, others need 2 <= len <= remaining. */
function tcpOptionsOk(buf: Uint8Array, off: number, end: number): boolean {
  while (off < end) {
    const kind = buf[off];
    if (kind === 0) return true;
    if (kind === 1) {
      off++;
      continue;
    }
    if (off + 1 >= end) return false;
    const len = buf[off + 1];
    if (len < 2 || off + len > end) return false;
    off += len;
  }
  return true;
}

/**
 * Strict TCP/UDP checksum check of a parsed packet (IPVS does not do this on the forwarding path; see
 * drop-reasons.ts). True when correct, when there is no checksum (UDP over IPv4 with 0) or no L4 header.
 */
export function verifyL4Checksum(pv: PacketView, buf: Uint8Array): boolean {
  if (pv.l4CsumOff < 0 || pv.l4Off < 0 || pv.isFragment) return true;
  const len = pv.l3End - pv.l4Off;
  if (pv.protocol === IpProto.Udp && pv.family === 4 && rd16(buf, pv.l4CsumOff) === 0) return true;
  const ps = pv.family === 4 ? sumBytes(buf, pv.l3Off + 12, 8) + pv.protocol + len : sumBytes(buf, pv.l3Off + 8, 32) + pv.protocol + len;
  return foldSum(sumBytes(buf, pv.l4Off, len, ps)) === 0xffff;
}
