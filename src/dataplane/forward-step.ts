/**
 * The forwarding step of the pipeline: a client->real-server packet by its dest's method (DR, NAT, TUN,
 * local; decrement_ttl and time exceeded, frag-needed for TUN), a NAT reply towards the client (egress
 * route and neighbour), ICMP errors the director originates sent back, and unresolved next hops
 * dropped and remembered. Each sets packet i's verdict and returns its reason code.
 */
import { LinkType, Verdict, type PacketBatch } from '../core/batch.js';
import type { PacketView } from '../packet/packet-view.js';
import { DropReason } from '../packet/drop-reasons.js';
import { natIn, natOut, decrementTtl } from '../forward/nat.js';
import { tunEncap, tunPayloadMtu } from '../forward/tun.js';
import { frameEther, frameEtherWords, frameIp } from '../forward/l2.js';
import { buildFragNeeded, buildTimeExceeded } from '../forward/icmp-reply.js';
import { Fwd } from '../table/layout.js';
import { Egress, type Snapshot, type SnapDest } from './snapshot.js';
import type { PipelineContext } from './pipeline-context.js';

/** Drops packet i for an unresolved next hop, remembering the next hop so it gets resolved. */
export function unresolved(b: PacketBatch, i: number, c: PipelineContext, v6: boolean, nextHop: Int32Array): number {
  c.misses.add(v6, nextHop);
  b.verdict[i] = Verdict.Drop;
  return DropReason.NeighUnresolved;
}

/**
 * Sends the ICMP error just built in slot i to the client: on Ethernet back out of the ingress
 * interface; on NFQUEUE the bare reply (source VIP, a local address: accept_local is set) replaces the
 * queued packet and the kernel routes it to the client, as icmp_send's reply would be.
 */
export function replyIcmp(b: PacketBatch, i: number, pv: PacketView, built: number, reason: number): number {
  if (built !== 0) {
    b.verdict[i] = Verdict.Drop;
    return reason;
  }
  if (b.linkType === LinkType.Ether) {
    b.verdict[i] = Verdict.Transmit;
    b.outIfindex[i] = b.ifindex[i]!;
  } else {
    b.verdict[i] = Verdict.AcceptModified;
  }
  return reason;
}

/** Forwards a client->real-server packet (already counted) to `dest` by its method. */
export function forwardIn(b: PacketBatch, i: number, snap: Snapshot, c: PipelineContext, dest: SnapDest | undefined): number {
  const pv = c.pv;
  if (dest === undefined) {
    b.verdict[i] = Verdict.Drop;
    return DropReason.DestUnavailable;
  }
  const ether = b.linkType === LinkType.Ether;
  if (dest.fwd !== Fwd.Local) {
    // IPVS's decrement_ttl, at the route lookup for a non-local real server (every method): TTL <= 1
    // gets time exceeded from the VIP about the client's packet as it came (no real server in the
    // quote). Otherwise the TTL drops by one here, unless the kernel forwards the packet after
    // NFQUEUE (NAT and DR: ip_forward decrements it); TUN decrements the inner header, as IPVS does.
    if (pv.ttl <= 1) return replyIcmp(b, i, pv, buildTimeExceeded(b, i, pv), DropReason.TtlExpired);
    if (ether || dest.fwd === Fwd.Tun) decrementTtl(b, i, pv);
  }
  // Never a made-up MAC: until ARP/ND answers for the next hop, its packets are dropped and counted.
  if (ether && !dest.resolved && dest.fwd !== Fwd.Local) return unresolved(b, i, c, dest.v6, dest.nextHop);
  let err = 0;
  switch (dest.fwd) {
    case Fwd.Dr:
      if (!ether) {
        b.verdict[i] = Verdict.Accept;
        b.mark[i] = dest.mark;
        return pv.anomaly;
      }
      err = frameEtherWords(b, i, pv, dest.macWords);
      break;
    case Fwd.Nat:
      err = natIn(b, i, pv, dest.addrU, c.r.dport);
      if (err === 0) err = ether ? frameEtherWords(b, i, pv, dest.macWords) : (frameIp(b, i, pv), 0);
      break;
    case Fwd.Tun: {
      const family = pv.family;
      err = tunEncap(b, i, pv, dest.tunSrc, dest.addrU, dest.mtu);
      if (err === DropReason.TunFragNeeded) return replyIcmp(b, i, pv, buildFragNeeded(b, i, pv, tunPayloadMtu(family, dest.mtu)), err);
      if (err === 0) err = ether ? frameEtherWords(b, i, pv, dest.macWords) : (frameIp(b, i, pv), 0);
      break;
    }
    default:
      b.verdict[i] = Verdict.Accept;
      return pv.anomaly;
  }
  if (err !== 0) {
    b.verdict[i] = Verdict.Drop;
    return err;
  }
  b.verdict[i] = ether ? Verdict.Transmit : Verdict.AcceptModified;
  if (ether) b.outIfindex[i] = dest.ifindex;
  return pv.anomaly;
}

/** Forwards a NAT reply (real server -> client) with source VIP:vport towards the client. */
export function forwardOut(b: PacketBatch, i: number, snap: Snapshot, c: PipelineContext): number {
  const pv = c.pv;
  const r = c.r;
  natOut(b, i, pv, c.vaddrU, r.vport);
  // ip_forward's TTL step: here on Ethernet; after NFQUEUE the kernel forwards the reply and does it.
  const ttl = b.linkType === LinkType.Ether ? decrementTtl(b, i, pv) : pv.ttl <= 1 ? DropReason.TtlExpired : 0;
  if (ttl !== 0) {
    b.verdict[i] = Verdict.Drop;
    return ttl;
  }
  return toClient(b, i, snap, c);
}

/** Frames packet i (already rewritten) for the client at pv's destination and sets the verdict. */
export function toClient(b: PacketBatch, i: number, snap: Snapshot, c: PipelineContext): number {
  const k = c.k;
  for (let j = 0; j < 4; j++) k.words[j] = c.pv.daddr[j]!;
  return toClientAt(b, i, snap, c);
}

/** Frames packet i for the client whose address is in c.k.caddr and sets the verdict. */
export function toClientAt(b: PacketBatch, i: number, snap: Snapshot, c: PipelineContext): number {
  const pv = c.pv;
  if (b.linkType !== LinkType.Ether) {
    frameIp(b, i, pv);
    b.verdict[i] = Verdict.AcceptModified;
    return pv.anomaly;
  }
  const eg = snap.egress;
  const routed = snap.egressFor(pv.family === 6, c.k.caddr);
  if (routed === Egress.Unresolved) return unresolved(b, i, c, pv.family === 6, eg.nextHop);
  if (routed === Egress.NoRoute) {
    b.verdict[i] = Verdict.Drop;
    return DropReason.NoRoute;
  }
  const err = frameEther(b, i, pv, eg.dstMac, 0, eg.srcMac, 0);
  if (err !== 0) {
    b.verdict[i] = Verdict.Drop;
    return err;
  }
  b.verdict[i] = Verdict.Transmit;
  b.outIfindex[i] = eg.ifindex;
  return pv.anomaly;
}
