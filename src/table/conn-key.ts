/**
 * The reusable lookup key of the connection table: one per worker, refilled for every packet (no
 * allocation). Addresses are host-order words; IPv4 uses word 0 only and words 1..3 stay 0.
 */
import type { FlowKey } from '../core/flow-key.js';

/** Lookup key: protocol, family, client/virtual/real-server addresses and ports. */
export class ConnKey {
  /** Backing words: [0..3] caddr, [4..7] vaddr, [8..11] daddr. */
  readonly words = new Int32Array(12);
  /** Client address words (signed view). */
  readonly caddr = this.words.subarray(0, 4);
  /** Virtual address words (signed view). */
  readonly vaddr = this.words.subarray(4, 8);
  /** Real-server address words (signed view). */
  readonly daddr = this.words.subarray(8, 12);
  /** IP protocol number (6, 17, 132; 0 = IPPROTO_IP for fwmark templates). */
  proto = 0;
  /** True for IPv6 addresses. */
  v6 = false;
  cport = 0;
  vport = 0;
  dport = 0;
  /** The same key as the schedulers' FlowKey (saddr = client, daddr = virtual address). */
  readonly flow: FlowKey;

  constructor() {
    const u = new Uint32Array(this.words.buffer);
    this.flow = { family: 4, protocol: 0, saddr: u.subarray(0, 4), sport: 0, daddr: u.subarray(4, 8), dport: 0 };
  }

  /** Copies scalar fields into `flow` (call before scheduling). */
  syncFlow(): FlowKey {
    const f = this.flow;
    f.family = this.v6 ? 6 : 4;
    f.protocol = this.proto;
    f.sport = this.cport;
    f.dport = this.vport;
    return f;
  }

  /** Sets an IPv4 client->virtual key (daddr cleared). */
  setV4(proto: number, caddr: number, cport: number, vaddr: number, vport: number): void {
    const w = this.words;
    w[0] = caddr;
    w[1] = w[2] = w[3] = 0;
    w[4] = vaddr;
    w[5] = w[6] = w[7] = 0;
    w[8] = w[9] = w[10] = w[11] = 0;
    this.proto = proto;
    this.v6 = false;
    this.cport = cport;
    this.vport = vport;
    this.dport = 0;
  }
}
