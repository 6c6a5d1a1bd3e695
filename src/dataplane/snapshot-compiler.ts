/**
 * Compiles an ipvsadm rule set + the director's environment into a SnapshotSpec (main thread, one
 * compiler per shared state). Keeps what must survive reloads: stable service and dest slots (a real
 * server kept by a reload keeps its counters), the kernel list order (existing dests keep their
 * place, new ones are pushed to the head), last_weight, shared scheduler state buffers, and the
 * scheduler update sequence per change. Deleted dests stay in the "trash" (not AVAILABLE) until no
 * connection refers to them, like ip_vs_trash; re-adding one revives its slot.
 */
import { addrPortText, serviceKeyText } from '../ipvs/service-key.js';
import type { IpvsRules, RealServerSpec, VirtualServiceSpec } from '../ipvs/types.js';
import type { DestChange } from '../sched/types.js';
import { schedulerStateBytes } from '../sched/index.js';
import type { SharedState } from '../table/shared-state.js';
import { netmaskWords, parseAddrWords } from '../table/addr.js';
import { Fwd } from '../table/layout.js';
import {
  DEFAULT_DR_MARK_BASE,
  DEFAULT_SYSCTLS,
  type DestSpec,
  type EgressSpec,
  type FwdCode,
  type NeighbourSpec,
  type ServiceSpec,
  type SnapshotEnv,
  type SnapshotSpec,
} from './snapshot-types.js';

interface DestRec {
  slot: number;
  lastWeight: number;
  weight: number;
  u: number;
  l: number;
}

interface SvcRec {
  slot: number;
  scheduler: string;
  schedFlags: string;
  schedState: SharedArrayBuffer;
  /** Dest keys in kernel list order. */
  order: string[];
  dests: Map<string, DestRec>;
}

interface Route {
  family: 4 | 6;
  net: Int32Array;
  len: number;
  ifindex: number;
  via?: string;
}

/** What every dest spec of one compile is built against. */
interface DestContext {
  routes: Route[];
  neigh: Record<string, string>;
  placeholder: number[] | null;
  markBase: number;
  env: SnapshotEnv;
  /** Scratch address words. */
  w: Int32Array;
}

/** One service's scheduler updates of this generation: each change and the dest list after it. */
interface ChangeLog {
  generation: number;
  changes: DestChange[];
  lists: number[][];
}

const FWD: Record<string, FwdCode> = { dr: Fwd.Dr, nat: Fwd.Nat, tun: Fwd.Tun, local: Fwd.Local };
const PROTO: Record<string, number> = { tcp: 6, udp: 17, sctp: 132 };

function destKeyText(d: RealServerSpec): string {
  return addrPortText(d.address, d.port);
}

function parseMacBytes(text: string): number[] {
  const p = text.split(':').map((x) => parseInt(x, 16));
  if (p.length !== 6 || p.some((x) => !(x >= 0 && x <= 255))) throw new Error(`bad MAC address: ${text}`);
  return p;
}

function prefixMatch(a: Int32Array, net: Int32Array, len: number): boolean {
  for (let i = 0; i < 4 && len > 0; i++, len -= 32) {
    const bits = Math.min(32, len);
    const m = bits === 32 ? -1 : (~0 << (32 - bits)) | 0;
    if ((a[i]! & m) !== (net[i]! & m)) return false;
  }
  return true;
}

/** Compiles rule sets for one shared state, remembering slots and order between generations. */
export class SnapshotCompiler {
  private generation = 0;
  private readonly services = new Map<string, SvcRec>();
  /** Deleted dests still referenced: "svcKey|destKey" -> slot. */
  private readonly trash = new Map<string, number>();
  private readonly freeDestSlots: number[] = [];
  private readonly freeSvcSlots: number[] = [];
  private nextDest = 0;
  private nextSvc = 0;

  constructor(readonly state: SharedState) {}

  private allocDest(): number {
    const s = this.freeDestSlots.pop() ?? this.nextDest++;
    if (s >= this.state.stats.maxDests) throw new RangeError(`too many real servers (max ${this.state.stats.maxDests} dest slots)`);
    return s;
  }

  private allocSvc(): number {
    const s = this.freeSvcSlots.pop() ?? this.nextSvc++;
    if (s >= this.state.stats.maxServices) throw new RangeError(`too many virtual services (max ${this.state.stats.maxServices})`);
    return s;
  }

