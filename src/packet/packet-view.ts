/**
 * The reusable parse result: one PacketView per worker, refilled by `parsePacket` for every packet.
 * All offsets are absolute indexes into the buffer that was parsed (the batch's `buf`). A PacketView
 * is also the scheduler's `FlowKey` (family, protocol, saddr/sport, daddr/dport) for the outer packet;
 * `inner` is the FlowKey of the packet quoted inside an ICMP error (as quoted, not reversed).
 */
import type { FlowKey } from '../core/flow-key.js';

/** EtherTypes the codec knows (IEEE 802.3 / IANA). */
export const EtherType = { Ipv4: 0x0800, Arp: 0x0806, Vlan: 0x8100, QinQ: 0x88a8, Ipv6: 0x86dd } as const;

/** IP protocol numbers used here (IANA). */
export const IpProto = {
  HopByHop: 0,
  Icmp: 1,
  Ipip: 4,
  Tcp: 6,
  Udp: 17,
  Ipv6: 41,
  Routing: 43,
  Fragment: 44,
  Esp: 50,
  Ah: 51,
  Icmpv6: 58,
  NoNext: 59,
  DestOpts: 60,
  Sctp: 132,
  Mobility: 135,
  Hip: 139,
  Shim6: 140,
} as const;

/** TCP flag bits of byte 13 of the TCP header (RFC 9293 §3.1). */
export const TcpFlag = { Fin: 0x01, Syn: 0x02, Rst: 0x04, Psh: 0x08, Ack: 0x10, Urg: 0x20, Ece: 0x40, Cwr: 0x80 } as const;

/** The 5-tuple of the packet quoted in an ICMP error; its own storage, reused. */
export class InnerFlow implements FlowKey {
  family: 4 | 6 = 4;
  protocol = 0;
  saddr = new Uint32Array(4);
  sport = 0;
  daddr = new Uint32Array(4);
  dport = 0;
}

/** Parse result of one frame or bare IP packet; see the module comment. Never keep references to it. */
export class PacketView implements FlowKey {
  /** Offset of the Ethernet header, or -1 for a bare IP packet. */
  l2Off = -1;
  /** 802.1Q TCI of the (outer) VLAN tag, or -1 when untagged. */
  vlanTci = -1;
  /** EtherType after any VLAN tags (0x0800/0x86dd for bare IP packets). */
  etherType = 0;
  /** True when the frame carries IPv4 or IPv6 and the IP header parsed. */
  isIp = false;
  /** IP version of the outer packet (valid when isIp). */
  family: 4 | 6 = 4;
  /** Offset of the IP (or ARP) header. */
  l3Off = 0;
  /** IPv4 IHL in bytes / 40 for IPv6 (without extension headers). */
  l3HeaderLen = 0;
  /** End (exclusive) of the IP packet per its length field; Ethernet padding beyond it is ignored. */
  l3End = 0;
  /** Final transport protocol (after IPv6 extension headers). */
  protocol = 0;
  /** Offset of the transport header, or -1 when there is none (non-first fragment). */
  l4Off = -1;
  /** Offset of the transport payload. */
  payloadOff = 0;
  /** Offset of the transport checksum field, or -1 (none / not parsed). */
  l4CsumOff = -1;
  saddr = new Uint32Array(4);
  daddr = new Uint32Array(4);
  sport = 0;
  dport = 0;
  /** TCP flags byte (0 for other protocols). */
  tcpFlags = 0;
  /** TTL (IPv4) or hop limit (IPv6). */
  ttl = 0;
  /** IPv4 TOS / IPv6 traffic class (DSCP + ECN). */
  tos = 0;
  /** IPv4 identification (IPv6: fragment header identification low 16 bits, else 0). */
  ipId = 0;
  /** IPv4 DF bit. */
  dontFragment = false;
  /** True when the packet is a fragment (MF set or offset > 0; IPv6 fragment header present). */
  isFragment = false;
  /** Fragment offset in bytes. */
  fragOffset = 0;
  /** ICMP/ICMPv6 type and code, -1 when not ICMP. */
  icmpType = -1;
  icmpCode = -1;
  /** True for an ICMP error IPVS examines (v4: dest-unreach, source-quench, time-exceeded; v6: types 1-4) whose quote parsed. */
  icmpError = false;
  /** Offset of the quoted IP header and its transport header inside an ICMP error (valid when icmpError). */
  innerL3Off = 0;
  innerL4Off = 0;
  /** Tuple of the quoted packet (valid when icmpError). */
  inner = new InnerFlow();
  /**
   * True when the ICMP error quotes an IPIP packet (one the director tunnelled to a real server): then
   * `tunnelQuoteOff` is the quoted outer header and innerL3Off/inner describe the client's packet inside.
   */
  icmpTunnel = false;
  tunnelQuoteOff = 0;
  /** ARP opcode and IPv4 sender/target addresses (valid when etherType is ARP). */
  arpOp = 0;
  arpSpa = 0;
  arpTpa = 0;
  /** First non-fatal anomaly found (a DropReason with ipvs "pass"), 0 if none: count it, forward anyway. */
  anomaly = 0;

  /** Resets the per-packet fields that a parse may leave untouched. */
  reset(): void {
    this.l2Off = -1;
    this.vlanTci = -1;
    this.etherType = 0;
    this.isIp = false;
    this.l3End = 0;
    this.protocol = 0;
    this.l4Off = -1;
    this.l4CsumOff = -1;
    this.sport = 0;
    this.dport = 0;
    this.tcpFlags = 0;
    this.ttl = 0;
    this.tos = 0;
    this.ipId = 0;
    this.dontFragment = false;
    this.isFragment = false;
    this.fragOffset = 0;
    this.icmpType = -1;
    this.icmpCode = -1;
    this.icmpError = false;
    this.icmpTunnel = false;
    this.anomaly = 0;
    this.saddr[1] = this.saddr[2] = this.saddr[3] = 0;
    this.daddr[1] = this.daddr[2] = this.daddr[3] = 0;
  }
}
