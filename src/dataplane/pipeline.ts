/**
 * The per-batch data path (ip_vs_in / ip_vs_out / ip_vs_in_icmp / ip_vs_out_icmp in one loop):
 * parse -> classify (connection or virtual service / NAT reply / ICMP error about a connection / not
 * ours) -> lookup or create (scheduler, persistence) -> state transition -> forwarding transform ->
 * verdict, mark, outIfindex, reason -> counters. Never throws; no allocation per packet.
 *
 * Verdicts: LinkType.Ether (AF_PACKET, replay) -> Verdict.Transmit with a full frame on outIfindex.
 * LinkType.Ip (NFQUEUE) -> DR: Verdict.Accept with mark = the real server's DR mark (fwmark routing
 * per real server); NAT/TUN: Verdict.AcceptModified. Not ours: Verdict.Accept, mark unchanged.
 * ICMP errors the director must originate (port unreachable, frag-needed) are built in place and
 * transmitted back on the ingress interface for Ether; on Ip links the reply replaces the queued packet
 * (AcceptModified) and the kernel routes it to the client (its source, the VIP, is local: the director
 * sets accept_local).
 */
import { LinkType, Verdict, type PacketBatch } from '../core/batch.js';
import { parsePacket } from '../packet/parse.js';
import { PacketView } from '../packet/packet-view.js';
import { DROP_REASONS, DropReason } from '../packet/drop-reasons.js';
import { natIn, natOut, decrementTtl } from '../forward/nat.js';
import { natIcmpIn, natIcmpOut } from '../forward/nat-icmp.js';
import { tunEncap, tunPayloadMtu } from '../forward/tun.js';
import { frameEther, frameEtherWords, frameIp } from '../forward/l2.js';
import { buildFragNeeded, buildPortUnreachable, buildTimeExceeded, buildTunnelIcmpReply } from '../forward/icmp-reply.js';
import { ConnKey } from '../table/conn-key.js';
import { ConnResult, ConnStatus } from '../table/ipvs-core.js';
import { Fwd } from '../table/layout.js';
import type { SharedState } from '../table/shared-state.js';
import { Egress, type Snapshot, type SnapDest } from './snapshot.js';
import { NeighbourMisses } from './neigh-misses.js';
import { PC, pipelineRow } from './stats.js';
import { BatchPrefetch } from './prefetch.js';

const TCP = 6;
const UDP = 17;
const SCTP = 132;

/** Per-thread scratch state of the pipeline (one per SharedState handle). */
class PipelineContext {
  readonly pv = new PacketView();
  readonly k = new ConnKey();
  readonly r = new ConnResult();
  /** Where this thread counts (stats.ts PC layout): its shared-state row, or one bound by countInto(). */
  row: Float64Array;
  /** Views of r's address words for the forward transforms. */
  readonly vaddrU: Uint32Array;
  /** Next hops without a neighbour entry met in the current batch (the worker drains them). */
  readonly misses = new NeighbourMisses();
  /** Loads the batch's connection buckets and records before the per-packet loop. */
  readonly prefetch = new BatchPrefetch();
  /** Packets per verdict in the current batch (added to the row once per batch). */
  readonly verdicts = new Float64Array(4);
  snap: Snapshot | null = null;

  constructor(readonly state: SharedState) {
    this.row = pipelineRow(state.buffers, state.workerIndex);
    this.vaddrU = new Uint32Array(this.r.vaddr.buffer);
  }
}

const contexts = new WeakMap<SharedState, PipelineContext>();
/** The last handle's context: a thread uses one handle, so processBatch skips the WeakMap lookup. */
let lastState: SharedState | null = null;
let lastContext: PipelineContext | null = null;

function contextOf(state: SharedState): PipelineContext {
  if (state === lastState) return lastContext!;
  let c = contexts.get(state);
  if (c === undefined) {
    c = new PipelineContext(state);
    contexts.set(state, c);
  }
  lastState = state;
  lastContext = c;
  return c;
}

