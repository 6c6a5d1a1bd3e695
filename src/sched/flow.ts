/**
 * Building FlowKeys from text, for tests, tools and benchmarks (the data plane fills one reused
 * FlowKey from packet headers instead).
 */
import type { FlowKey } from './types.js';
import { addrWords } from './addr-words.js';

/** A FlowKey for "saddr:sport -> daddr:dport" (IPv4 or IPv6 text), protocol 6 (TCP) by default. */
export function makeFlow(saddr: string, sport: number, daddr: string, dport: number, protocol = 6): FlowKey {
  const s = addrWords(saddr);
  return { family: saddr.includes(':') ? 6 : 4, protocol, saddr: s, sport, daddr: addrWords(daddr), dport };
}

/** Overwrites a reused FlowKey's source address/port in place (no allocation). */
export function setFlowSource(flow: FlowKey, saddrWord0: number, sport: number): void {
  flow.saddr[0] = saddrWord0 >>> 0;
  flow.sport = sport;
}
