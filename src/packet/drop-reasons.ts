/**
 * The one table of named reasons for every packet the data plane does not forward normally (codec,
 * forwarding and pipeline codes alike). The numeric code goes into
 * `PacketBatch.reason[i]` (u16) and into per-reason counters; `DROP_REASONS[code]` gives its name,
 * a one-line description and what IPVS does with such a packet ("drop", or "pass" = leave it to the
 * kernel / do not touch it, counted only).
 *
 * Checksum policy (documented decision): the IPv4 header checksum is verified (ip_rcv_core drops bad
 * ones before IPVS sees them); ICMP error checksums are verified (ip_vs_in_icmp / ip_vs_out_icmp call
 * ip_vs_checksum_complete); TCP/UDP checksums are NOT verified on the forwarding path, because IPVS
 * only checks them when an application helper (FTP) is bound to the connection
 * (tcp_dnat_handler / udp_dnat_handler); incremental updates carry a bad checksum through unchanged.
 * `verifyL4Checksum` (packet/checksum.ts) is there for callers that want the strict behaviour.
 */

/** Numeric drop/anomaly reason codes (0 = none). Stable: counters and reports use them. */
export const DropReason = {
  None: 0,
  // --- link layer
  EthTruncated: 1,
  UnknownEtherType: 2,
  ArpTruncated: 3,
  // --- IPv4
  Ipv4Truncated: 10,
  IpBadVersion: 11,
  Ipv4BadIhl: 12,
  Ipv4BadTotalLength: 13,
  Ipv4BadChecksum: 14,
  Ipv4BadOptions: 15,
  IpFragmentNonFirst: 16,
  TtlExpired: 17,
  IpUnknownProtocol: 18,
  // --- IPv6
  Ipv6Truncated: 20,
  Ipv6BadPayloadLength: 21,
  Ipv6ExtTruncated: 22,
  Ipv6ExtLimit: 23,
  Ipv6HopByHopNotFirst: 24,
  // --- transport
  TcpTruncated: 30,
  TcpBadDataOffset: 31,
  TcpBadOptions: 32,
  UdpTruncated: 33,
  UdpBadLength: 34,
  Udp6ZeroChecksum: 35,
  L4BadChecksum: 36,
  // --- ICMP
  IcmpTruncated: 40,
  IcmpBadChecksum: 41,
  IcmpBadQuote: 42,
  IcmpQuoteFragment: 43,
  IcmpNotError: 44,
  // --- forwarding / pipeline
  NoHeadroom: 50,
  TunFragNeeded: 51,
  TunTooBig: 52,
  NoService: 53,
  NoDest: 54,
  NoConnection: 55,
  DestUnavailable: 56,
  NotForwardable: 57,
  // --- connection table bound and DoS defences, internal errors
  TableFull: 100,
  DefenceDrop: 101,
  Internal: 102,
  // --- AF_PACKET next hops
  NeighUnresolved: 110,
  NoRoute: 111,
} as const;

/** One of the values of `DropReason`. */
export type DropReasonCode = (typeof DropReason)[keyof typeof DropReason];

/** Description of one reason code. */
export interface DropReasonInfo {
  code: number;
  /** Kebab-case name used in reports and metrics labels. */
  name: string;
  /** "drop": IPVS/the kernel discards it; "pass": IPVS leaves it alone (not ours, or forwarded as is). */
  ipvs: 'drop' | 'pass';
  description: string;
}

