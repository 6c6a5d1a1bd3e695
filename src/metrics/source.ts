/**
 * What /metrics reads at scrape time. The daemon implements it over its rule table, the data plane's
 * shared-memory counters, the VRRP manager and the health manager; nothing is pushed per packet.
 */

/** Cumulative counters of a service or real server. */
export interface MetricStats {
  conns: number;
  inPkts: number;
  outPkts: number;
  inBytes: number;
  outBytes: number;
}

/** Estimated per-second rates. */
export interface MetricRates {
  cps: number;
  inPps: number;
  outPps: number;
  inBps: number;
  outBps: number;
}

/** One virtual service with its real servers. */
export interface ServiceSample {
  /** ipvsadm-style name: "TCP 10.0.0.1:80", "FWM 7". */
  service: string;
  /** The service key in node_exporter's terms (protocol TCP/UDP/SCTP/FWM, address and port, or 0 and the mark). */
  vip?: { proto: string; address: string; port: number; mark: number };
  stats: MetricStats;
  rates: MetricRates;
  dests: Array<{
    realServer: string;
    address?: string;
    port?: number;
    forward: string;
    weight: number;
    activeConns: number;
    inactiveConns: number;
    persistConns: number;
    stats: MetricStats;
    rates: MetricRates;
  }>;
}

/** One VRRP instance. */
export interface VrrpSample {
  instance: string;
  vrid: number;
  state: string;
  priority: number;
  effectivePriority: number;
  transitions: number;
  advertsSent: number;
  advertsReceived: number;
  /** Received adverts dropped, by reason. */
  advertsDropped: Record<string, number>;
  /** The instance's interface (keepalived exporters' `intf`). */
  interface?: string;
  /** Transitions to MASTER and away from it, priority-0 adverts received and sent (keepalived's stats). */
  becomeMaster?: number;
  releaseMaster?: number;
  priorityZeroReceived?: number;
  priorityZeroSent?: number;
}

/** One real server's checker state, as /metrics and the dashboard both read it (field by field: nothing else of a checker leaves). */
export interface HealthSample {
  /** Service key as ipvs/service-key.ts serviceKeyText writes it. */
  service: string;
  /** "ADDR:PORT". */
  realServer: string;
  alive: boolean;
  inService: boolean;
  /** Probes run / failed so far. */
  checks: number;
  failures: number;
  /** The first probe is still to come (the checker's random warmup, up to delay_loop): alive is the initial state. */
  firstCheckPending: boolean;
  /** Checker types of the real server; empty = none (always alive, nothing counted). */
  checkers: string[];
}

/** Data-plane numbers. */
export interface DataPlaneSample {
  dropsByReason: Record<string, number>;
  workers: Array<{ worker: number; packets: number; batches: number; queueDrops: number; batchSizeBuckets?: Array<[le: number, count: number]> }>;
}

/** Everything a scrape reads. */
export interface MetricsSource {
  services(): ServiceSample[];
  vrrp(): VrrpSample[];
  health(): HealthSample[];
  dataPlane(): DataPlaneSample | undefined;
  reloads(): { ok: number; failed: number; lastSuccessTimestampS: number };
  /** Connection sync daemons' counters (none when no sync daemon runs). */
  sync?(): SyncSample[];
}

/** One connection sync daemon's counters (control/conn-sync.ts). */
export interface SyncSample {
  /** master or backup. */
  state: string;
  messagesSent: number;
  entriesSent: number;
  messagesReceived: number;
  entriesReceived: number;
  /** Received entries dropped, by reason (decode reasons, no-service, no-dest, table-full, foreign-peer). */
  drops: Record<string, number>;
  /** Time of the last message sent or received, ms since the epoch (0 = none). */
  lastMessageMs: number;
  /** Master: time of the last full send of the table; backup: of the last bulk sync completed; ms since the epoch (0 = none). */
  lastFullSyncMs?: number;
  /** Backup: ms since the master was last heard (it speaks at least once a second). */
  lagMs?: number;
  /** Backup: holds the master's whole table (bulk sync done or timed out). */
  caughtUp?: boolean;
}
