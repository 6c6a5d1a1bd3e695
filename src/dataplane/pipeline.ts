/**
 * The per-batch data path (ip_vs_in / ip_vs_out / ip_vs_in_icmp / ip_vs_out_icmp in one loop):
 * parse -> classify (connection or virtual service / NAT reply / ICMP error about a connection / not
 * ours) -> lookup or create (scheduler, persistence) -> state transition -> forwarding transform ->
 * verdict, mark, outIfindex, reason -> counters. Never throws; no allocation per packet. The forwarding
 * step is forward-step.ts, the per-thread scratch state pipeline-context.ts.
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
import { DROP_REASONS, DropReason } from '../packet/drop-reasons.js';
import { decrementTtl } from '../forward/nat.js';
import { natIcmpIn, natIcmpOut } from '../forward/nat-icmp.js';
import { frameEtherWords, frameIp } from '../forward/l2.js';
import { buildPortUnreachable, buildTunnelIcmpReply } from '../forward/icmp-reply.js';
import { ConnStatus } from '../table/ipvs-core.js';
import { Fwd } from '../table/layout.js';
import type { SharedState } from '../table/shared-state.js';
import type { Snapshot } from './snapshot.js';
import type { NeighbourMisses } from './neigh-misses.js';
import { PC } from './stats.js';
import { contextOf, type PipelineContext } from './pipeline-context.js';
import { forwardIn, forwardOut, replyIcmp, toClient, toClientAt, unresolved } from './forward-step.js';

const TCP = 6;
const UDP = 17;
const SCTP = 132;

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
