/**
 * What the dashboard reads from the daemon (control/dashboard-source.ts binds it): services with their
 * real servers, VRRP instances, real-server health, the connection table, and `explain` for the packet
 * walk. Only these fields are ever served: nothing of the configuration (no auth_pass / auth_data).
 */
import type { Explanation } from '../dataplane/explain.js';
import type { ExplainFlow } from '../dataplane/explain-flow.js';
import type { HealthSample } from '../metrics/source.js';

/** Rates of a service or real server, per second (the daemon's 2 s estimator, as ipvsadm --rate). */
export interface DashRates {
  cps: number;
  inPps: number;
  outPps: number;
  inBps: number;
  outBps: number;
}

/** A real server as the dashboard shows it. */
export interface DashDest {
  address: string;
  port: number;
  forward: string;
  weight: number;
  activeConns: number;
  inactiveConns: number;
  conns: number;
  inPkts: number;
  rates: DashRates;
  /** Checker verdict: true up, false down, null = no checker. */
  alive: boolean | null;
}

/** A virtual service as the dashboard shows it. */
export interface DashService {
  /** ipvsadm's notation: "TCP 198.18.0.100:80" or "FWM 1". */
  key: string;
  scheduler: string;
  persistentS: number;
  conns: number;
  inPkts: number;
  rates: DashRates;
  dests: DashDest[];
}

/** A VRRP instance. */
export interface DashVrrp {
  name: string;
  vrid: number;
  interface: string;
  state: string;
  priority: number;
  effectivePriority: number;
  transitions: number;
}

/** One real server's checker state: the metrics' row (metrics/source.ts HealthSample), one type for both. */
export type DashHealth = HealthSample;

/** One connection or template. */
export interface DashConn {
  protocol: string;
  client: string;
  virtual: string;
  dest: string;
  state: string;
  expiresS: number;
}

/** A packet to walk: its 5-tuple and TCP flags (explain's flow). */
export type DashFlow = ExplainFlow;

/** The daemon as the dashboard sees it. */
export interface DashboardSource {
  services(): DashService[];
  vrrp(): DashVrrp[];
  health(): DashHealth[];
  /** The first `limit` connections and templates of the table. */
  connections(limit: number): DashConn[];
  /** What the data plane does with one packet (run on a copy); undefined when no data plane runs rules. */
  explain(flow: DashFlow): Explanation | undefined;
  /** The sampling rate and the newest sampled live packets (`ulvs explain --sampling N` turns it on). */
  samples(): { rate: number; samples: DashSample[] };
  /** Explains sampled packet `seq`; undefined when it is gone. */
  explainSample(seq: number): Explanation | undefined;
  /** Present when the dashboard shows a replayed capture (`ulvs replay --dashboard`) instead of a daemon. */
  replay?: DashReplay;
}

/** One packet of a replayed capture, as the packet list shows it. */
export interface DashReplayPacket {
  /** 1 = the first packet of the capture. */
  n: number;
  timeMs: number;
  flow: string;
  /** TCP flags (tcpdump letters), '' when not TCP. */
  flags: string;
  verdict: string;
  reason: string | null;
  /** The real server (or "client side") a transmitted packet went to; null when not transmitted. */
  to: string | null;
}

/** A replayed capture: its packets, and packet N explained as the replay saw it. */
export interface DashReplay {
  /** The capture file's name. */
  file: string;
  packets: DashReplayPacket[];
  /** Packet `n` explained against the table the packets before it left (not the table at the end); undefined: no such packet. */
  walk(n: number): Promise<Explanation | undefined>;
}

/** A sampled live packet. */
export interface DashSample {
  seq: number;
  atMs: number;
  flow: string;
  verdict: string;
  reason: string | null;
}