  /** Releases trash slots no connection refers to any more (also called by compile). */
  collectTrash(): void {
    const st = this.state.stats;
    for (const [key, slot] of this.trash) {
      if (st.refs(slot) === 0) {
        st.release(slot);
        this.trash.delete(key);
        this.freeDestSlots.push(slot);
      }
    }
  }

  /** Compiles `rules` against `env` into the next generation's spec and updates the shared dest records. */
  compile(rules: IpvsRules, env: SnapshotEnv): SnapshotSpec {
    const gen = ++this.generation;
    this.collectTrash();
    const routes = this.routes(env);
    const placeholder = env.placeholderMac !== undefined ? parseMacBytes(env.placeholderMac) : null;
    const ctx: DestContext = { routes, neigh: env.neighbours ?? {}, placeholder, markBase: env.drMarkBase ?? DEFAULT_DR_MARK_BASE, env, w: new Int32Array(4) };
    const seen = new Set<string>();
    const services: ServiceSpec[] = [];
    const dests: DestSpec[] = [];
    for (const vs of rules.services) {
      const sk = serviceKeyText(vs.key);
      seen.add(sk);
      services.push(this.compileService(vs, sk, gen, ctx, dests));
    }
    this.retireServicesNotIn(seen);
    return {
      generation: gen,
      linkType: env.linkType,
      sysctls: { ...DEFAULT_SYSCTLS, ...env.sysctls },
      timeouts: { ...rules.timeouts },
      services,
      dests,
      egress: egressSpecs(routes, env, ctx.neigh, placeholder),
      neighbours: neighbourSpecs(ctx.neigh),
      placeholderMac: placeholder,
    };
  }

  /** One virtual service: its record (kept, rescheduled or new), its dest changes in kernel order, its spec; its dests go to `dests`. */
  private compileService(vs: VirtualServiceSpec, sk: string, gen: number, ctx: DestContext, dests: DestSpec[]): ServiceSpec {
    const log: ChangeLog = { generation: gen * 1024, changes: [], lists: [] };
    const { rec: r, mode } = this.serviceRecord(vs, sk, log);
    const record = (c: DestChange): void => {
      if (mode === 'resched') return;
      log.changes.push(c);
      log.lists.push(r.order.map((dk) => r.dests.get(dk)!.slot));
    };
    const wanted = new Map(vs.realServers.map((d) => [destKeyText(d), d]));
    this.deleteDests(sk, r, wanted, log, record);
    this.addOrEditDests(sk, vs, r, log, record);
    if (mode === 'resched') {
      log.changes.push({ kind: 'init', generation: ++log.generation });
      log.lists.push(r.order.map((dk) => r.dests.get(dk)!.slot));
    }
    const family = vs.key.family;
    const destSlots: number[] = [];
    for (const dk of r.order) {
      const dr = r.dests.get(dk)!;
      destSlots.push(dr.slot);
      dests.push(this.destSpec(vs, wanted.get(dk)!, dr, r.slot, family, ctx.routes, ctx.neigh, ctx.placeholder, ctx.markBase, ctx.env, ctx.w));
    }
    const w = ctx.w;
    const vaddr = [0, 0, 0, 0];
    if (vs.key.kind === 'addr') {
      parseAddrWords(vs.key.address, w);
      for (let j = 0; j < 4; j++) vaddr[j] = w[j]! >>> 0;
    }
    netmaskWords(vs.persistenceTimeoutS > 0 ? vs.netmask : '', family, w);
    return {
      slot: r.slot,
      proto: vs.key.kind === 'addr' ? PROTO[vs.key.protocol]! : 0,
      family,
      vaddr,
      port: vs.key.kind === 'addr' ? vs.key.port : 0,
      fwmark: vs.key.kind === 'fwmark' ? vs.key.fwmark : 0,
      scheduler: vs.scheduler,
      schedFlags: [...vs.schedFlags],
      schedState: r.schedState,
      persistTimeoutMs: Math.min(vs.persistenceTimeoutS, 86400 * 12) * 1000,
      netmask: Array.from(w),
      onePacket: vs.onePacket,
      destSlots,
      changes: log.changes,
      changeLists: log.lists,
    };
  }