const TABLE: Array<[number, string, 'drop' | 'pass', string]> = [
  [DropReason.None, 'none', 'pass', 'no problem'],
  [DropReason.EthTruncated, 'eth-truncated', 'drop', 'frame shorter than its Ethernet (+802.1Q) header'],
  [DropReason.UnknownEtherType, 'unknown-ethertype', 'pass', 'EtherType is not IPv4, IPv6 or ARP: not for IPVS'],
  [DropReason.ArpTruncated, 'arp-truncated', 'drop', 'ARP packet shorter than its header'],
  [DropReason.Ipv4Truncated, 'ipv4-truncated', 'drop', 'fewer than 20 bytes of IPv4 header'],
  [DropReason.IpBadVersion, 'ip-bad-version', 'drop', 'IP version nibble does not match the EtherType'],
  [DropReason.Ipv4BadIhl, 'ipv4-bad-ihl', 'drop', 'IHL < 5 or the header runs past the packet'],
  [DropReason.Ipv4BadTotalLength, 'ipv4-bad-total-length', 'drop', 'total length larger than the frame or smaller than the header'],
  [DropReason.Ipv4BadChecksum, 'ipv4-bad-checksum', 'drop', 'IPv4 header checksum wrong (ip_rcv drops it)'],
  [DropReason.Ipv4BadOptions, 'ipv4-bad-options', 'drop', 'IPv4 option with length < 2 or past the header (ip_options_compile)'],
  [DropReason.IpFragmentNonFirst, 'ip-fragment-non-first', 'drop', 'non-first fragment: no ports to map without reassembly'],
  [
    DropReason.TtlExpired,
    'ttl-expired',
    'drop',
    'TTL/hop limit <= 1 on a packet the director forwards (towards a real server: answered with time exceeded from the VIP, as IPVS does)',
  ],
  [DropReason.IpUnknownProtocol, 'ip-unknown-protocol', 'pass', 'transport protocol IPVS does not handle'],
  [DropReason.Ipv6Truncated, 'ipv6-truncated', 'drop', 'fewer than 40 bytes of IPv6 header'],
  [DropReason.Ipv6BadPayloadLength, 'ipv6-bad-payload-length', 'drop', 'payload length larger than the frame (or jumbogram)'],
  [DropReason.Ipv6ExtTruncated, 'ipv6-ext-truncated', 'drop', 'IPv6 extension header runs past the packet'],
  [DropReason.Ipv6ExtLimit, 'ipv6-ext-limit', 'drop', 'more IPv6 extension headers than the walk bound (8)'],
  [DropReason.Ipv6HopByHopNotFirst, 'ipv6-hbh-not-first', 'drop', 'hop-by-hop options header not directly after the IPv6 header'],
  [DropReason.TcpTruncated, 'tcp-truncated', 'drop', 'fewer than 20 bytes of TCP header'],
  [DropReason.TcpBadDataOffset, 'tcp-bad-data-offset', 'drop', 'TCP data offset < 5 or past the packet'],
  [DropReason.TcpBadOptions, 'tcp-bad-options', 'pass', 'TCP option with length 0/1 or past the header (counted; IPVS forwards it)'],
  [DropReason.UdpTruncated, 'udp-truncated', 'drop', 'fewer than 8 bytes of UDP header'],
  [DropReason.UdpBadLength, 'udp-bad-length', 'pass', 'UDP length field disagrees with the IP payload (counted; IPVS forwards it)'],
  [DropReason.Udp6ZeroChecksum, 'udp6-zero-checksum', 'pass', 'UDP over IPv6 with checksum 0 (counted; IPVS forwards it)'],
  [DropReason.L4BadChecksum, 'l4-bad-checksum', 'drop', 'TCP/UDP checksum wrong (only when strict verification is on)'],
  [DropReason.IcmpTruncated, 'icmp-truncated', 'drop', 'fewer than 8 bytes of ICMP header'],
  [DropReason.IcmpBadChecksum, 'icmp-bad-checksum', 'drop', 'ICMP error with a wrong checksum (ip_vs_in_icmp drops it)'],
  [DropReason.IcmpBadQuote, 'icmp-bad-quote', 'pass', 'ICMP error quoting something that is not IP + 8 bytes of TCP/UDP'],
  [DropReason.IcmpQuoteFragment, 'icmp-quote-fragment', 'pass', 'ICMP error quoting a non-first fragment (ignored by IPVS)'],
  [DropReason.IcmpNotError, 'icmp-not-error', 'pass', 'ICMP that is not an error IPVS examines (echo etc.)'],
  [DropReason.NoHeadroom, 'no-headroom', 'drop', 'no room in the batch slot to prepend headers'],
  [DropReason.TunFragNeeded, 'tun-frag-needed', 'drop', 'tunnelled packet exceeds the MTU with DF set: ICMP frag-needed / Packet Too Big sent'],
  [DropReason.TunTooBig, 'tun-too-big', 'drop', 'tunnelled packet exceeds the MTU without DF (outer fragmentation not implemented)'],
  [DropReason.NoService, 'no-service', 'pass', 'no virtual service and no connection: not ours'],
  [DropReason.NoDest, 'no-dest', 'drop', 'scheduler found no real server: ICMP port unreachable sent'],
  [DropReason.NoConnection, 'no-connection', 'pass', 'non-SYN packet without a connection: left to the local stack'],
  [DropReason.DestUnavailable, 'dest-unavailable', 'drop', 'connection whose real server was deleted (expire_nodest_conn=0)'],
  [DropReason.NotForwardable, 'not-forwardable', 'drop', 'packet cannot be forwarded by the chosen method'],
  [DropReason.TableFull, 'conn-table-full', 'drop', 'the connection table is full even after drop_entry: the new connection is refused'],
  [DropReason.DefenceDrop, 'drop-packet-defence', 'drop', 'drop_packet defence dropped a new connection (1 in rate while the table is nearly full)'],
  [DropReason.Internal, 'internal-error', 'drop', 'internal error while processing the packet (a bug; the packet is dropped, the batch goes on)'],
  [
    DropReason.NeighUnresolved,
    'neigh-unresolved',
    'drop',
    'AF_PACKET: the next hop (real server, gateway or on-link client) has no neighbour entry yet (ARP/ND pending or failed)',
  ],
  [DropReason.NoRoute, 'no-route', 'drop', "AF_PACKET: no route on the director's interfaces towards the destination"],
];

/** Reason table indexed by code (sparse array; undefined for unused codes). */
export const DROP_REASONS: ReadonlyArray<DropReasonInfo | undefined> = (() => {
  const out: Array<DropReasonInfo | undefined> = [];
  for (const [code, name, ipvs, description] of TABLE) out[code] = { code, name, ipvs, description };
  return out;
})();

/** All reasons in code order (dense list, for metrics and docs). */
export const DROP_REASON_LIST: readonly DropReasonInfo[] = DROP_REASONS.filter((r): r is DropReasonInfo => r !== undefined);

/** Name of a reason code ("unknown-<code>" for an unassigned one). */
export function dropReasonName(code: number): string {
  return DROP_REASONS[code]?.name ?? `unknown-${code}`;
}
