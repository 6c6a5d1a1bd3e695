/**
 * Batch prefetch of the connection table: before the per-packet loop, hash every IPv4 TCP/UDP/SCTP
 * packet of the batch straight from its bytes and let the table load those buckets and their first
 * records (ConnTable.touchConnBuckets: all heads, then all records), so the cache misses of the whole
 * batch overlap instead of costing two dependent misses inside each packet's lookup. Loads only: a
 * packet it does not read (IPv6, VLAN, IP options, fragments, short) is simply not prefetched, and
 * nothing it loads changes a result.
 */
import { LinkType, type PacketBatch } from '../core/batch.js';
import type { ConnTable } from '../table/conn-table.js';

/** One thread's prefetch scratch: the conn bucket of each packet of the batch (-1 = not prefetched). */
export class BatchPrefetch {
  private buckets = new Int32Array(256);
  /** Folded from every load so the compiler keeps them; never read for a decision. */
  sink = 0;

  /** Loads the conn bucket head and first record of every prefetchable packet of `b` into the cache. */
  run(b: PacketBatch, t: ConnTable): void {
    const n = b.count;
    if (this.buckets.length < n) this.buckets = new Int32Array(n);
    const bk = this.buckets;
    const buf = b.buf;
    const l3 = b.linkType === LinkType.Ether ? 14 : 0;
    for (let i = 0; i < n; i++) {
      const o = b.start[i]!;
      const ip = o + l3;
      bk[i] = -1;
      // IPv4 without options (on Ethernet: untagged), not a fragment, both ports inside the frame.
      if (ip + 24 > o + b.length[i]! || ip + 24 > buf.length || buf[ip] !== 0x45) continue;
      if (l3 !== 0 && (buf[o + 12] !== 0x08 || buf[o + 13] !== 0x00)) continue;
      if ((buf[ip + 6]! & 0x3f) !== 0 || buf[ip + 7] !== 0) continue;
      const proto = buf[ip + 9]!;
      if (proto !== 6 && proto !== 17 && proto !== 132) continue;
      const caddr = (buf[ip + 12]! << 24) | (buf[ip + 13]! << 16) | (buf[ip + 14]! << 8) | buf[ip + 15]!;
      const vaddr = (buf[ip + 16]! << 24) | (buf[ip + 17]! << 16) | (buf[ip + 18]! << 8) | buf[ip + 19]!;
      const ports = (buf[ip + 20]! << 8) | buf[ip + 21]! | (((buf[ip + 22]! << 8) | buf[ip + 23]!) << 16);
      bk[i] = t.connBucket4(proto, caddr, vaddr, ports);
    }
    this.sink ^= t.touchConnBuckets(bk, n);
  }
}