  /**
   * The service's record and how its scheduler learns this generation's list. new: -A (init on an empty
   * list, logged here) then one -a per real server; resched: -E with another scheduler (init on the whole
   * list, once, at the end); diff: each del/add/edit with the list after it.
   */
  private serviceRecord(vs: VirtualServiceSpec, sk: string, log: ChangeLog): { rec: SvcRec; mode: 'new' | 'resched' | 'diff' } {
    let rec = this.services.get(sk);
    const flagsText = vs.schedFlags.join(',');
    if (rec !== undefined && rec.scheduler === vs.scheduler && rec.schedFlags === flagsText) return { rec, mode: 'diff' };
    const schedState = new SharedArrayBuffer(schedulerStateBytes(vs.scheduler));
    if (rec !== undefined) {
      rec.scheduler = vs.scheduler;
      rec.schedFlags = flagsText;
      rec.schedState = schedState;
      return { rec, mode: 'resched' };
    }
    rec = { slot: this.allocSvc(), scheduler: vs.scheduler, schedFlags: flagsText, schedState, order: [], dests: new Map() };
    this.state.stats.zeroService(rec.slot);
    this.services.set(sk, rec);
    log.changes.push({ kind: 'init', generation: ++log.generation });
    log.lists.push([]);
    return { rec, mode: 'new' };
  }

  /** Deletions (kernel: ip_vs_del_dest -> trash), in the current list. */
  private deleteDests(sk: string, r: SvcRec, wanted: Map<string, RealServerSpec>, log: ChangeLog, record: (c: DestChange) => void): void {
    for (let i = r.order.length - 1; i >= 0; i--) {
      const dk = r.order[i]!;
      if (wanted.has(dk)) continue;
      const d = r.dests.get(dk)!;
      r.order.splice(i, 1);
      r.dests.delete(dk);
      this.state.stats.configure(d.slot, d.weight, d.u, d.l, false);
      this.trash.set(`${sk}|${dk}`, d.slot);
      record({ kind: 'del', index: i, generation: ++log.generation });
    }
  }

  /** Additions (push-front in command order; a trashed dest revives its slot) and edits. */
  private addOrEditDests(sk: string, vs: VirtualServiceSpec, r: SvcRec, log: ChangeLog, record: (c: DestChange) => void): void {
    const stats = this.state.stats;
    for (const d of vs.realServers) {
      const dk = destKeyText(d);
      const old = r.dests.get(dk);
      if (old === undefined) {
        const trashed = this.trash.get(`${sk}|${dk}`);
        let slot: number;
        if (trashed !== undefined) {
          this.trash.delete(`${sk}|${dk}`);
          slot = trashed;
        } else {
          slot = this.allocDest();
          stats.release(slot);
        }
        const lastWeight = d.weight !== 0 ? d.weight : 0;
        r.dests.set(dk, { slot, lastWeight, weight: d.weight, u: d.upperThreshold, l: d.lowerThreshold });
        r.order.unshift(dk);
        stats.configure(slot, d.weight, d.upperThreshold, d.lowerThreshold, true);
        record({ kind: 'add', index: 0, generation: ++log.generation });
      } else if (old.weight !== d.weight || old.u !== d.upperThreshold || old.l !== d.lowerThreshold) {
        old.weight = d.weight;
        if (d.weight !== 0) old.lastWeight = d.weight;
        old.u = d.upperThreshold;
        old.l = d.lowerThreshold;
        stats.configure(old.slot, d.weight, d.upperThreshold, d.lowerThreshold, true);
        record({ kind: 'edit', index: r.order.indexOf(dk), generation: ++log.generation });
      }
    }
  }

  /** Services that disappeared: their dests go to the trash, their slots are freed. */
  private retireServicesNotIn(seen: Set<string>): void {
    for (const [sk, r] of this.services) {
      if (seen.has(sk)) continue;
      for (const [dk, d] of r.dests) {
        this.state.stats.configure(d.slot, d.weight, d.u, d.l, false);
        this.trash.set(`${sk}|${dk}`, d.slot);
      }
      this.services.delete(sk);
      this.freeSvcSlots.push(r.slot);
    }
  }

