/**
 * NAT (masquerading, ipvsadm -m): client->VIP packets get the real server's address/port
 * (ip_vs_nat_xmit + tcp/udp/sctp_dnat_handler), real server->client replies get the VIP:vport back
 * (handle_response + *_snat_handler). Checksums are updated incrementally (RFC 1624): IPv4 header,
 * TCP, UDP (a zero UDP-over-IPv4 checksum stays zero), the L4 pseudo-header for IPv6; SCTP gets its
 * CRC32c recomputed as sctp_nat_csum does. L4 checksums are not verified first (see drop-reasons.ts).
 * Operates on the IP packet in place; frame it afterwards with forward/l2.ts.
 */
import { DropReason } from '../packet/drop-reasons.js';
import { rewrite16, rewrite32 } from '../packet/checksum.js';
import { fillSctpChecksum } from '../packet/crc32c.js';
import { IpProto, type PacketView } from '../packet/packet-view.js';
import type { PacketBatch } from '../core/batch.js';

/** Rewrites the address at `addrOff` (1 word for v4, 4 for v6) and the port at `portOff` (port 0: keep). */
function rewriteEndpoint(buf: Uint8Array, pv: PacketView, addrOff: number, addr: Uint32Array, portOff: number, port: number): void {
  const p = pv.protocol;
  const l4Csum = pv.l4Off >= 0 && (p === IpProto.Tcp || p === IpProto.Udp) ? pv.l4CsumOff : -1;
  const udpZero = p === IpProto.Udp && pv.family === 4;
  if (pv.family === 4) {
    // Pseudo-header checksum (zero rule for UDP) and the IPv4 header checksum.
    if (l4Csum >= 0) rewrite32(buf, addrOff, addr[0], l4Csum, pv.l3Off + 10, udpZero);
    else rewrite32(buf, addrOff, addr[0], pv.l3Off + 10, -1);
  } else {
    for (let w = 0; w < 4; w++) rewrite32(buf, addrOff + w * 4, addr[w], l4Csum, -1);
  }
  if (pv.l4Off >= 0 && port !== 0 && p !== IpProto.Icmp && p !== IpProto.Icmpv6) rewrite16(buf, portOff, port, l4Csum, udpZero);
  if (p === IpProto.Sctp && pv.l4Off >= 0 && !pv.isFragment) fillSctpChecksum(buf, pv.l4Off, pv.l3End);
}

/**
 * NAT in: destination address -> `rsAddr` (4 words, v4 in word 0) and destination port -> `rsPort`
 * (0 = keep, for fwmark services). Returns 0.
 */
export function natIn(b: PacketBatch, i: number, pv: PacketView, rsAddr: Uint32Array, rsPort: number): number {
  const buf = b.buf;
  const addrOff = pv.l3Off + (pv.family === 4 ? 16 : 24);
  rewriteEndpoint(buf, pv, addrOff, rsAddr, pv.l4Off + 2, rsPort);
  return 0;
}

/** NAT out (reply from the real server): source address -> `vip`, source port -> `vport` (0 = keep). Returns 0. */
export function natOut(b: PacketBatch, i: number, pv: PacketView, vip: Uint32Array, vport: number): number {
  const buf = b.buf;
  const addrOff = pv.l3Off + (pv.family === 4 ? 12 : 8);
  rewriteEndpoint(buf, pv, addrOff, vip, pv.l4Off, vport);
  return 0;
}

/**
 * Decrements the TTL / hop limit of a packet the director routes on (ip_forward / ip6_forward: the NAT
 * reply path). Returns DropReason.TtlExpired (and leaves it) when TTL <= 1, else 0.
 */
export function decrementTtl(b: PacketBatch, i: number, pv: PacketView): number {
  const buf = b.buf;
  if (pv.family === 4) {
    const off = pv.l3Off + 8;
    const ttl = buf[off]!;
    if (ttl <= 1) return DropReason.TtlExpired;
    // RFC 1624 eqn 3 for the TTL/protocol word m -> m - 0x100: ~m + m' is always 0xfeff, so
    // HC' = ~(~HC + 0xfeff) (one fold suffices: the sum stays below 0x1ff00). csumReplace16's result.
    const c = pv.l3Off + 10;
    const s = ((buf[c]! << 8) | buf[c + 1]!) ^ 0xffff;
    let t = s + 0xfeff;
    t = (t & 0xffff) + (t >>> 16);
    t = ~t & 0xffff;
    buf[off] = ttl - 1;
    buf[c] = t >>> 8;
    buf[c + 1] = t & 0xff;
    pv.ttl = ttl - 1;
    return 0;
  }
  const off = pv.l3Off + 7;
  if (buf[off] <= 1) return DropReason.TtlExpired;
  buf[off]--;
  pv.ttl = buf[off];
  return 0;
}
