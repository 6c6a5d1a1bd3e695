/**
 * NAT of ICMP errors about a masqueraded connection, both ways, as ip_vs_nat_icmp / ip_vs_nat_icmp_v6:
 * - in (error from the client side, about a reply the director sent as VIP:vport): outer destination
 *   -> real server, quoted source address -> real server, quoted source port -> real server port;
 * - out (error from the real-server side, about a packet the director sent to the real server): outer
 *   source -> VIP, quoted destination address -> VIP, quoted destination port -> vport.
 * The quoted IPv4 header checksum is recomputed, the quoted TCP/UDP checksum is left as the kernel
 * leaves it, and the ICMP checksum is recomputed over the whole message (with the IPv6 pseudo-header
 * for ICMPv6). Requires pv.icmpError (parse filled pv.inner*). Frame afterwards with forward/l2.ts.
 */
import type { PacketBatch } from '../core/batch.js';
import { checksum, fillIpv4Checksum, rewrite32, sumBytes, wr16, wr32 } from '../packet/checksum.js';
import { DropReason } from '../packet/drop-reasons.js';
import { IpProto, type PacketView } from '../packet/packet-view.js';

function writeAddr(buf: Uint8Array, off: number, addr: Uint32Array, family: 4 | 6): void {
  if (family === 4) wr32(buf, off, addr[0]);
  else for (let w = 0; w < 4; w++) wr32(buf, off + w * 4, addr[w]);
}

function fillIcmpChecksum(buf: Uint8Array, pv: PacketView): void {
  const off = pv.l4Off;
  const len = pv.l3End - off;
  buf[off + 2] = 0;
  buf[off + 3] = 0;
  const initial = pv.family === 6 ? sumBytes(buf, pv.l3Off + 8, 32) + IpProto.Icmpv6 + len : 0;
  wr16(buf, off + 2, checksum(buf, off, len, initial));
}

function natIcmp(b: PacketBatch, pv: PacketView, addr: Uint32Array, port: number, out: boolean): number {
  if (!pv.icmpError || pv.l4Off < 0) return DropReason.NotForwardable;
  const buf = b.buf;
  const v4 = pv.family === 4;
  // Outer header: source (out) or destination (in).
  const outerOff = pv.l3Off + (v4 ? (out ? 12 : 16) : out ? 8 : 24);
  if (v4) rewrite32(buf, outerOff, addr[0], pv.l3Off + 10, -1);
  else writeAddr(buf, outerOff, addr, 6);
  // Quoted header: destination (out) or source (in), then its port.
  const q = pv.innerL3Off;
  const innerV4 = pv.inner.family === 4;
  writeAddr(buf, q + (innerV4 ? (out ? 16 : 12) : out ? 24 : 8), addr, pv.inner.family);
  if (innerV4) fillIpv4Checksum(buf, q);
  if (port !== 0) wr16(buf, pv.innerL4Off + (out ? 2 : 0), port);
  fillIcmpChecksum(buf, pv);
  return 0;
}

/** ICMP error arriving for the VIP about a NAT connection: rewrite towards the real server `rsAddr`:`rsPort`. */
export function natIcmpIn(b: PacketBatch, i: number, pv: PacketView, rsAddr: Uint32Array, rsPort: number): number {
  return natIcmp(b, pv, rsAddr, rsPort, false);
}

/** ICMP error from the real-server side about a NAT connection: rewrite so it comes from `vip`:`vport`. */
export function natIcmpOut(b: PacketBatch, i: number, pv: PacketView, vip: Uint32Array, vport: number): number {
  return natIcmp(b, pv, vip, vport, true);
}
