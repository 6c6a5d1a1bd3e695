/**
 * `ulvs explain`: what the director does with one packet, step by step, found by running the very
 * pipeline (pipeline.ts processBatch) on a copy — never by instrumenting the hot path, so the trace costs
 * the workers nothing. The copy is a small private shared state holding the live table's entries of the
 * packet's client (its connection and persistence templates, installed as connection sync installs
 * them), the live real servers' connection counters and OVERLOAD flags, and the snapshot with copies of
 * each service's scheduler state: the same choice the workers would make next, and nothing live moves.
 * Control path only (allocates).
 */
import { createBatch, frameOf, putFrame, LinkType, Verdict } from '../core/batch.js';
import { formatIpWords } from '../core/addr.js';
import { diffFields, headerFields, type FieldChange } from '../packet/header-fields.js';
import { PacketView } from '../packet/packet-view.js';
import { parsePacket } from '../packet/parse.js';
import { dropReasonName, DROP_REASONS } from '../packet/drop-reasons.js';
import { ConnKey } from '../table/conn-key.js';
import { listConnections, type ConnInfo } from '../table/conn-list.js';
import { scanSync, SyncCore } from '../table/conn-sync.js';
import { DEST_WORDS } from '../table/dest-stats.js';
import { attachSharedState, createSharedState, defaultCoreConfig, PIPELINE_COUNTER_WORDS, type SharedState } from '../table/shared-state.js';
import { countInto, processBatch } from './pipeline.js';
import { loadSnapshot, type Snapshot } from './snapshot.js';
import { buildFlowPacket } from '../packet/flow-frame.js';
import type { SnapshotSpec } from './snapshot-types.js';
import { PC } from './stats.js';

/** What explain needs: the compiled rules, the live table to copy from, the packet and its metadata. */
export interface ExplainInput {
  spec: SnapshotSpec;
  /** The live shared state (read only: its entries for the packet's client and its dest counters are copied). */
  live: SharedState;
  /** The packet as the data plane receives it (an Ethernet frame, or bare IP on NFQUEUE). */
  frame: Uint8Array;
  linkType: LinkType;
  nowMs: number;
  fwmark?: number;
  /** Ingress interface (default 1). */
  ifindex?: number;
  /** Interface names by ifindex, for the egress line. */
  ifnames?: Record<number, string>;
}

/** A real server as the scheduler sees it when the packet arrives. */
export interface SchedulerInput {
  address: string;
  port: number;
  fwd: 'dr' | 'nat' | 'tun' | 'local';
  weight: number;
  activeConns: number;
  inactiveConns: number;
  overloaded: boolean;
}

/** The decision for one packet, step by step. */
export interface Explanation {
  /** The packet's flow: "tcp 198.51.100.7:40000 > 198.18.0.100:80". */
  flow: string;
  /** in = client to virtual service, reply = real server to client through a NAT director, icmp = an ICMP error about a connection, other = not a flow. */
  direction: 'in' | 'reply' | 'icmp' | 'other';
  /** The virtual service matched (ipvsadm's notation), or null: no service matches. */
  service: { key: string; scheduler: string; persistent: boolean; persistTimeoutS: number } | null;
  /** The connection entry before and after the packet; created = this packet created it. */
  connection: { before: ConnInfo | null; after: ConnInfo | null; created: boolean };
  /** The persistence template of the client for this service before and after (null when none). */
  template: { before: ConnInfo | null; after: ConnInfo | null } | null;
  /** The scheduler's inputs (only when it ran for this packet) and its choice. */
  scheduler: { name: string; dests: SchedulerInput[]; chosen: string | null; viaTemplate: boolean } | null;
  /** The TCP/UDP state before and after. */
  state: { before: string | null; after: string | null };
  /** The forwarding method used, or null. */
  method: 'dr' | 'nat' | 'tun' | 'local' | null;
  /** Each header field before and after (MACs, addresses, ports, TTL, checksums, the outer header). */
  rewrite: FieldChange[];
  verdict: 'drop' | 'accept' | 'accept-modified' | 'transmit';
  /** The drop or pass reason (name and description), or null. */
  reason: { name: string; description: string } | null;
  /**
   * Where it leaves: interface (Transmit) or "to the kernel" (NFQUEUE), with the mark for NFQUEUE DR and, where
   * the daemon knows its policy routes, what the kernel does with the mark (`kernel`).
   */
  egress: { ifindex: number; name: string | null; mark: number; kernel?: KernelEgress } | null;
  /** Human-readable steps, in order. */
  steps: string[];
  /** The real server's answer through the same copy (NAT, when asked for with `reply`). */
  reply?: Explanation;
  /** For a sampled live packet: what the live pipeline decided when it arrived. */
  live?: { seq: number; atMs: number; verdict: string; reason: string | null };
}

