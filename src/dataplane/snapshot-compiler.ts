/**
 * Compiles an ipvsadm rule set + the director's environment into a SnapshotSpec (main thread, one
 * compiler per shared state). Keeps what must survive reloads: stable service and dest slots (a real
 * server kept by a reload keeps its counters), the kernel list order (existing dests keep their
 * place, new ones are pushed to the head), last_weight, shared scheduler state buffers, and the
 * scheduler update sequence per change. Deleted dests stay in the "trash" (not AVAILABLE) until no
 * connection refers to them, like ip_vs_trash; re-adding one revives its slot.
 */
import type { IpvsRules, RealServerSpec, ServiceKey, VirtualServiceSpec } from '../ipvs/types.js';
import type { DestChange } from '../sched/types.js';
import { schedulerStateBytes } from '../sched/index.js';
import type { SharedState } from '../table/shared-state.js';
import { netmaskWords, parseAddrWords } from '../table/addr.js';
import { Fwd } from '../table/layout.js';
import {
  DEFAULT_DR_MARK_BASE, DEFAULT_SYSCTLS, type DestSpec, type EgressSpec, type FwdCode,
  type NeighbourSpec, type ServiceSpec,
  type SnapshotEnv, type SnapshotSpec,
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

const FWD: Record<string, FwdCode> = { dr: Fwd.Dr, nat: Fwd.Nat, tun: Fwd.Tun, local: Fwd.Local };
const PROTO: Record<string, number> = { tcp: 6, udp: 17, sctp: 132 };

function serviceKeyText(k: ServiceKey): string {
  return k.kind === 'fwmark' ? `f:${k.fwmark}:${k.family}` : `${k.protocol}:${k.address}:${k.port}`;
}

function destKeyText(d: RealServerSpec): string {
  return `${d.address}:${d.port}`;
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
    const stats = this.state.stats;
    this.collectTrash();
    const routes = this.routes(env);
    const placeholder = env.placeholderMac !== undefined ? parseMacBytes(env.placeholderMac) : null;
    const markBase = env.drMarkBase ?? DEFAULT_DR_MARK_BASE;
    const neigh = env.neighbours ?? {};
    const seen = new Set<string>();
    const services: ServiceSpec[] = [];
    const dests: DestSpec[] = [];
    const w = new Int32Array(4);
    for (const vs of rules.services) {
      const sk = serviceKeyText(vs.key);
      seen.add(sk);
      let rec = this.services.get(sk);
      const flagsText = vs.schedFlags.join(',');
      const changes: DestChange[] = [];
      const changeLists: number[][] = [];
      let changeGen = gen * 1024;
      // new: -A (init on an empty list) then one -a per real server; resched: -E with another scheduler
      // (init on the whole list, once, at the end); diff: each del/add/edit with the list after it.
      let mode: 'new' | 'resched' | 'diff' = 'diff';
      if (rec === undefined || rec.scheduler !== vs.scheduler || rec.schedFlags !== flagsText) {
        const schedState = new SharedArrayBuffer(schedulerStateBytes(vs.scheduler));
        if (rec === undefined) {
          rec = { slot: this.allocSvc(), scheduler: vs.scheduler, schedFlags: flagsText, schedState, order: [], dests: new Map() };
          stats.zeroService(rec.slot);
          this.services.set(sk, rec);
        } else {
          rec.scheduler = vs.scheduler;
          rec.schedFlags = flagsText;
          rec.schedState = schedState;
          mode = 'resched';
        }
        if (mode !== 'resched') {
          mode = 'new';
          changes.push({ kind: 'init', generation: ++changeGen });
          changeLists.push([]);
        }
      }
      const r = rec;
      const record = (c: DestChange): void => {
        if (mode === 'resched') return;
        changes.push(c);
        changeLists.push(r.order.map((dk) => r.dests.get(dk)!.slot));
      };
      // Deletions (kernel: ip_vs_del_dest -> trash), in the current list.
      const wanted = new Map(vs.realServers.map((d) => [destKeyText(d), d]));
      for (let i = r.order.length - 1; i >= 0; i--) {
        const dk = r.order[i]!;
        if (wanted.has(dk)) continue;
        const d = r.dests.get(dk)!;
        r.order.splice(i, 1);
        r.dests.delete(dk);
        stats.configure(d.slot, d.weight, d.u, d.l, false);
        this.trash.set(`${sk}|${dk}`, d.slot);
        record({ kind: 'del', index: i, generation: ++changeGen });
      }
      // Additions (push-front in command order) and edits.
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
          record({ kind: 'add', index: 0, generation: ++changeGen });
        } else if (old.weight !== d.weight || old.u !== d.upperThreshold || old.l !== d.lowerThreshold) {
          old.weight = d.weight;
          if (d.weight !== 0) old.lastWeight = d.weight;
          old.u = d.upperThreshold;
          old.l = d.lowerThreshold;
          stats.configure(old.slot, d.weight, d.upperThreshold, d.lowerThreshold, true);
          record({ kind: 'edit', index: r.order.indexOf(dk), generation: ++changeGen });
        }
      }
      if (mode === 'resched') {
        changes.push({ kind: 'init', generation: ++changeGen });
        changeLists.push(r.order.map((dk) => r.dests.get(dk)!.slot));
      }
      const family = vs.key.family;
      const destSlots: number[] = [];
      for (const dk of r.order) {
        const d = wanted.get(dk)!;
        const dr = r.dests.get(dk)!;
        destSlots.push(dr.slot);
        dests.push(this.destSpec(vs, d, dr, r.slot, family, routes, neigh, placeholder, markBase, env, w));
      }
      const vaddr = [0, 0, 0, 0];
      if (vs.key.kind === 'addr') {
        parseAddrWords(vs.key.address, w);
        for (let j = 0; j < 4; j++) vaddr[j] = w[j]! >>> 0;
      }
      netmaskWords(vs.persistenceTimeoutS > 0 ? vs.netmask : '', family, w);
      services.push({
        slot: r.slot, proto: vs.key.kind === 'addr' ? PROTO[vs.key.protocol]! : 0, family, vaddr,
        port: vs.key.kind === 'addr' ? vs.key.port : 0, fwmark: vs.key.kind === 'fwmark' ? vs.key.fwmark : 0,
        scheduler: vs.scheduler, schedFlags: [...vs.schedFlags], schedState: r.schedState,
        persistTimeoutMs: Math.min(vs.persistenceTimeoutS, 86400 * 12) * 1000, netmask: Array.from(w),
        onePacket: vs.onePacket, destSlots, changes, changeLists,
      });
    }
    // Services that disappeared: their dests go to the trash, their slots are freed.
    for (const [sk, r] of this.services) {
      if (seen.has(sk)) continue;
      for (const [dk, d] of r.dests) {
        stats.configure(d.slot, d.weight, d.u, d.l, false);
        this.trash.set(`${sk}|${dk}`, d.slot);
      }
      this.services.delete(sk);
      this.freeSvcSlots.push(r.slot);
    }
    const egress: EgressSpec[] = routes.map((rt) => {
      const iface = env.interfaces.find((i) => i.ifindex === rt.ifindex);
      const gw = rt.via !== undefined ? neigh[rt.via] : undefined;
      const via = rt.via === undefined ? null : new Int32Array(4);
      if (via) parseAddrWords(rt.via!, via);
      return {
        family: rt.family, net: Array.from(rt.net, (x) => x >>> 0), prefixLen: rt.len, ifindex: rt.ifindex,
        srcMac: iface ? parseMacBytes(iface.mac) : [0, 0, 0, 0, 0, 0],
        via: via ? Array.from(via, (x) => x >>> 0) : null,
        gatewayMac: rt.via === undefined ? null : gw !== undefined ? parseMacBytes(gw) : placeholder,
      };
    }).sort((a, b) => b.prefixLen - a.prefixLen);
    const neighbours: NeighbourSpec[] = Object.entries(neigh).map(([ip, mac]) => {
      const t = new Int32Array(4);
      const family = parseAddrWords(ip, t);
      return { family, addr: Array.from(t, (x) => x >>> 0), mac: parseMacBytes(mac) };
    });
    return {
      generation: gen, linkType: env.linkType, sysctls: { ...DEFAULT_SYSCTLS, ...env.sysctls }, timeouts: { ...rules.timeouts },
      services, dests, egress, neighbours, placeholderMac: placeholder,
    };
  }

  private destSpec(vs: VirtualServiceSpec, d: RealServerSpec, dr: DestRec, svcSlot: number, family: 4 | 6, routes: Route[],
    neigh: Record<string, string>, placeholder: number[] | null, markBase: number, env: SnapshotEnv, w: Int32Array): DestSpec {
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
      slot: dr.slot, serviceSlot: svcSlot, family: fam === family ? family : fam, addr, address: d.address, port: d.port,
      fwd: FWD[d.forward] ?? 0, weight: d.weight, lastWeight: dr.lastWeight, uThreshold: d.upperThreshold,
      lThreshold: d.lowerThreshold, ifindex: iface?.ifindex ?? 0, dstMac: mac ? parseMacBytes(mac) : placeholder ?? [0, 0, 0, 0, 0, 0],
      nextHop, resolved: mac !== undefined || placeholder !== null,
      srcMac: iface ? parseMacBytes(iface.mac) : [0, 0, 0, 0, 0, 0], mtu: iface?.mtu ?? 1500, mark: (markBase + dr.slot) >>> 0,
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

/** Compiles `rules` against `env` with `compiler` (convenience for the one-compiler case). */
export function compileSnapshot(rules: IpvsRules, env: SnapshotEnv, compiler: SnapshotCompiler): SnapshotSpec {
  return compiler.compile(rules, env);
}
