/**
 * What the control plane reports about the running IPVS-style table: the listing ipvsadm prints
 * (services, real servers, counters, rates, timeouts) and the connection entries (`ipvsadm -L -c`).
 * These shapes travel over the control socket as JSON, so every number is a plain JS number.
 */
import type { Family, IpvsTimeouts, Protocol, RealServerSpec, VirtualServiceSpec } from '../ipvs/types.js';

/** Cumulative counters of a virtual service or real server (the kernel's ip_vs_stats). */
export interface IpvsStats {
  conns: number;
  inPkts: number;
  outPkts: number;
  inBytes: number;
  outBytes: number;
}

/** Estimated rates of a virtual service or real server (the kernel's 2 s estimator, per second). */
export interface IpvsRates {
  cps: number;
  inPps: number;
  outPps: number;
  inBps: number;
  outBps: number;
}

/** A real server as listed: its rule plus live connection counts and counters. */
export interface DestEntry extends RealServerSpec {
  /** Address family of the real server (a tun real server may differ from its service). */
  family: Family;
  activeConns: number;
  inactiveConns: number;
  /** Persistence templates pointing at this real server. */
  persistConns: number;
  stats: IpvsStats;
  rates: IpvsRates;
}

/** A virtual service as listed: its rule (without realServers), counters and its real servers in kernel order. */
export interface ServiceEntry {
  spec: Omit<VirtualServiceSpec, 'realServers'>;
  stats: IpvsStats;
  rates: IpvsRates;
  dests: DestEntry[];
}

/** A connection sync daemon as `ipvsadm -L --daemon` prints it. */
export interface SyncDaemonInfo {
  state: 'master' | 'backup';
  mcastInterface: string;
  syncId: number;
  syncMaxLen?: number;
  mcastGroup?: string;
  mcastPort?: number;
  mcastTtl?: number;
}

/** Everything ipvsadm's listings read from the kernel. */
export interface IpvsListing {
  /** IPVS version string printed in the header ("1.2.1"). */
  version: string;
  /** Connection hash table size printed in the header (size=4096). */
  connTabSize: number;
  services: ServiceEntry[];
  timeouts: IpvsTimeouts;
  daemons: SyncDaemonInfo[];
}

/** One connection entry (a row of /proc/net/ip_vs_conn). */
export interface ConnectionEntry {
  protocol: Protocol;
  family: Family;
  clientAddress: string;
  clientPort: number;
  virtualAddress: string;
  virtualPort: number;
  destFamily: Family;
  destAddress: string;
  destPort: number;
  /** State name as the kernel prints it: ESTABLISHED, SYN_RECV, FIN_WAIT, TIME_WAIT, CLOSE, NONE, UDP, … */
  state: string;
  /** Seconds until the entry expires. */
  expiresS: number;
  /** Persistence engine name and data, empty when none. */
  peName: string;
  peData: string;
}

/** Zeroed counters. */
export function zeroStats(): IpvsStats {
  return { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 };
}

/** Zeroed rates. */
export function zeroRates(): IpvsRates {
  return { cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 };
}
