// Test helper (not a test): builds small IPv4 TCP/UDP frames for pipeline tests.
import { fillIpv4Checksum, wr16, wr32 } from '../../src/packet/checksum.js';
import { parseAddrWords } from '../../src/table/addr.js';

function v4(text: string): number {
  const w = new Int32Array(4);
  parseAddrWords(text, w);
  return w[0]! >>> 0;
}

/** An IPv4 TCP (proto 6, `flags`) or UDP (proto 17) packet, Ethernet-framed when `ether`. 10 bytes of payload. */
export function ip4(o: { ether: boolean; proto: 6 | 17; src: string; dst: string; sport: number; dport: number; flags?: number; ttl?: number }): Uint8Array {
  const l4 = o.proto === 6 ? 20 : 8;
  const ipLen = 20 + l4 + 10;
  const off = o.ether ? 14 : 0;
  const b = new Uint8Array(off + ipLen);
  if (o.ether) b.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0xfe, 8, 0]);
  b[off] = 0x45;
  wr16(b, off + 2, ipLen);
  b[off + 6] = 0x40;
  b[off + 8] = o.ttl ?? 64;
  b[off + 9] = o.proto;
  wr32(b, off + 12, v4(o.src));
  wr32(b, off + 16, v4(o.dst));
  fillIpv4Checksum(b, off);
  const t = off + 20;
  wr16(b, t, o.sport);
  wr16(b, t + 2, o.dport);
  if (o.proto === 6) {
    b[t + 12] = 0x50;
    b[t + 13] = o.flags ?? 0x02;
    wr16(b, t + 14, 65535);
  } else {
    wr16(b, t + 4, 18);
  }
  return b;
}

/** Reads the IPv4 destination address of a frame as text. */
export function dstOf(frame: Uint8Array, ether: boolean): string {
  const o = (ether ? 14 : 0) + 16;
  return `${frame[o]}.${frame[o + 1]}.${frame[o + 2]}.${frame[o + 3]}`;
}

/** Reads the IPv4 source address of a frame as text. */
export function srcOf(frame: Uint8Array, ether: boolean): string {
  const o = (ether ? 14 : 0) + 12;
  return `${frame[o]}.${frame[o + 1]}.${frame[o + 2]}.${frame[o + 3]}`;
}
