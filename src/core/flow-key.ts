/**
 * The flow key every data-plane layer shares: the packet parser fills it, the connection table hashes
 * it, the schedulers read it.
 */

/**
 * The 5-tuple of the packet being scheduled. Addresses are four host-order u32 words; an IPv4
 * address uses word [0] only (words 1..3 are 0). One FlowKey is reused for every packet: never keep it.
 */
export interface FlowKey {
  family: 4 | 6;
  /** IP protocol number (6 TCP, 17 UDP, 132 SCTP). */
  protocol: number;
  saddr: Uint32Array;
  sport: number;
  daddr: Uint32Array;
  dport: number;
}
