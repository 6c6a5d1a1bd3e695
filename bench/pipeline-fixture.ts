/**
 * Frames of the pipeline benchmarks (bench/pipeline.ts, bench/workers.ts): 64-byte Ethernet/IPv4/TCP
 * frames from client n to the bench VIP 10.0.0.100:80, written in place into a batch slot.
 */
import type { PacketBatch } from '../src/core/batch.js';
import { fillIpv4Checksum, wr16, wr32 } from '../src/packet/checksum.js';

/** Ethernet header of every frame: dst 02:00:00:00:00:01 (the director), src 02:00:00:00:00:fe, IPv4. */
const ETHER = Uint8Array.from([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0xfe, 8, 0]);

/** Writes a 64-byte Ethernet/IPv4/TCP frame (TTL 255) client n -> 10.0.0.100:80 with `flags` into slot i. */
export function frame(b: PacketBatch, i: number, n: number, flags: number): void {
  const o = i * b.slotSize + b.headroom;
  const buf = b.buf;
  buf.fill(0, o, o + 64);
  buf.set(ETHER, o); // no allocation per frame: --trace-gc shows the pipeline's own
  const ip = o + 14;
  buf[ip] = 0x45;
  wr16(buf, ip + 2, 50);
  buf[ip + 6] = 0x40;
  buf[ip + 8] = 255;
  buf[ip + 9] = 6;
  wr32(buf, ip + 12, (0x0b000000 + n) >>> 0);
  wr32(buf, ip + 16, 0x0a000064);
  fillIpv4Checksum(buf, ip);
  const tcp = ip + 20;
  wr16(buf, tcp, 1024 + (n & 0x7fff));
  wr16(buf, tcp + 2, 80);
  buf[tcp + 12] = 0x50;
  buf[tcp + 13] = flags;
  wr16(buf, tcp + 14, 65535);
  b.start[i] = o;
  b.length[i] = 64;
}
