/**
 * TUN (ipvsadm -i, ipip): encapsulates the packet in IPv4 (protocol 4) or IPv6 (next header 41) to the
 * real server, as ip_vs_tunnel_xmit / ip_vs_tunnel_xmit_v6:
 * - IPv4 outer: tos = inner DSCP with INET_ECN_encapsulate (CE -> ECT(0)), DF copied from the inner
 *   packet (pmtu_disc=1), TTL = inner TTL, id 0 when DF is set (ip_select_ident without a socket) else
 *   the inner id, source = the director's local address, destination = the real server.
 * - IPv6 outer: traffic class from the inner one (same ECN rule), flow label 0, hop limit = inner.
 * MTU (ensure_mtu_is_adequate): the payload MTU is mtu - 20 (v4) / mtu - 40 (v6). A larger IPv4 packet
 * with DF, or any larger IPv6 packet, is refused with TunFragNeeded: the caller answers the client with
 * `buildFragNeeded` (forward/icmp-reply.ts) and drops it. IPv4 without DF would be fragmented by the
 * kernel; we refuse it with TunTooBig (outer fragmentation is not implemented). ICMP errors being
 * relayed never trigger frag-needed (ip_vs_iph_icmp).
 */
import type { PacketBatch } from '../core/batch.js';
import { fillIpv4Checksum, wr16, wr32 } from '../packet/checksum.js';
import { DropReason } from '../packet/drop-reasons.js';
import type { PacketView } from '../packet/packet-view.js';

/** Outer header sizes in bytes. */
export const TUN_OVERHEAD_V4 = 20;
export const TUN_OVERHEAD_V6 = 40;

/** INET_ECN_encapsulate(inner, inner): outer ECN = inner ECN unless inner is CE (3), then ECT(0) (2). */
function ecnEncapsulate(tos: number): number {
  return (tos & 3) === 3 ? (tos & ~3) | 2 : tos;
}

/**
 * The payload MTU a tunnelled packet must fit in for route MTU `mtu`: the value a frag-needed /
 * Packet Too Big message carries.
 */
export function tunPayloadMtu(family: 4 | 6, mtu: number): number {
  return mtu - (family === 4 ? TUN_OVERHEAD_V4 : TUN_OVERHEAD_V6);
}

/**
 * Encapsulates packet i (parsed into pv) towards `rsAddr` from `localAddr` (4 words each, v4 in word 0).
 * On success pv.l3Off/l3End describe the outer packet and 0 is returned; otherwise a DropReason
 * (TunFragNeeded, TunTooBig, NoHeadroom) and the packet is unchanged.
 */
export function tunEncap(b: PacketBatch, i: number, pv: PacketView, localAddr: Uint32Array, rsAddr: Uint32Array, mtu: number): number {
  const buf = b.buf;
  const innerLen = pv.l3End - pv.l3Off;
  const v4 = pv.family === 4;
  const hdr = v4 ? TUN_OVERHEAD_V4 : TUN_OVERHEAD_V6;
  if (innerLen > mtu - hdr) {
    if (!pv.icmpError && (!v4 || pv.dontFragment)) return DropReason.TunFragNeeded;
    return DropReason.TunTooBig;
  }
  const o = pv.l3Off - hdr;
  if (o < i * b.slotSize) return DropReason.NoHeadroom;
  const tos = ecnEncapsulate(pv.tos);
  if (v4) {
    buf[o] = 0x45;
    buf[o + 1] = tos;
    wr16(buf, o + 2, innerLen + hdr);
    wr16(buf, o + 4, pv.dontFragment ? 0 : pv.ipId);
    wr16(buf, o + 6, pv.dontFragment ? 0x4000 : 0);
    buf[o + 8] = pv.ttl;
    buf[o + 9] = 4;
    wr32(buf, o + 12, localAddr[0]);
    wr32(buf, o + 16, rsAddr[0]);
    fillIpv4Checksum(buf, o);
  } else {
    buf[o] = 0x60 | (tos >> 4);
    buf[o + 1] = (tos & 0x0f) << 4;
    buf[o + 2] = 0;
    buf[o + 3] = 0;
    wr16(buf, o + 4, innerLen);
    buf[o + 6] = 41;
    buf[o + 7] = pv.ttl;
    for (let w = 0; w < 4; w++) {
      wr32(buf, o + 8 + w * 4, localAddr[w]);
      wr32(buf, o + 24 + w * 4, rsAddr[w]);
    }
  }
  pv.l3Off = o;
  pv.l3HeaderLen = hdr;
  return 0;
}
