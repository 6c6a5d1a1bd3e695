/**
 * Memory layout of the shared connection table. One connection (or persistence template) is one
 * record of ENTRY_WORDS Int32 words in `entries`; records are addressed by index (0..maxConns-1) and
 * chains store index+1 (0 = end). Key words are immutable while a record is hashed.
 *
 * Record (24 words = 96 bytes):
 *   0 GEN      generation, incremented each time the record is allocated (stale-reference check)
 *   1 META     proto (bits 0-7) | state (8-15) | flags (16-31, ConnFlag << 16)
 *   2 PORTS    cport (0-15) | vport (16-31)
 *   3 DEST     dport (0-15) | dest slot (16-31)
 *   4 SVC      service slot (0-15) | forwarding method (16-17)
 *   5 EXPIRES  expiry time, ms mod 2^32 (compare with wrap-aware signed difference)
 *   6 TIMEOUT  current timeout in ms (state timeout, or persistence timeout for templates)
 *   7 CONTROL  index+1 of the controlling template, 0 = none
 *   8 NCONTROL number of connections this template controls (updated with Atomics)
 *   9 INPKTS   packets seen client->director (drop_entry heuristics, sync trigger)
 *  10 NEXT_IN  next record in the in-hash (or template-hash) chain, index+1
 *  11 NEXT_OUT next record in the out-hash (NAT reply) chain, index+1
 *  12..15 CADDR client address words (IPv4: word 12 only), host order
 *  16..19 VADDR virtual address words (fwmark templates: the fwmark in word 16)
 *  20..23 DADDR real server address words
 */

/** Int32 words per record. */
export const ENTRY_WORDS = 24;
/** Bytes per record. */
export const ENTRY_BYTES = ENTRY_WORDS * 4;

/** Word offsets inside a record. */
export const E_GEN = 0;
/** Word offset: proto | state << 8 | flags << 16. */
export const E_META = 1;
/** Word offset: cport | vport << 16. */
export const E_PORTS = 2;
/** Word offset: dport | destSlot << 16. */
export const E_DEST = 3;
/** Word offset: serviceSlot | fwd << 16. */
export const E_SVC = 4;
/** Word offset: expiry (ms mod 2^32). */
export const E_EXPIRES = 5;
/** Word offset: current timeout in ms. */
export const E_TIMEOUT = 6;
/** Word offset: controlling template index+1. */
export const E_CONTROL = 7;
/** Word offset: number of controlled connections (templates). */
export const E_NCONTROL = 8;
/** Word offset: inbound packet count. */
export const E_INPKTS = 9;
/** Word offset: in-chain (or template-chain) link. */
export const E_NEXT_IN = 10;
/** Word offset: out-chain link. */
export const E_NEXT_OUT = 11;
/** Word offset: client address (4 words). */
export const E_CADDR = 12;
/** Word offset: virtual address (4 words). */
export const E_VADDR = 16;
/** Word offset: real server address (4 words). */
export const E_DADDR = 20;

/** Connection flags (META bits 16-31), named after IP_VS_CONN_F_*. */
export const enum ConnFlag {
  /** Record allocated. */
  InUse = 0x1,
  /** Linked in the in-hash (connections) or template hash (templates). */
  HashedIn = 0x2,
  /** Linked in the out-hash (NAT connections). */
  HashedOut = 0x4,
  /** Persistence template (IP_VS_CONN_F_TEMPLATE). */
  Template = 0x8,
  /** No reply seen through the director yet / never will be (IP_VS_CONN_F_NOOUTPUT). */
  NoOutput = 0x10,
  /** Counted in inactconns (IP_VS_CONN_F_INACTIVE). */
  Inactive = 0x20,
  /** IPv6 addresses. */
  Inet6 = 0x40,
}

/** Forwarding methods as stored in a record (IP_VS_CONN_F_FWD_MASK order is different; ours is dense). */
export const enum Fwd {
  Dr = 0,
  Nat = 1,
  Tun = 2,
  Local = 3,
}

/** Header words of the table (Int32Array `header`). */
export const enum Hdr {
  Magic = 0,
  MaxConns = 1,
  ConnMask = 2,
  TmplMask = 3,
  Seed = 4,
  /** Records [0, HighWater) have been handed out at least once. */
  HighWater = 5,
  /** Global free list head: index+1, bit 31 = lock. */
  FreeHead = 6,
  /** Sweep cursor (record index, modulo HighWater). */
  SweepCursor = 7,
  MaxWorkers = 8,
  /** drop_entry: rotating counter for the 1-in-in_pkts rule. */
  DropEntryTick = 9,
  /** drop_packet: rotating counter for the 1-in-rate rule. */
  DropPacketTick = 10,
  Words = 16,
}

/** Magic number identifying a ulvs connection table header. */
export const TABLE_MAGIC = 0x756c7673;
/** Bit 31 of a chain head: the bucket's spin lock. */
export const LOCK_BIT = 1 << 31;
/** Mask of a chain head's index+1 part. */
export const HEAD_MASK = 0x7fffffff;
