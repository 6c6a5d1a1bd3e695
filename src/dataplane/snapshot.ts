/**
 * A worker's live configuration: built from a SnapshotSpec by `loadSnapshot`, immutable afterwards,
 * swapped between batches. Holds the service lookup (fwmark, then proto+VIP+port, then port 0, as
 * ip_vs_service_find), dests in kernel list order with their forwarding info, one scheduler instance
 * per service over the service's shared scheduler state, and the CoreConfig for the table.
 *
 * Usage: main thread `const spec = compiler.compile(rules, env)` (snapshot-compiler.ts) -> postMessage
 * -> worker `snap = loadSnapshot(spec, state, snap)` -> `processBatch(batch, snap, state, nowMs)`.
 */
import type { DestView, FlowKey, Scheduler } from '../sched/types.js';
import { createScheduler } from '../sched/index.js';
import { parseAddrWords } from '../table/addr.js';
import type { ConnKey } from '../table/conn-key.js';
import type { CoreConfig, CoreDest, CoreService, ServiceResolver } from '../table/core-types.js';
import type { DestStats } from '../table/dest-stats.js';
import { Fwd } from '../table/layout.js';
import type { SharedState } from '../table/shared-state.js';
import { tcpTimeoutsMs } from '../table/tcp-states.js';
import type { LinkType } from '../core/batch.js';
import type { DestSpec, ServiceSpec, SnapshotSpec } from './snapshot-types.js';
import { macWords } from '../forward/l2.js';

export * from './snapshot-types.js';
export { SnapshotCompiler, compileSnapshot } from './snapshot-compiler.js';

/** A real server with everything the pipeline needs to forward to it. */
export class SnapDest implements CoreDest {
  readonly slot: number;
  readonly fwd: Fwd;
  readonly port: number;
  readonly weight: number;
  readonly lastWeight: number;
  readonly addr: Int32Array;
  /** Address words for the forward transforms. */
  readonly addrU: Uint32Array;
  readonly v6: boolean;
  readonly ifindex: number;
  readonly dstMac: Uint8Array;
  readonly srcMac: Uint8Array;
  /** dstMac and srcMac as the words forward/l2.ts frameEtherWords writes. */
  readonly macWords: Int32Array;
  /** False while the next hop has no neighbour entry: packets to it are dropped (neigh-unresolved). */
  readonly resolved: boolean;
  /** Address words of the next hop (the real server or the gateway towards it). */
  readonly nextHop = new Int32Array(4);
  readonly mtu: number;
  readonly mark: number;
  readonly tunSrc: Uint32Array;
  /** The spec it came from (names, thresholds). */
  readonly spec: DestSpec;

  constructor(d: DestSpec) {
    this.spec = d;
    this.slot = d.slot;
    this.fwd = d.fwd as Fwd;
    this.port = d.port;
    this.weight = d.weight;
    this.lastWeight = d.lastWeight;
    this.addrU = Uint32Array.from(d.addr);
    this.addr = new Int32Array(this.addrU.buffer);
    this.v6 = d.family === 6;
    this.ifindex = d.ifindex;
    this.dstMac = Uint8Array.from(d.dstMac);
    this.srcMac = Uint8Array.from(d.srcMac);
    this.macWords = macWords(this.dstMac, this.srcMac, new Int32Array(3));
    this.resolved = d.resolved;
    if (d.nextHop) parseAddrWords(d.nextHop, this.nextHop);
    this.mtu = d.mtu;
    this.mark = d.mark;
    this.tunSrc = Uint32Array.from(d.tunSrc);
  }
}

/** DestView over a service's dests (weights from the snapshot, counters and OVERLOAD from shared memory). */
class SharedDestView implements DestView {
  constructor(
    private readonly dests: SnapDest[],
    private readonly stats: DestStats,
  ) {}
  get count(): number {
    return this.dests.length;
  }
  weight(i: number): number {
    return this.dests[i]!.weight;
  }
  activeConns(i: number): number {
    return this.stats.active(this.dests[i]!.slot);
  }
  inactiveConns(i: number): number {
    return this.stats.inactive(this.dests[i]!.slot);
  }
  overloaded(i: number): boolean {
    return this.stats.overloaded(this.dests[i]!.slot);
  }
  available(_i: number): boolean {
    return true;
  }
  addr(i: number): Uint32Array {
    return this.dests[i]!.addrU;
  }
  port(i: number): number {
    return this.dests[i]!.port;
  }
  lastWeight(i: number): number {
    return this.dests[i]!.lastWeight;
  }
}

/** A virtual service in a worker: lookup key, persistence, dests and its scheduler. */
export class SnapService implements CoreService {
  readonly slot: number;
  readonly proto: number;
  readonly v6: boolean;
  readonly vaddr: Int32Array;
  readonly fwmark: number;
  readonly port: number;
  readonly persistent: boolean;
  readonly persistTimeoutMs: number;
  readonly netmask: Int32Array;
  readonly onePacket: boolean;
  readonly dests: SnapDest[];
  readonly view: DestView;
  readonly scheduler: Scheduler;

