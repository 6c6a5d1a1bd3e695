/**
 * DR (direct routing, ipvsadm -g): the IP packet is untouched (ip_vs_dr_xmit only re-routes it to the
 * real server); on Ethernet the destination MAC becomes the real server's and the source MAC the
 * director's. On a bare-IP link (NFQUEUE) there is nothing to rewrite: the caller gives the packet
 * back unchanged (Verdict.Accept) with a fwmark that routes it to the real server.
 */
import { LinkType, type PacketBatch } from '../core/batch.js';
import type { PacketView } from '../packet/packet-view.js';
import { frameEther, frameIp } from './l2.js';

/**
 * Applies DR to packet i (parsed into pv): Ethernet frames get a fresh header
 * rsMac <- directorMac (VLAN tag removed, padding trimmed); bare IP packets are left as they are.
 * Returns 0 or a DropReason (NoHeadroom).
 */
export function forwardDr(b: PacketBatch, i: number, pv: PacketView, rsMac: Uint8Array, directorMac: Uint8Array): number {
  if (b.linkType === LinkType.Ether) return frameEther(b, i, pv, rsMac, 0, directorMac, 0);
  frameIp(b, i, pv);
  return 0;
}