/**
 * DR on NFQUEUE: the director accepts the packet unchanged with its real server's mark, and the kernel sends it
 * on by the director's policy route for that mark (ip_forward, then the neighbour output writes the MACs).
 */
export interface KernelEgress {
  mark: number;
  /** The routing table the mark's `ip rule` looks up. */
  table: number;
  /** The route in that table, as `ip route` prints it ("default via 198.18.0.21 dev eth0 onlink"). */
  route: string;
  iface: string;
  /** The next hop the kernel resolves: the real server. */
  nextHop: string;
  /** The MAC the kernel writes as eth.src: the egress interface's (null: unknown). */
  srcMac: string | null;
  /** The MAC the kernel writes as eth.dst: the next hop's neighbour entry (null: none yet; the kernel resolves it with ARP/ND). */
  dstMac: string | null;
}

const VERDICTS = ['drop', 'accept', 'accept-modified', 'transmit'] as const;
const PROTO: Record<number, string> = { 6: 'tcp', 17: 'udp', 132: 'sctp', 1: 'icmp', 58: 'icmpv6' };
const SCRATCH_CONNS = 8192;
const COPY_LIMIT = 4096;

function ep(addr: string, port: number, v6: boolean): string {
  return v6 ? `[${addr}]:${port}` : `${addr}:${port}`;
}

function sameAddr(a: Int32Array, b: Uint32Array): boolean {
  return a[0]! >>> 0 === b[0] && a[1]! >>> 0 === b[1] && a[2]! >>> 0 === b[2] && a[3]! >>> 0 === b[3];
}

/** A copy of `spec` whose services own copies of their scheduler state, joined as a late worker joins. */
function privateSpec(spec: SnapshotSpec): SnapshotSpec {
  return {
    ...spec,
    services: spec.services.map((s) => {
      const copy = new SharedArrayBuffer(s.schedState.byteLength);
      new Uint8Array(copy).set(new Uint8Array(s.schedState));
      return { ...s, schedState: copy, changes: [], changeLists: [] };
    }),
  };
}

/** The scratch state: the live entries of `client`/`peer` (and templates) and the live dest counters. */
function scratchState(live: SharedState, pv: PacketView, nowMs: number): SharedState {
  const ls = live.stats;
  const buffers = createSharedState({ maxConns: SCRATCH_CONNS, maxDests: ls.maxDests, maxServices: ls.maxServices, maxWorkers: 2, seed: 7 });
  const installer = new SyncCore(attachSharedState(buffers, 0).conns, attachSharedState(buffers, 0).stats, defaultCoreConfig());
  let n = 0;
  scanSync(live.conns, nowMs, (s) => {
    if (n >= COPY_LIMIT) return;
    const mine = s.template || sameAddr(s.caddr, pv.saddr) || sameAddr(s.caddr, pv.daddr);
    if (mine && installer.install(s, nowMs) === 'new') n++;
  });
  // The live counters last: the schedulers see what the workers see (install counted into the copy too).
  new Int32Array(buffers.stats.destWords).set(new Int32Array(live.buffers.stats.destWords).subarray(0, ls.maxDests * DEST_WORDS));
  return attachSharedState(buffers, 1);
}

function serviceText(s: SnapshotSpec['services'][number]): string {
  if (s.fwmark) return `FWM ${s.fwmark}${s.family === 6 ? ' IPv6' : ''}`;
  const a = formatIpWords(s.vaddr, s.family);
  return `${(PROTO[s.proto] ?? String(s.proto)).toUpperCase()} ${ep(a, s.port, s.family === 6)}`;
}

