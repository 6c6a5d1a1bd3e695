/**
 * The compiled, serialisable configuration the control plane publishes to workers (SnapshotSpec),
 * and the environment it is compiled against (SnapshotEnv). Plain data + SharedArrayBuffers only, so
 * a spec crosses postMessage unchanged; `loadSnapshot` (snapshot.ts) turns it into a worker's
 * Snapshot with scheduler instances.
 */
import type { LinkType } from '../core/batch.js';
import type { Fwd } from '../table/layout.js';
import type { DestChange } from '../sched/types.js';
import type { IpvsTimeouts } from '../ipvs/types.js';

/** The /proc/sys/net/ipv4/vs knobs the data plane honours (ipvs-sysctl.rst names, camelCase). */
export interface IpvsSysctls {
  /** expire_nodest_conn (default false). */
  expireNodestConn: boolean;
  /** expire_quiescent_template (default false). */
  expireQuiescentTemplate: boolean;
  /** conn_reuse_mode bitmap (default 1). */
  connReuseMode: number;
  /** sloppy_tcp (default false): any non-RST TCP packet may create a connection. */
  sloppyTcp: boolean;
  /** secure_tcp 0..3 (default 0). */
  secureTcp: number;
  /** drop_entry 0..3. Default 1 here (automatic): the table has a hard bound, so it is on when nearly full. */
  dropEntry: number;
  /** drop_packet 0..3 (default 0). */
  dropPacket: number;
  /** am_droprate (default 10). */
  amDroprate: number;
}

/** Kernel defaults, except dropEntry = 1 (automatic, see IpvsSysctls.dropEntry). */
export const DEFAULT_SYSCTLS: Readonly<IpvsSysctls> = Object.freeze({
  expireNodestConn: false,
  expireQuiescentTemplate: false,
  connReuseMode: 1,
  sloppyTcp: false,
  secureTcp: 0,
  dropEntry: 1,
  dropPacket: 0,
  amDroprate: 10,
});

/** One interface of the director. */
export interface InterfaceEnv {
  ifindex: number;
  name?: string;
  /** MAC as "aa:bb:cc:dd:ee:ff". */
  mac: string;
  mtu: number;
  /** Addresses with optional prefix length ("10.0.0.1/24", "2001:db8::1/64"); they also give connected routes. */
  addresses: string[];
}

/** A route the compiler uses to find a real server's next hop and egress interface. */
export interface RouteEnv {
  /** Network address ("10.1.0.0", "::" for default). */
  prefix: string;
  prefixLen: number;
  ifindex: number;
  /** Gateway; absent = on link. */
  via?: string;
}

/** What the director looks like: the environment a rule set is compiled against. */
export interface SnapshotEnv {
  /** What frames the batches carry (Ether for AF_PACKET/replay, Ip for NFQUEUE). */
  linkType: LinkType;
  interfaces: InterfaceEnv[];
  /** Neighbour table: IP -> MAC of real servers and next hops. */
  neighbours?: Record<string, string>;
  routes?: RouteEnv[];
  /** Extra local addresses (TUN outer source when an interface has none of the family). */
  localAddresses?: string[];
  /**
   * MAC used when a next hop has no neighbour entry: for offline replay only. Absent (the live data
   * plane): packets to an unresolved next hop are dropped (neigh-unresolved) while it is resolved.
   */
  placeholderMac?: string;
  /** LinkType.Ip DR: mark = drMarkBase + dest slot (the live data plane routes each mark to its real server). */
  drMarkBase?: number;
  sysctls?: Partial<IpvsSysctls>;
}

/** Default base of the per-real-server DR marks on NFQUEUE (mark = base + dest slot). */
export const DEFAULT_DR_MARK_BASE = 0x4c560000;
/** Placeholder MAC `ulvs replay` gives next hops without a --neigh entry. */
export const DEFAULT_PLACEHOLDER_MAC = '02:00:00:00:00:00';

/** Forwarding method codes in a spec: the table's Fwd enum. */
export type FwdCode = Fwd;

/** One real server of one service, compiled. */
export interface DestSpec {
  /** Stable dest-stats slot (kept across reloads while the dest stays configured or referenced). */
  slot: number;
  serviceSlot: number;
  family: 4 | 6;
  /** Address words (host order u32, IPv4 in word 0). */
  addr: number[];
  address: string;
  port: number;
  fwd: FwdCode;
  weight: number;
  lastWeight: number;
  uThreshold: number;
  lThreshold: number;
  /** Egress interface and L2 addresses (Ether link type). */
  ifindex: number;
  dstMac: number[];
  srcMac: number[];
  /** The next hop dstMac belongs to: the real server, or the gateway towards it. */
  nextHop: string;
  /** False while nextHop has no neighbour entry (and no placeholder): the pipeline drops its packets (neigh-unresolved). */
  resolved: boolean;
  mtu: number;
  /** NFQUEUE DR mark. */
  mark: number;
  /** TUN outer source address words. */
  tunSrc: number[];
}

/** One virtual service, compiled. */
export interface ServiceSpec {
  slot: number;
  /** IP protocol (6/17/132) for address services, 0 for fwmark services. */
  proto: number;
  family: 4 | 6;
  vaddr: number[];
  port: number;
  fwmark: number;
  scheduler: string;
  schedFlags: string[];
  /** Shared scheduler state (the same buffer in every worker, kept across reloads). */
  schedState: SharedArrayBuffer;
  persistTimeoutMs: number;
  netmask: number[];
  onePacket: boolean;
  /** Dest slots in kernel list order. */
  destSlots: number[];
  /**
   * Scheduler updates to apply since the previous generation, in the kernel's order: a new service is
   * init on an empty list then one add per real server (ipvsadm -A, then -a ...); a scheduler change is
   * one init on the whole list.
   */
  changes: DestChange[];
  /** For each change, the dest slots (kernel order) of the list right after it: the view update() sees. */
  changeLists: number[][];
}

/** A route towards clients (NAT replies, ICMP errors): egress interface and L2 addresses. */
export interface EgressSpec {
  family: 4 | 6;
  net: number[];
  prefixLen: number;
  ifindex: number;
  srcMac: number[];
  /** Gateway address words, or null for an on-link route (then the neighbour table gives the client's MAC). */
  via: number[] | null;
  /** Gateway MAC; null for an on-link route or an unresolved gateway. */
  gatewayMac: number[] | null;
}

/** A neighbour entry (for on-link clients). */
export interface NeighbourSpec {
  family: 4 | 6;
  addr: number[];
  mac: number[];
}

/** The whole compiled configuration of one generation. */
export interface SnapshotSpec {
  generation: number;
  linkType: LinkType;
  sysctls: IpvsSysctls;
  timeouts: IpvsTimeouts;
  services: ServiceSpec[];
  dests: DestSpec[];
  egress: EgressSpec[];
  neighbours: NeighbourSpec[];
  /** SnapshotEnv.placeholderMac (replay), or null: unresolved next hops are dropped. */
  placeholderMac: number[] | null;
}