/**
 * Records swept for expiry per batch: at least 32, else half the batch size. A table of N records is
 * fully swept every 2N packets (1 M connections at 1 Mpps: every 2 s), and an idle worker should call
 * `state.core.sweep(nowMs, n)` from a timer so expiry also progresses without traffic.
 */
export function sweepBudget(count: number): number {
  return Math.max(32, count >>> 1);
}

/**
 * Expiry without traffic: a worker calls this from a timer (e.g. every 100 ms) so connections time out
 * and counters drop even when no batch arrives. Costs O(budget).
 */
export function sweepIdle(state: SharedState, nowMs: number, budget = 4096): number {
  return state.core.sweep(nowMs, budget);
}

/** Makes this thread's pipeline count into `row` (stats.ts PC layout, PIPELINE_COUNTER_WORDS long) from now on. */
export function countInto(state: SharedState, row: Float64Array): void {
  contextOf(state).row = row;
}

/** The unresolved next hops recorded on this thread's shared-state handle since the last clear(). */
export function neighbourMisses(state: SharedState): NeighbourMisses {
  return contextOf(state).misses;
}

/** Drops packet i for an unresolved next hop, remembering the next hop so it gets resolved. */
function unresolved(b: PacketBatch, i: number, c: PipelineContext, v6: boolean, nextHop: Int32Array): number {
  c.misses.add(v6, nextHop);
  b.verdict[i] = Verdict.Drop;
  return DropReason.NeighUnresolved;
}

/**
 * Runs the pipeline over `batch` with configuration `snap` on this thread's shared-state handle.
 * `nowMs` is the batch clock (per-packet batch.timeMs[i] overrides it when non-zero). Sets
 * verdict/mark/outIfindex/reason (and rewrites frames in place) for every packet.
 */
export function processBatch(batch: PacketBatch, snap: Snapshot, state: SharedState, nowMs: number): void {
  const c = contextOf(state);
  const core = state.core;
  if (c.snap !== snap) {
    c.snap = snap;
    core.setConfig(snap.core);
  }
  const row = c.row;
  core.beginBatch(nowMs, sweepBudget(batch.count));
  c.prefetch.run(batch, state.conns);
  // Packet, byte and verdict counts are summed here and added to the shared row once per batch.
  const verdicts = c.verdicts;
  verdicts.fill(0);
  let bytes = 0;
  const n = batch.count;
  for (let i = 0; i < n; i++) {
    const t = batch.timeMs[i]!;
    let reason: number;
    try {
      reason = onePacket(batch, i, snap, c, t > 0 ? t : nowMs);
    } catch {
      batch.verdict[i] = Verdict.Drop;
      reason = DropReason.Internal;
    }
    const v = batch.verdict[i]!;
    batch.reason[i] = v === Verdict.Drop ? reason : 0;
    bytes += batch.length[i]!;
    verdicts[v & 3]! += 1;
    if (reason !== 0) row[(v === Verdict.Drop ? PC.DropReason0 : PC.PassReason0) + reason]! += 1;
  }
  row[PC.Packets]! += n;
  row[PC.Bytes]! += bytes;
  for (let v = 0; v < 4; v++) row[PC.Verdict0 + v]! += verdicts[v]!;
}

