/**
 * The ipvsadm rule model: virtual services and real servers as ipvsadm and keepalived describe them.
 * Shared vocabulary of the control plane (config, ulvsadm) and the data plane (snapshot, schedulers).
 * Addresses are kept as canonical strings here; the data-plane snapshot compiles them to integers.
 */

/** Transport protocol of an address-based virtual service. */
export type Protocol = 'tcp' | 'udp' | 'sctp';

/** Address family: 4 for IPv4, 6 for IPv6. */
export type Family = 4 | 6;

/** LVS forwarding method: dr = -g gatewaying, nat = -m masquerading, tun = -i ipip, local = the director itself. */
export type ForwardMethod = 'dr' | 'nat' | 'tun' | 'local';

/** Tunnel encapsulation of a tun real server (ipvsadm --tun-type). */
export type TunnelType = 'ipip' | 'gue' | 'gre';

/** Identifies a virtual service: protocol + VIP + port (-t/-u/--sctp-service), or a firewall mark (-f). */
export type ServiceKey =
  | { kind: 'addr'; protocol: Protocol; family: Family; address: string; port: number }
  | { kind: 'fwmark'; fwmark: number; family: Family };

/** A real server (ipvsadm -a/-e): destination of a virtual service. */
export interface RealServerSpec {
  /** Canonical address string (IPv4 dotted quad or compressed IPv6). */
  address: string;
  /** Destination port; for fwmark services 0 means "keep the packet's port". */
  port: number;
  forward: ForwardMethod;
  /** 0..2147483647; 0 = quiesced (no new connections). */
  weight: number;
  /** -x upper connection threshold, 0 = none. */
  upperThreshold: number;
  /** -y lower connection threshold, 0 = none. */
  lowerThreshold: number;
  tunType?: TunnelType;
  /** --tun-port: GUE destination port (gue only). */
  tunPort?: number;
  /** --tun-nocsum / --tun-csum / --tun-remcsum (gue, gre; absent = nocsum). */
  tunCsum?: TunnelCsum;
}

/** Tunnel checksum option of a gue/gre real server (ipvsadm --tun-nocsum|--tun-csum|--tun-remcsum). */
export type TunnelCsum = 'nocsum' | 'csum' | 'remcsum';

/** A virtual service (ipvsadm -A/-E) with its real servers. */
export interface VirtualServiceSpec {
  key: ServiceKey;
  /** Scheduler name exactly as ipvsadm spells it: rr wrr lc wlc sed nq fo ovf lblc lblcr dh sh mh twos. */
  scheduler: string;
  /** Scheduler flags as ipvsadm names them (sh-fallback, sh-port, mh-fallback, mh-port, flag-1..3). */
  schedFlags: string[];
  /** Persistence timeout in seconds, or 0 when the service is not persistent. */
  persistenceTimeoutS: number;
  /** Persistence netmask: IPv4 dotted mask, or IPv6 prefix length as a decimal string. */
  netmask: string;
  /** -o one-packet scheduling (UDP only). */
  onePacket: boolean;
  /** Persistence engine name (--pe), empty if none. */
  persistenceEngine: string;
  /**
   * Real servers in the order they were added (ipvsadm command order). The kernel walks them in
   * reverse (push-front); the data-plane snapshot derives that order, never this list.
   */
  realServers: RealServerSpec[];
}

/** IPVS global timeouts in seconds (ipvsadm --set tcp tcpfin udp). */
export interface IpvsTimeouts {
  tcpS: number;
  tcpFinS: number;
  udpS: number;
}

/** The whole rule set a director applies: what ipvsadm-save prints and ipvsadm-restore reads. */
export interface IpvsRules {
  services: VirtualServiceSpec[];
  timeouts: IpvsTimeouts;
}

/** Defaults of the Linux kernel: tcp 900 s, tcpfin 120 s, udp 300 s. */
export const DEFAULT_TIMEOUTS: Readonly<IpvsTimeouts> = Object.freeze({ tcpS: 900, tcpFinS: 120, udpS: 300 });