/** A packet's flow as one line ("tcp 198.51.100.7:40000 > 198.18.0.100:80"). */
export function flowText(frame: Uint8Array, linkType: LinkType): string {
  const pv = new PacketView();
  parsePacket(pv, frame, 0, frame.length, linkType);
  return flowOf(pv);
}

function flowOf(pv: PacketView): string {
  const v6 = pv.family === 6;
  const a = (w: Uint32Array): string => formatIpWords(w, pv.family);
  const proto = PROTO[pv.protocol] ?? `proto ${pv.protocol}`;
  if (!pv.isIp) return 'not an IP packet';
  return pv.l4Off >= 0 && (pv.protocol === 6 || pv.protocol === 17 || pv.protocol === 132)
    ? `${proto} ${ep(a(pv.saddr), pv.sport, v6)} > ${ep(a(pv.daddr), pv.dport, v6)}`
    : `${proto} ${a(pv.saddr)} > ${a(pv.daddr)}`;
}

/**
 * Runs the packet through the pipeline on a copy of the live state and says what happened, step by step.
 * With `reply`, a packet created or matched a NAT connection: the real server's answer to the client is then
 * run through the same copy (`Explanation.reply`), as the director would rewrite it on its way back.
 */
export function explainPacket(x: ExplainInput & { reply?: boolean }): Explanation {
  const pv = new PacketView();
  parsePacket(pv, x.frame, 0, x.frame.length, x.linkType);
  const state = scratchState(x.live, pv, x.nowMs);
  const snap = loadSnapshot(privateSpec(x.spec), state);
  const e = explainOn(x, state, snap, x.frame, x.fwmark ?? 0);
  const c = e.connection.after;
  if (x.reply && c && c.fwd === 'nat' && (c.protocol === 'TCP' || c.protocol === 'UDP' || c.protocol === 'SCTP')) {
    const ether = x.linkType === LinkType.Ether ? { dst: x.frame.subarray(0, 6), src: x.frame.subarray(6, 12) } : undefined;
    const proto = c.protocol === 'TCP' ? 6 : c.protocol === 'UDP' ? 17 : 132;
    const frame = buildFlowPacket({ proto, src: c.dest, sport: c.destPort, dst: c.client, dport: c.clientPort, tcpFlags: 0x12, ether });
    e.reply = explainOn(x, state, snap, frame, 0);
  }
  return e;
}