  constructor(
    readonly spec: ServiceSpec,
    dests: SnapDest[],
    stats: DestStats,
    sched: Scheduler,
  ) {
    this.slot = spec.slot;
    this.proto = spec.proto;
    this.v6 = spec.family === 6;
    this.vaddr = new Int32Array(Uint32Array.from(spec.vaddr).buffer);
    this.fwmark = spec.fwmark;
    this.port = spec.port;
    this.persistent = spec.persistTimeoutMs > 0;
    this.persistTimeoutMs = spec.persistTimeoutMs;
    this.netmask = new Int32Array(Uint32Array.from(spec.netmask).buffer);
    this.onePacket = spec.onePacket;
    this.dests = dests;
    this.view = new SharedDestView(dests, stats);
    this.scheduler = sched;
  }

  schedule(flow: FlowKey, nowMs: number): number {
    return this.scheduler.schedule(this.view, flow, nowMs);
  }
}

/**
 * Key of a service's address in `byAddr`. Signed Int32 on purpose: a key of 2^31 or more is a
 * HeapNumber, so each Map.get would allocate one per packet (half of all VIPs did, every SYN and
 * not-ours packet) and take about 4 ns longer; an Int32 is a small integer on 64-bit Node.
 */
function svcHash(proto: number, a: Int32Array, v6: boolean, port: number): number {
  let h = Math.imul(proto ^ 0x2545f491, 0x9e3779b1) ^ a[0]!;
  if (v6) h = Math.imul(h, 31) ^ a[1]! ^ Math.imul(a[2]!, 17) ^ Math.imul(a[3]!, 131);
  h = Math.imul(h ^ port, 0x85ebca6b);
  return (h ^ (h >>> 15)) | 0;
}

/** Results of Snapshot.egressFor. */
export const Egress = { Ok: 0, NoRoute: 1, Unresolved: 2 } as const;

/** A worker's compiled configuration (immutable; replace it as a whole). */
export class Snapshot implements ServiceResolver {
  readonly generation: number;
  readonly linkType: LinkType;
  readonly services: SnapService[];
  /** Dests by slot (undefined = not configured: not AVAILABLE). */
  readonly destBySlot: Array<SnapDest | undefined>;
  readonly core: CoreConfig;
  /** True when some dest uses NAT (reply lookups are needed). */
  readonly hasNat: boolean;
  private readonly byAddr = new Map<number, SnapService[]>();
  private readonly byMark = new Map<number, SnapService>();
  private readonly hasPortZero: boolean;
  private readonly egressList: Array<{
    v6: boolean;
    net: Int32Array;
    len: number;
    ifindex: number;
    srcMac: Uint8Array;
    via: Int32Array | null;
    gw: Uint8Array | null;
  }>;
  private readonly neigh4 = new Map<number, Uint8Array>();
  private readonly neigh6: Array<{ addr: Int32Array; mac: Uint8Array }> = [];
  private readonly placeholder: Uint8Array | null;
  /** Result of egressFor (reused): interface, MACs, and the next hop (gateway or the client itself). */
  readonly egress = { ifindex: 0, dstMac: new Uint8Array(6), srcMac: new Uint8Array(6), nextHop: new Int32Array(4) };

