/**
 * Shared setup for bench/table.ts and its worker: a shared state with one DR service of 4 real servers,
 * and an inserter that drives the IPVS core directly (no packet parsing).
 */
import { attachSharedState, type SharedState, type SharedStateBuffers } from '../src/table/shared-state.js';
import { SnapshotCompiler, loadSnapshot, type Snapshot, type SnapshotSpec } from '../src/dataplane/snapshot.js';
import { DEFAULT_TIMEOUTS, type IpvsRules } from '../src/ipvs/types.js';
import { ConnKey } from '../src/table/conn-key.js';
import { ConnResult } from '../src/table/ipvs-core.js';

/** VIP 10.0.0.100:80 as a host-order word. */
export const VIP = 0x0a000064;

/** The benchmark's rule set: wlc over 4 DR real servers. */
export function benchRules(scheduler = 'wlc'): IpvsRules {
  return {
    timeouts: DEFAULT_TIMEOUTS,
    services: [
      {
        key: { kind: 'addr', protocol: 'tcp', family: 4, address: '10.0.0.100', port: 80 },
        scheduler,
        schedFlags: [],
        persistenceTimeoutS: 0,
        netmask: '255.255.255.255',
        onePacket: false,
        persistenceEngine: '',
        realServers: [1, 2, 3, 4].map((i) => ({
          address: `192.168.1.${i}`,
          port: 80,
          forward: 'dr' as const,
          weight: 1,
          upperThreshold: 0,
          lowerThreshold: 0,
        })),
      },
    ],
  };
}

/** Compiles the bench rules on the main thread. */
export function benchSpec(state: SharedState, scheduler = 'wlc'): SnapshotSpec {
  return new SnapshotCompiler(state).compile(benchRules(scheduler), {
    linkType: 1,
    interfaces: [{ ifindex: 2, mac: '02:00:00:00:00:01', mtu: 1500, addresses: ['192.168.1.254/24'] }],
    // The real servers' MACs, as active resolution has them: an unresolved next hop is a counted drop.
    neighbours: Object.fromEntries([1, 2, 3, 4].map((i) => [`192.168.1.${i}`, `02:00:00:00:01:0${i}`])),
  });
}

/** A thread's inserter: creates SYN connections for clients [from, to) (client address = 0x0b000000 + n). */
export class Inserter {
  readonly state: SharedState;
  readonly snap: Snapshot;
  readonly k = new ConnKey();
  readonly r = new ConnResult();

  constructor(buffers: SharedStateBuffers, worker: number, spec: SnapshotSpec) {
    this.state = attachSharedState(buffers, worker);
    this.snap = loadSnapshot(spec, this.state);
    this.state.core.setConfig(this.snap.core);
  }

  /** Sends one packet with `flags` for client n; returns the status. */
  packet(n: number, flags: number, nowMs: number): number {
    this.k.setV4(6, 0x0b000000 + n, 1024 + (n & 0x7fff), VIP, 80);
    return this.state.core.inPacket(this.k, flags, 64, 0, nowMs, this.snap, this.r);
  }
}
