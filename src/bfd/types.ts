/**
 * The BFD contract the keepalived.conf parser fills: one `bfd_instance NAME { ... }` block, keywords
 * mapped as keepalived's bfd_parser.c reads them (times in ms, keepalived's defaults applied).
 */

/** One bfd_instance: a session with one neighbour. */
export interface BfdInstanceSpec {
  name: string;
  /** `neighbor_ip` (or `neighbour_ip`): the peer's address. */
  neighborIp: string;
  /** `source_ip`: local address the session's packets come from; default the kernel's choice. */
  sourceIp?: string;
  /** `min_rx` in ms (default 10). */
  minRxMs: number;
  /** `min_tx` in ms (default 10). */
  minTxMs: number;
  /** `idle_tx` in ms: transmit interval while not Up (default 1000). */
  idleTxMs: number;
  /** `multiplier` (default 5). */
  multiplier: number;
  /** `passive`: wait for the neighbour to speak first. */
  passive: boolean;
  /** `ttl` / `hoplimit`: TTL of sent packets (default 255; 64 for IPv6 multihop). */
  ttl: number;
  /** `max_hops`: hops a received packet may have crossed (received TTL ≥ ttl - max_hops; 255 = any); default 0. */
  maxHops: number;
  /** `multihop`: RFC 5883 (UDP port 4784) instead of RFC 5881 single hop (3784). */
  multihop: boolean;
  /** `weight`: default weight a `track_bfd` reference uses (0 = FAULT while down). */
  weight: number;
  /** `file:line` of the block. */
  source?: string;
}