  private destSpec(
    vs: VirtualServiceSpec,
    d: RealServerSpec,
    dr: DestRec,
    svcSlot: number,
    family: 4 | 6,
    routes: Route[],
    neigh: Record<string, string>,
    placeholder: number[] | null,
    markBase: number,
    env: SnapshotEnv,
    w: Int32Array,
  ): DestSpec {
    const fam = parseAddrWords(d.address, w);
    const addr = Array.from(w, (x) => x >>> 0);
    let best: Route | undefined;
    for (const rt of routes) if (rt.family === fam && prefixMatch(w, rt.net, rt.len) && (!best || rt.len > best.len)) best = rt;
    const iface = env.interfaces.find((i) => i.ifindex === best?.ifindex) ?? env.interfaces[0];
    const nextHop = best?.via ?? d.address;
    const mac = neigh[nextHop];
    let tunSrc = [0, 0, 0, 0];
    const local = [...(iface?.addresses ?? []).map((a) => a.split('/')[0]!), ...(env.localAddresses ?? [])];
    for (const a of local) {
      const t = new Int32Array(4);
      if (parseAddrWords(a, t) === fam) {
        tunSrc = Array.from(t, (x) => x >>> 0);
        break;
      }
    }
    void vs;
    return {
      slot: dr.slot,
      serviceSlot: svcSlot,
      family: fam === family ? family : fam,
      addr,
      address: d.address,
      port: d.port,
      fwd: FWD[d.forward] ?? 0,
      weight: d.weight,
      lastWeight: dr.lastWeight,
      uThreshold: d.upperThreshold,
      lThreshold: d.lowerThreshold,
      ifindex: iface?.ifindex ?? 0,
      dstMac: mac ? parseMacBytes(mac) : (placeholder ?? [0, 0, 0, 0, 0, 0]),
      nextHop,
      resolved: mac !== undefined || placeholder !== null,
      srcMac: iface ? parseMacBytes(iface.mac) : [0, 0, 0, 0, 0, 0],
      mtu: iface?.mtu ?? 1500,
      mark: (markBase + dr.slot) >>> 0,
      tunSrc,
    };
  }

  private routes(env: SnapshotEnv): Route[] {
    const out: Route[] = [];
    for (const i of env.interfaces) {
      for (const a of i.addresses) {
        const [ip, len] = a.split('/');
        const net = new Int32Array(4);
        const family = parseAddrWords(ip!, net);
        out.push({ family, net, len: len !== undefined ? Number(len) : family === 4 ? 32 : 128, ifindex: i.ifindex });
      }
    }
    for (const r of env.routes ?? []) {
      const net = new Int32Array(4);
      const family = parseAddrWords(r.prefix, net);
      out.push({ family, net, len: r.prefixLen, ifindex: r.ifindex, via: r.via });
    }
    return out;
  }
}

/** Egress routes, longest prefix first, with the gateway's MAC (or the placeholder) when one is known. */
function egressSpecs(routes: Route[], env: SnapshotEnv, neigh: Record<string, string>, placeholder: number[] | null): EgressSpec[] {
  return routes
    .map((rt) => {
      const iface = env.interfaces.find((i) => i.ifindex === rt.ifindex);
      const gw = rt.via !== undefined ? neigh[rt.via] : undefined;
      const via = rt.via === undefined ? null : new Int32Array(4);
      if (via) parseAddrWords(rt.via!, via);
      return {
        family: rt.family,
        net: Array.from(rt.net, (x) => x >>> 0),
        prefixLen: rt.len,
        ifindex: rt.ifindex,
        srcMac: iface ? parseMacBytes(iface.mac) : [0, 0, 0, 0, 0, 0],
        via: via ? Array.from(via, (x) => x >>> 0) : null,
        gatewayMac: rt.via === undefined ? null : gw !== undefined ? parseMacBytes(gw) : placeholder,
      };
    })
    .sort((a, b) => b.prefixLen - a.prefixLen);
}

/** The neighbour table as address words and MAC bytes. */
function neighbourSpecs(neigh: Record<string, string>): NeighbourSpec[] {
  return Object.entries(neigh).map(([ip, mac]) => {
    const t = new Int32Array(4);
    const family = parseAddrWords(ip, t);
    return { family, addr: Array.from(t, (x) => x >>> 0), mac: parseMacBytes(mac) };
  });
}

/** Compiles `rules` against `env` with `compiler` (convenience for the one-compiler case). */
export function compileSnapshot(rules: IpvsRules, env: SnapshotEnv, compiler: SnapshotCompiler): SnapshotSpec {
  return compiler.compile(rules, env);
}