/** One packet through the pipeline on the copy `state`/`snap`, with what the table held before and after. */
function explainOn(x: ExplainInput, state: SharedState, snap: Snapshot, frame: Uint8Array, fwmark: number): Explanation {
  const pv = new PacketView();
  const perr = parsePacket(pv, frame, 0, frame.length, x.linkType);
  const v6 = pv.family === 6;
  const a = (w: Uint32Array): string => formatIpWords(w, pv.family);
  const proto = PROTO[pv.protocol] ?? `proto ${pv.protocol}`;
  const flow = flowOf(pv);
  // Before: the service the packet's in-tuple maps to, the entries of its flow, the scheduler's inputs.
  const k = new ConnKey();
  k.proto = pv.protocol;
  k.v6 = v6;
  k.caddr.set(pv.saddr);
  k.vaddr.set(pv.daddr);
  k.cport = pv.sport;
  k.vport = pv.dport;
  const svc = pv.isIp ? snap.findService(k, fwmark) : null;
  const src = pv.isIp ? a(pv.saddr) : '';
  const dst = pv.isIp ? a(pv.daddr) : '';
  const protoUp = proto.toUpperCase();
  const findConn = (list: ConnInfo[]): ConnInfo | null =>
    list.find(
      (c) => !c.template && c.protocol === protoUp && c.client === src && c.clientPort === pv.sport && c.virtual === dst && c.virtualPort === pv.dport,
    ) ??
    list.find(
      (c) =>
        !c.template && c.protocol === protoUp && c.fwd === 'nat' && c.dest === src && c.destPort === pv.sport && c.client === dst && c.clientPort === pv.dport,
    ) ??
    null;
  const findTemplate = (list: ConnInfo[]): ConnInfo | null => {
    if (svc === null || !svc.persistent) return null;
    const mask = svc.spec.netmask;
    const masked = formatIpWords(
      Array.from(pv.saddr, (w, i) => (w & (mask[i] ?? 0xffffffff)) >>> 0),
      pv.family,
    );
    return list.find((c) => c.template && c.client === masked && (svc.fwmark ? c.fwmark === svc.fwmark : c.virtual === dst)) ?? null;
  };
  const before = listConnections(state.conns, x.nowMs);
  const connBefore = findConn(before);
  const tmplBefore = findTemplate(before);
  const dests: SchedulerInput[] = (svc?.dests ?? []).map((d) => ({
    address: d.spec.address,
    port: d.port,
    fwd: (['dr', 'nat', 'tun', 'local'] as const)[d.fwd] ?? 'dr',
    weight: d.weight,
    activeConns: state.stats.active(d.slot),
    inactiveConns: state.stats.inactive(d.slot),
    overloaded: state.stats.overloaded(d.slot),
  }));
  // The packet, through the same pipeline as the workers run, counted into a private row.
  const b = createBatch(x.linkType, 1, Math.max(2048, frame.length + 256));
  putFrame(b, 0, frame);
  b.count = 1;
  b.ifindex[0] = x.ifindex ?? 1;
  b.mark[0] = fwmark;
  const row = new Float64Array(PIPELINE_COUNTER_WORDS);
  countInto(state, row);
  processBatch(b, snap, state, x.nowMs);
  const out = frameOf(b, 0);
  const verdict = VERDICTS[b.verdict[0]!] ?? 'drop';
  const code = b.reason[0]! !== 0 ? b.reason[0]! : perr;
  const passReason = row.findIndex((v, i) => i >= PC.PassReason0 && i < PC.PassReason0 + PC.ReasonCodes && v > 0);
  const rcode = code !== 0 ? code : passReason >= 0 ? passReason - PC.PassReason0 : 0;
  const after = listConnections(state.conns, x.nowMs);
  const connAfter = findConn(after);
  const tmplAfter = findTemplate(after);
  const created = row[PC.ConnsCreated]! > 0;
  const direction = row[PC.NatReplies]! > 0 ? 'reply' : row[PC.IcmpMapped]! > 0 ? 'icmp' : pv.isIp && !pv.icmpError ? 'in' : pv.icmpError ? 'icmp' : 'other';
  const modified = b.verdict[0] === Verdict.Transmit || b.verdict[0] === Verdict.AcceptModified;
  const fieldsBefore = headerFields(frame, 0, frame.length, x.linkType);
  const fieldsAfter = modified
    ? headerFields(out, 0, out.length, x.linkType === LinkType.Ether || b.verdict[0] === Verdict.Transmit ? LinkType.Ether : LinkType.Ip)
    : fieldsBefore;
  const chosen = created && connAfter ? ep(connAfter.dest, connAfter.destPort, connAfter.family === 6) : null;
  const e: Explanation = {
    flow,
    direction,
    service: svc
      ? { key: serviceText(svc.spec), scheduler: svc.spec.scheduler, persistent: svc.persistent, persistTimeoutS: svc.persistTimeoutMs / 1000 }
      : null,
    connection: { before: connBefore, after: connAfter, created },
    template: svc?.persistent ? { before: tmplBefore, after: tmplAfter } : null,
    scheduler: created && svc ? { name: svc.spec.scheduler, dests, chosen, viaTemplate: tmplBefore !== null } : null,
    state: { before: connBefore?.state ?? null, after: connAfter?.state ?? null },
    method: connAfter?.fwd ?? null,
    rewrite: diffFields(fieldsBefore, fieldsAfter),
    verdict,
    reason: rcode !== 0 ? { name: dropReasonName(rcode), description: DROP_REASONS[rcode]?.description ?? '' } : null,
    egress:
      b.verdict[0] === Verdict.Transmit
        ? { ifindex: b.outIfindex[0]!, name: x.ifnames?.[b.outIfindex[0]!] ?? null, mark: 0 }
        : b.verdict[0] === Verdict.Drop
          ? null
          : { ifindex: 0, name: 'the kernel', mark: b.mark[0]! },
    steps: [],
  };
  e.steps = explanationSteps(e);
  return e;
}

