/**
 * The BGP announcement contract: what an `ulvs_bgp { }` block asks for (peers, ASNs, timers, which
 * VIPs) after config checks. ulvs speaks no BGP itself: src/bgp/ drives FRR's bgpd with these values.
 */

/** One router the director peers with. */
export interface BgpNeighborSpec {
  /** The router's address (IPv4 or IPv6). */
  address: string;
  remoteAs: number;
  /** Hold time (s): 0 (no keepalives) or 3..65535; the keepalive interval is a third of it. */
  holdTimeS: number;
  keepaliveS: number;
  /** Seconds between connection attempts while the session is down. */
  connectRetryS: number;
  /** Local address of the session (bgpd's update-source); default: the kernel's choice. */
  sourceIp?: string;
  /** The bfd_instance (ulvs' own BFD, RFC 5880) that answers the router's BFD for this session. */
  bfdInstance?: string;
  /** "file:line" of the neighbor block. */
  source: string;
}

/** The whole `ulvs_bgp` block. */
export interface BgpConfig {
  localAs: number;
  routerId: string;
  neighbors: BgpNeighborSpec[];
  /** Host prefixes to announce ("198.18.0.100/32", "fd00::100/128"), each while its virtual services are in service. */
  vips: string[];
  /** `ulvs drain`: seconds to wait after the withdraw before the rules go, so the router moves the traffic first. */
  drainWaitS: number;
  /** bgpd binary (default /usr/lib/frr/bgpd). */
  bgpdPath: string;
  /** "file:line" of the block. */
  source: string;
}