/** Processes packet i; sets its verdict and returns the reason code (0 = normal). */
function onePacket(b: PacketBatch, i: number, snap: Snapshot, c: PipelineContext, nowMs: number): number {
  const pv = c.pv;
  const err = parsePacket(pv, b.buf, b.start[i]!, b.length[i]!, b.linkType);
  if (err !== 0) {
    b.verdict[i] = DROP_REASONS[err]?.ipvs === 'pass' ? Verdict.Accept : Verdict.Drop;
    return err;
  }
  if (!pv.isIp) {
    b.verdict[i] = Verdict.Accept;
    return 0;
  }
  if (pv.icmpError) return icmpError(b, i, snap, c, nowMs);
  const proto = pv.protocol;
  if ((proto !== TCP && proto !== UDP && proto !== SCTP) || pv.l4Off < 0) {
    b.verdict[i] = Verdict.Accept;
    return pv.anomaly;
  }
  const k = c.k;
  const r = c.r;
  const bytes = pv.l3End - pv.l3Off;
  k.proto = proto;
  k.v6 = pv.family === 6;
  const w = k.words;
  for (let j = 0; j < 4; j++) {
    w[j] = pv.saddr[j]!;
    w[4 + j] = pv.daddr[j]!;
  }
  k.cport = pv.sport;
  k.vport = pv.dport;
  const core = c.state.core;
  const st = core.inPacket(k, pv.tcpFlags, bytes, b.mark[i]!, nowMs, snap, r);
  switch (st) {
    case ConnStatus.Hit:
      if (r.created) c.row[PC.ConnsCreated]! += 1;
      return forwardIn(b, i, snap, c, snap.destBySlot[r.destSlot]);
    case ConnStatus.NotOurs:
      if (snap.hasNat) {
        // A reply from a real server of a NAT connection: <proto, daddr:dport = source, caddr:cport = destination>.
        for (let j = 0; j < 4; j++) {
          w[8 + j] = pv.saddr[j]!;
          w[j] = pv.daddr[j]!;
        }
        k.dport = pv.sport;
        k.cport = pv.dport;
        if (core.outPacket(k, pv.tcpFlags, bytes, nowMs, r) === ConnStatus.Hit) {
          c.row[PC.NatReplies]! += 1;
          return forwardOut(b, i, snap, c);
        }
      }
      b.verdict[i] = Verdict.Accept;
      return pv.anomaly !== 0 ? pv.anomaly : DropReason.NoService;
    case ConnStatus.NoConn:
      b.verdict[i] = Verdict.Accept;
      return DropReason.NoConnection;
    case ConnStatus.NoDest:
      return replyIcmp(b, i, pv, buildPortUnreachable(b, i, pv), DropReason.NoDest);
    case ConnStatus.DestGone:
      b.verdict[i] = Verdict.Drop;
      return DropReason.DestUnavailable;
    case ConnStatus.TableFull:
      b.verdict[i] = Verdict.Drop;
      return DropReason.TableFull;
    default:
      b.verdict[i] = Verdict.Drop;
      return DropReason.DefenceDrop;
  }
}

/**
 * Sends the ICMP error just built in slot i to the client: on Ethernet back out of the ingress
 * interface; on NFQUEUE the bare reply (source VIP, a local address: accept_local is set) replaces the
 * queued packet and the kernel routes it to the client, as icmp_send's reply would be.
 */