  constructor(
    readonly spec: SnapshotSpec,
    state: SharedState,
    prev?: Snapshot,
  ) {
    this.generation = spec.generation;
    this.linkType = spec.linkType;
    this.destBySlot = [];
    for (const d of spec.dests) this.destBySlot[d.slot] = new SnapDest(d);
    this.hasNat = spec.dests.some((d) => d.fwd === Fwd.Nat);
    this.services = [];
    let portZero = false;
    for (const s of spec.services) {
      const dests = s.destSlots.map((slot) => this.destBySlot[slot]!);
      const old = prev?.services.find((p) => p.slot === s.slot && p.spec.schedState === s.schedState);
      const reuse = old !== undefined && s.changes.every((c) => c.kind !== 'init');
      const sched = reuse ? old.scheduler : createScheduler(s.scheduler, s.schedFlags, { state: s.schedState });
      const svc = new SnapService(s, dests, state.stats, sched);
      // A worker that joins late initialises its private tables without re-applying shared changes.
      if (!reuse && s.changes[0]?.kind !== 'init') sched.update(svc.view, { kind: 'init', generation: spec.generation * 1024 });
      s.changes.forEach((c, j) => {
        const list = s.changeLists?.[j];
        const view =
          list === undefined
            ? svc.view
            : new SharedDestView(
                list.map((slot) => this.destBySlot[slot]!),
                state.stats,
              );
        sched.update(view, c);
      });
      this.services.push(svc);
      if (s.fwmark !== 0) this.byMark.set(s.fwmark * 2 + (s.family === 6 ? 1 : 0), svc);
      else {
        if (s.port === 0) portZero = true;
        const h = svcHash(s.proto, svc.vaddr, svc.v6, s.port);
        const list = this.byAddr.get(h);
        if (list) list.push(svc);
        else this.byAddr.set(h, [svc]);
      }
    }
    this.hasPortZero = portZero;
    this.placeholder = spec.placeholderMac ? Uint8Array.from(spec.placeholderMac) : null;
    this.egressList = spec.egress.map((g) => ({
      v6: g.family === 6,
      net: new Int32Array(Uint32Array.from(g.net).buffer),
      len: g.prefixLen,
      ifindex: g.ifindex,
      srcMac: Uint8Array.from(g.srcMac),
      gw: g.gatewayMac ? Uint8Array.from(g.gatewayMac) : null,
      via: g.via ? new Int32Array(Uint32Array.from(g.via).buffer) : null,
    }));
    for (const n of spec.neighbours) {
      if (n.family === 4) this.neigh4.set(n.addr[0]! | 0, Uint8Array.from(n.mac));
      else this.neigh6.push({ addr: new Int32Array(Uint32Array.from(n.addr).buffer), mac: Uint8Array.from(n.mac) });
    }
    const sc = spec.sysctls;
    this.core = {
      tcpTimeoutsMs: tcpTimeoutsMs(spec.timeouts.tcpS, spec.timeouts.tcpFinS),
      udpTimeoutMs: (spec.timeouts.udpS > 0 ? spec.timeouts.udpS : 300) * 1000,
      otherTimeoutMs: (spec.timeouts.udpS > 0 ? spec.timeouts.udpS : 300) * 1000,
      expireNodestConn: sc.expireNodestConn,
      expireQuiescentTemplate: sc.expireQuiescentTemplate,
      connReuseMode: sc.connReuseMode,
      sloppyTcp: sc.sloppyTcp,
      secureTcp: sc.secureTcp,
      dropEntry: sc.dropEntry,
      dropPacket: sc.dropPacket,
      amDroprate: sc.amDroprate,
      destBySlot: this.destBySlot,
    };
  }

  private findAddr(proto: number, a: Int32Array, v6: boolean, port: number): SnapService | null {
    const list = this.byAddr.get(svcHash(proto, a, v6, port));
    if (list === undefined) return null;
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      if (
        s.proto === proto &&
        s.port === port &&
        s.v6 === v6 &&
        s.vaddr[0] === a[0] &&
        (!v6 || (s.vaddr[1] === a[1] && s.vaddr[2] === a[2] && s.vaddr[3] === a[3]))
      )
        return s;
    }
    return null;
  }

  /**
   * Routes towards `addr` (a client): fills `this.egress` (ifindex, next hop, its MAC, source MAC) from
   * the longest matching route. Returns Egress.Ok, Egress.NoRoute, or Egress.Unresolved (the next hop
   * has no neighbour entry; egress.nextHop says which).
   */
  egressFor(v6: boolean, addr: Int32Array): number {
    const list = this.egressList;
    for (let r = 0; r < list.length; r++) {
      const g = list[r]!;
      if (g.v6 !== v6) continue;
      let ok = true;
      let len = g.len;
      for (let i = 0; i < 4 && len > 0 && ok; i++, len -= 32) {
        const m = len >= 32 ? -1 : (~0 << (32 - len)) | 0;
        ok = (addr[i]! & m) === (g.net[i]! & m);
      }
      if (!ok) continue;
      const eg = this.egress;
      eg.ifindex = g.ifindex;
      eg.srcMac.set(g.srcMac);
      eg.nextHop.set(g.via ?? addr);
      const mac = g.via ? (g.gw ?? this.placeholder) : this.neighbour(v6, addr);
      if (mac === null) return Egress.Unresolved;
      eg.dstMac.set(mac);
      return Egress.Ok;
    }
    return Egress.NoRoute;
  }

  private neighbour(v6: boolean, addr: Int32Array): Uint8Array | null {
    if (!v6) return this.neigh4.get(addr[0]!) ?? this.placeholder;
    for (const n of this.neigh6) {
      if (n.addr[0] === addr[0] && n.addr[1] === addr[1] && n.addr[2] === addr[2] && n.addr[3] === addr[3]) return n.mac;
    }
    return this.placeholder;
  }

  /** ip_vs_service_find: fwmark service, then proto+VIP+port, then proto+VIP+port 0. */
  findService(k: ConnKey, fwmark: number): SnapService | null {
    if (fwmark !== 0 && this.byMark.size > 0) {
      const s = this.byMark.get(fwmark * 2 + (k.v6 ? 1 : 0));
      if (s !== undefined) return s;
    }
    const s = this.findAddr(k.proto, k.vaddr, k.v6, k.vport);
    if (s !== null || !this.hasPortZero) return s;
    return this.findAddr(k.proto, k.vaddr, k.v6, 0);
  }
}

/** Builds (in a worker) the live Snapshot of `spec`, reusing `prev`'s scheduler instances where unchanged. */
export function loadSnapshot(spec: SnapshotSpec, state: SharedState, prev?: Snapshot): Snapshot {
  return new Snapshot(spec, state, prev);
}
