// Test harness (not a test): shared state + snapshot + direct calls into the IPVS core, with a fake clock.
import { attachSharedState, createSharedState, type SharedState, type SharedStateBuffers } from '../../src/table/shared-state.js';
import { SnapshotCompiler, loadSnapshot, type Snapshot, type IpvsSysctls, type SnapshotEnv } from '../../src/dataplane/snapshot.js';
import type { ForwardMethod, IpvsTimeouts, VirtualServiceSpec } from '../../src/ipvs/types.js';
import { DEFAULT_TIMEOUTS } from '../../src/ipvs/types.js';
import { ConnKey } from '../../src/table/conn-key.js';
import { ConnResult, type ConnStatus } from '../../src/table/ipvs-core.js';
import { listConnections, type ConnInfo } from '../../src/table/conn-list.js';
import { parseAddrWords } from '../../src/table/addr.js';

export interface Rs {
  address: string;
  port?: number;
  forward?: ForwardMethod;
  weight?: number;
  x?: number;
  y?: number;
}

/** A virtual service spec (real servers in ipvsadm add order). */
export function svc(
  protocol: 'tcp' | 'udp',
  vip: string,
  port: number,
  scheduler: string,
  rs: Rs[],
  extra: Partial<VirtualServiceSpec> = {},
): VirtualServiceSpec {
  const family = vip.includes(':') ? 6 : 4;
  return {
    key: { kind: 'addr', protocol, family, address: vip, port },
    scheduler,
    schedFlags: [],
    persistenceTimeoutS: 0,
    netmask: family === 4 ? '255.255.255.255' : '128',
    onePacket: false,
    persistenceEngine: '',
    realServers: rs.map((r) => ({
      address: r.address,
      port: r.port ?? port,
      forward: r.forward ?? 'dr',
      weight: r.weight ?? 1,
      upperThreshold: r.x ?? 0,
      lowerThreshold: r.y ?? 0,
    })),
    ...extra,
  };
}

/** An fwmark service spec. */
export function fwmarkSvc(fwmark: number, scheduler: string, rs: Rs[], extra: Partial<VirtualServiceSpec> = {}): VirtualServiceSpec {
  return { ...svc('tcp', '0.0.0.0', 0, scheduler, rs, extra), key: { kind: 'fwmark', fwmark, family: 4 } };
}

/** A one-interface environment. */
export function env(sysctls: Partial<IpvsSysctls> = {}): SnapshotEnv {
  return {
    linkType: 1,
    interfaces: [{ ifindex: 2, mac: '02:00:00:00:00:01', mtu: 1500, addresses: ['10.0.0.1/24', '192.168.1.1/24', '2001:db8::1/64'] }],
    neighbours: { '192.168.1.10': '02:00:00:00:01:10', '192.168.1.11': '02:00:00:00:01:11' },
    routes: [{ prefix: '0.0.0.0', prefixLen: 0, ifindex: 2, via: '10.0.0.254' }],
    sysctls,
  };
}

function w(text: string): number {
  const a = new Int32Array(4);
  parseAddrWords(text, a);
  return a[0]!;
}

/** Shared state + compiler + current snapshot for one "worker" (index 0). */
export class Harness {
  readonly buffers: SharedStateBuffers;
  readonly state: SharedState;
  readonly compiler: SnapshotCompiler;
  snap!: Snapshot;
  readonly k = new ConnKey();
  readonly r = new ConnResult();

  constructor(opts: { maxConns?: number; maxWorkers?: number } = {}) {
    this.buffers = createSharedState({ maxConns: opts.maxConns ?? 4096, maxDests: 64, maxServices: 16, maxWorkers: opts.maxWorkers ?? 2, seed: 12345 });
    this.state = attachSharedState(this.buffers, 0);
    this.compiler = new SnapshotCompiler(this.state);
  }

  /** Compiles and installs a rule set. */
  load(services: VirtualServiceSpec[], sysctls: Partial<IpvsSysctls> = {}, timeouts: IpvsTimeouts = DEFAULT_TIMEOUTS): Snapshot {
    const spec = this.compiler.compile({ services, timeouts }, env(sysctls));
    this.snap = loadSnapshot(spec, this.state, this.snap);
    this.state.core.setConfig(this.snap.core);
    return this.snap;
  }

  /** Client -> VIP packet (IPv4). */
  inp(proto: number, client: string, cport: number, vip: string, vport: number, flags: number, nowMs: number, fwmark = 0): ConnStatus {
    this.k.setV4(proto, w(client), cport, w(vip), vport);
    return this.state.core.inPacket(this.k, flags, 60, fwmark, nowMs, this.snap, this.r);
  }

  /** Real server -> client reply (IPv4, NAT). */
  out(proto: number, rs: string, rsport: number, client: string, cport: number, flags: number, nowMs: number): ConnStatus {
    const k = this.k;
    k.setV4(proto, w(client), cport, 0, 0);
    k.daddr[0] = w(rs);
    k.dport = rsport;
    return this.state.core.outPacket(k, flags, 60, nowMs, this.r);
  }

  /** Live records. */
  conns(nowMs: number): ConnInfo[] {
    return listConnections(this.state.conns, nowMs);
  }

  /** The conn of client:cport (first match). */
  conn(client: string, cport: number, nowMs: number): ConnInfo | undefined {
    return this.conns(nowMs).find((c) => !c.template && c.client === client && c.clientPort === cport);
  }

  /** Dest slot of a real server address in the current snapshot. */
  slot(address: string): number {
    const d = this.snap.spec.dests.find((x) => x.address === address);
    if (!d) throw new Error(`no dest ${address}`);
    return d.slot;
  }

  /** Active/inactive/persistent counters of a real server. */
  counts(address: string): [number, number, number] {
    const s = this.slot(address);
    const st = this.state.stats;
    return [st.active(s), st.inactive(s), st.persistent(s)];
  }

  /** Dest address chosen by the last Hit. */
  chosen(): string {
    const d = this.snap.destBySlot[this.r.destSlot];
    return d ? d.spec.address : '?';
  }
}

/** TCP flag bytes. */
export const SYN = 0x02;
export const ACK = 0x10;
export const FIN = 0x01;
export const RST = 0x04;
export const SYNACK = 0x12;
export const FINACK = 0x11;