/** The explanation as numbered sentences, the way `ulvs explain` prints it. */
export function explanationSteps(e: Explanation): string[] {
  const s: string[] = [`packet: ${e.flow}`];
  if (e.live)
    s.push(
      `sampled live (#${e.live.seq} at ${new Date(e.live.atMs).toISOString()}): the workers' verdict was ${e.live.verdict}${e.live.reason ? ` (${e.live.reason})` : ''}; below, the same packet against the table as it is now`,
    );
  if (e.direction === 'reply') s.push(`a reply from a NAT real server: it matches connection ${connText(e.connection.after)} (out direction)`);
  else if (e.direction === 'icmp') s.push('an ICMP error about a connection of this director');
  else if (e.service === null) s.push('no virtual service matches this packet: the director does not touch it');
  else
    s.push(
      `virtual service matched: ${e.service.key} (scheduler ${e.service.scheduler}${e.service.persistent ? `, persistent ${e.service.persistTimeoutS} s` : ''})`,
    );
  if (e.direction === 'in' && e.service !== null) {
    if (e.connection.before) s.push(`connection entry hit: ${connText(e.connection.before)}`);
    else if (e.connection.created) s.push('no connection entry: a new one is created');
    else s.push('no connection entry, and this packet may not create one');
    if (e.template) {
      if (e.template.before) s.push(`persistence template hit: ${e.template.before.client} -> ${e.template.before.dest}:${e.template.before.destPort}`);
      else if (e.template.after) s.push(`persistence template created: ${e.template.after.client} -> ${e.template.after.dest}:${e.template.after.destPort}`);
      else s.push('no persistence template');
    }
    if (e.scheduler) {
      if (e.scheduler.viaTemplate) s.push(`real server from the template: ${e.scheduler.chosen ?? 'none'} (the scheduler did not run)`);
      else {
        const d = e.scheduler.dests.map((x) => `${x.address}:${x.port} w${x.weight} a${x.activeConns}/i${x.inactiveConns}${x.overloaded ? ' OVERLOAD' : ''}`);
        s.push(`scheduler ${e.scheduler.name} over [${d.join(', ') || 'no real servers'}] chose ${e.scheduler.chosen ?? 'none'}`);
      }
    }
  }
  if (e.state.before !== e.state.after || e.state.after) s.push(`state: ${e.state.before ?? '(none)'} -> ${e.state.after ?? '(none)'}`);
  if (e.method) s.push(`forwarding method: ${e.method.toUpperCase()}`);
  const changed = e.rewrite.filter((f) => f.changed);
  if (changed.length) s.push(`rewrite: ${changed.map((f) => `${f.layer}.${f.name} ${f.before ?? '(new)'} -> ${f.after ?? '(removed)'}`).join('; ')}`);
  else if (e.verdict !== 'drop') s.push('rewrite: none (the packet leaves as it came)');
  s.push(`verdict: ${e.verdict}${e.reason ? ` (${e.reason.name}: ${e.reason.description})` : ''}`);
  if (e.egress) s.push(`egress: ${e.egress.name ?? `ifindex ${e.egress.ifindex}`}${e.egress.mark ? `, mark 0x${e.egress.mark.toString(16)}` : ''}`);
  const k = e.egress?.kernel;
  if (k)
    s.push(
      `egress (kernel): ip rule fwmark 0x${k.mark.toString(16)} lookup ${k.table}: ${k.route}; the kernel forwards it (TTL - 1) and writes ` +
        `eth.dst ${k.dstMac ? `${k.dstMac} (its neighbour entry for ${k.nextHop})` : `the MAC of ${k.nextHop} (no neighbour entry yet: it asks with ARP/ND)`}` +
        `, eth.src ${k.srcMac ?? `the MAC of ${k.iface}`} (${k.iface})`,
    );
  return s;
}

function connText(c: ConnInfo | null): string {
  if (!c) return '(none)';
  return `${c.protocol} ${c.client}:${c.clientPort} -> ${c.virtual}:${c.virtualPort} -> ${c.dest}:${c.destPort} ${c.state}`;
}
