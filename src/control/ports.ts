/**
 * The daemon's view of the parts it drives, as small interfaces of its own: the data plane (worker
 * pool), the VRRP manager and the health manager. adapters.ts binds them to the real modules; tests
 * pass fakes. Nothing here is on the packet path.
 */
import type { Explanation } from '../dataplane/explain.js';
import type { ExplainFlow } from '../dataplane/explain-flow.js';
import type { IpvsRules, ServiceKey } from '../ipvs/types.js';
import type { SyncTablePort } from './conn-sync.js';
import type { HealthPort, HealthPortDecision, HealthPortView } from '../health/control-port.js';
import type { VrrpConfig } from '../vrrp/types.js';
import type { VrrpSample } from '../metrics/source.js';
import type { ConnectionEntry, IpvsStats } from './types.js';

/** Live numbers of one real server, read from shared memory. */
export interface DestCounters {
  address: string;
  port: number;
  activeConns: number;
  inactiveConns: number;
  persistConns: number;
  stats: IpvsStats;
}

/** Live numbers of one virtual service and its real servers. */
export interface ServiceCounters {
  key: ServiceKey;
  stats: IpvsStats;
  dests: DestCounters[];
}

/** Data-plane health numbers for /metrics (all cumulative except batch sizes). */
export interface DataPlaneMetrics {
  /** Packets dropped, by reason name. */
  dropsByReason: Record<string, number>;
  /** Per worker: packets, batches, queue drops (kernel queue overflow) and a batch-size histogram. */
  workers: Array<{ worker: number; packets: number; batches: number; queueDrops: number; batchSizeBuckets?: Array<[le: number, count: number]> }>;
}

/** What the daemon needs from the data plane (dataplane/pool.ts behind an adapter). */
export interface DataPlanePort {
  /** Human name for logs, e.g. "nfqueue x2". */
  readonly description: string;
  /** Compiles and publishes the rules; resolves when every worker runs them. */
  publish(rules: IpvsRules): Promise<void>;
  /** Counters of every service (at call time, summed over workers). */
  counters(): ServiceCounters[];
  /** The connection table (ipvsadm -L -c); the first `limit` entries when given. */
  connections(limit?: number): ConnectionEntry[];
  /** Zeroes the counters of one service, or all. */
  zero(key?: ServiceKey): void;
  /** Data-plane drop and worker numbers, if the implementation has them. */
  metrics?(): DataPlaneMetrics | undefined;
  /** Stops the workers and removes what they installed (netfilter rules). */
  stop(): Promise<void>;
  /**
   * Addresses another part owns (VRRP instances' VIPs): the data plane must not add or remove them
   * itself, VRRP adds them on MASTER and removes them on BACKUP/stop. Takes effect on the next publish.
   */
  setForeignAddresses?(addresses: string[]): void;
  /** The shared connection table as the sync daemon reads and writes it, if this data plane has one. */
  syncTable?(): SyncTablePort | undefined;
  /** `ulvs explain`: what the data plane would do with one packet of `flow` now (run on a copy; nothing live changes). */
  explain?(flow: ExplainFlow): Explanation | undefined;
  /** Live packet sampling: up to `rate` packets a second per worker (0 = off, the default). */
  setSampling?(rate: number): void;
  /** The sampling rate and the newest sampled packets (oldest first). */
  samples?(): { rate: number; samples: SampleView[] };
  /** Explains sampled packet `seq` on a copy of the state, with the live verdict; undefined when it is gone. */
  explainSample?(seq: number): Explanation | undefined;
}

/** A sampled live packet as listed. */
export interface SampleView {
  seq: number;
  atMs: number;
  flow: string;
  /** The live pipeline's verdict and reason. */
  verdict: string;
  reason: string | null;
}

/** A packet to explain (dataplane/explain-flow.ts). */
export type { ExplainFlow } from '../dataplane/explain-flow.js';

/** One VRRP instance's state for status and metrics: the metrics sample's state and counters, named. */
export interface VrrpInstanceView extends Omit<VrrpSample, 'instance'> {
  name: string;
  family: 4 | 6;
  interface: string;
  /** keepalived's become_master / release_master / pri_zero counters (for its dump files). */
  becomeMaster?: number;
  releaseMaster?: number;
  priorityZeroReceived?: number;
  priorityZeroSent?: number;
}

/** What the daemon needs from the VRRP manager. */
export interface VrrpPort {
  /** Applies a (new) VRRP configuration; instances matched as keepalived's vrrp_exist matches keep state. */
  apply(config: { vrrp?: VrrpConfig } | undefined): Promise<void>;
  /** Clean stop: priority-0 adverts from masters, VIPs removed. */
  stop(): Promise<void>;
  instances(): VrrpInstanceView[];
  /** Holds or releases preemption by instance `name` (connection sync catching up); may come before apply. */
  setPreemptHold?(name: string, hold: boolean): void;
}

/** One real server's health for status and metrics (declared once, by the health port). */
export type HealthView = HealthPortView;

/** A health decision the daemon applies to the rules (declared once, by the health port). */
export type HealthDecision = HealthPortDecision;

/** What the daemon needs from the health manager (declared once, by the health port). */
export type { HealthPort };

/** A data plane that forwards nothing: used when the pool is not available (rules are still kept and listed). */
export class NullDataPlane implements DataPlanePort {
  readonly description = 'none (rules are kept and listed, no packets are forwarded)';
  private rules: IpvsRules = { services: [], timeouts: { tcpS: 900, tcpFinS: 120, udpS: 300 } };
  async publish(rules: IpvsRules): Promise<void> {
    this.rules = rules;
  }
  counters(): ServiceCounters[] {
    const z = (): IpvsStats => ({ conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 });
    return this.rules.services.map((s) => ({
      key: s.key,
      stats: z(),
      dests: s.realServers.map((d) => ({ address: d.address, port: d.port, activeConns: 0, inactiveConns: 0, persistConns: 0, stats: z() })),
    }));
  }
  connections(): ConnectionEntry[] {
    return [];
  }
  zero(): void {}
  async stop(): Promise<void> {}
}