function replyIcmp(b: PacketBatch, i: number, pv: PacketView, built: number, reason: number): number {
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
function forwardIn(b: PacketBatch, i: number, snap: Snapshot, c: PipelineContext, dest: SnapDest | undefined): number {
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
function forwardOut(b: PacketBatch, i: number, snap: Snapshot, c: PipelineContext): number {
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
function toClient(b: PacketBatch, i: number, snap: Snapshot, c: PipelineContext): number {
  const k = c.k;
  for (let j = 0; j < 4; j++) k.words[j] = c.pv.daddr[j]!;
  return toClientAt(b, i, snap, c);
}

/** Frames packet i for the client whose address is in c.k.caddr and sets the verdict. */
function toClientAt(b: PacketBatch, i: number, snap: Snapshot, c: PipelineContext): number {
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

/**
 * ip_vs_in_icmp's IPIP branch: an ICMP error about a packet we tunnelled to a real server (the quote
 * holds our outer header and the client's packet). Look the client's packet up as it was sent (in
 * direction); for a TUN connection answer the client from the VIP (frag-needed with the tunnel MTU).
 */
function icmpAboutTunnel(b: PacketBatch, i: number, snap: Snapshot, c: PipelineContext, nowMs: number): number {
  const pv = c.pv;
  const q = pv.inner;
  const k = c.k;
  k.proto = q.protocol;
  k.v6 = q.family === 6;
  const w = k.words;
  for (let j = 0; j < 4; j++) {
    w[j] = q.saddr[j]!;
    w[4 + j] = q.daddr[j]!;
  }
  k.cport = q.sport;
  k.vport = q.dport;
  if (c.state.core.icmpLookup(k, false, pv.l3End - pv.l3Off, nowMs, c.r) !== ConnStatus.Hit) {
    b.verdict[i] = Verdict.Accept;
    return DropReason.NoService;
  }
  c.row[PC.IcmpMapped]! += 1;
  const dest = snap.destBySlot[c.r.destSlot];
  if (dest === undefined || dest.fwd !== Fwd.Tun) {
    b.verdict[i] = Verdict.Accept;
    return DropReason.NoService;
  }
  const err = buildTunnelIcmpReply(b, i, pv, dest.mtu);
  if (err !== 0) {
    b.verdict[i] = Verdict.Drop;
    return err;
  }
  return toClientAt(b, i, snap, c); // k.caddr still holds the client
}

/**
 * An ICMP error: about a packet we sent to a client (quoted VIP -> client: the in-tuple reversed,
 * ip_vs_in_icmp) -> relay to the real server; or about a packet we sent to a NAT real server (quoted
 * client -> real server, ip_vs_out_icmp) -> translate and send to the client. Otherwise not ours.
 */
function icmpError(b: PacketBatch, i: number, snap: Snapshot, c: PipelineContext, nowMs: number): number {
  const pv = c.pv;
  const q = pv.inner;
  const k = c.k;
  const r = c.r;
  const core = c.state.core;
  const bytes = pv.l3End - pv.l3Off;
  if (pv.icmpTunnel) return icmpAboutTunnel(b, i, snap, c, nowMs);
  k.proto = q.protocol;
  k.v6 = q.family === 6;
  const w = k.words;
  for (let j = 0; j < 4; j++) {
    w[j] = q.daddr[j]!;
    w[4 + j] = q.saddr[j]!;
  }
  k.cport = q.dport;
  k.vport = q.sport;
  if (core.icmpLookup(k, false, bytes, nowMs, r) === ConnStatus.Hit) {
    c.row[PC.IcmpMapped]! += 1;
    const dest = snap.destBySlot[r.destSlot];
    if (dest !== undefined && dest.fwd === Fwd.Nat) {
      // decrement_ttl as for any packet towards a real server (no ICMP error about an ICMP error).
      if (pv.ttl <= 1) {
        b.verdict[i] = Verdict.Drop;
        return DropReason.TtlExpired;
      }
      if (b.linkType === LinkType.Ether) decrementTtl(b, i, pv);
      const err = natIcmpIn(b, i, pv, dest.addrU, r.dport);
      if (err !== 0) {
        b.verdict[i] = Verdict.Drop;
        return err;
      }
      if (b.linkType !== LinkType.Ether) {
        frameIp(b, i, pv);
        b.verdict[i] = Verdict.AcceptModified;
        return 0;
      }
      if (!dest.resolved) return unresolved(b, i, c, dest.v6, dest.nextHop);
      const e2 = frameEtherWords(b, i, pv, dest.macWords);
      b.verdict[i] = e2 === 0 ? Verdict.Transmit : Verdict.Drop;
      b.outIfindex[i] = dest.ifindex;
      return e2;
    }
    return forwardIn(b, i, snap, c, dest);
  }
  if (snap.hasNat) {
    for (let j = 0; j < 4; j++) {
      w[j] = q.saddr[j]!;
      w[8 + j] = q.daddr[j]!;
    }
    k.cport = q.sport;
    k.dport = q.dport;
    if (core.icmpLookup(k, true, bytes, nowMs, r) === ConnStatus.Hit) {
      c.row[PC.IcmpMapped]! += 1;
      const err = natIcmpOut(b, i, pv, c.vaddrU, r.vport);
      if (err !== 0) {
        b.verdict[i] = Verdict.Drop;
        return err;
      }
      return toClient(b, i, snap, c);
    }
  }
  b.verdict[i] = Verdict.Accept;
  return DropReason.NoService;
}
