/**
 * Framing of a transformed IP packet in its batch slot. Forwarding transforms work on the IP packet
 * only and leave pv.l3Off / pv.l3End describing it; then exactly one of these sets start[i]/length[i]:
 * `frameEther` (a new 14-byte Ethernet II header right before the IP header, any 802.1Q tag dropped:
 * AF_PACKET transmit, pcap output) or `frameIp` (bare IP packet: NFQUEUE verdict with payload).
 * DR forwarding is `frameEther` with the real server's MAC (forward/dr.ts). `frameEtherWords` writes the
 * same header from MAC words computed once per next hop (`macWords`): four stores instead of fourteen.
 */
import type { PacketBatch } from '../core/batch.js';
import { DropReason } from '../packet/drop-reasons.js';
import type { PacketView } from '../packet/packet-view.js';

/** Ethernet II header length in bytes. */
export const ETHER_HEADER_LEN = 14;

/**
 * Writes dst MAC, src MAC (6 bytes each, from `dstMac[dstOff..]`, `srcMac[srcOff..]`) and the EtherType
 * of pv.family before pv.l3Off and points slot i at the frame. Returns 0 or DropReason.NoHeadroom.
 * The MAC arrays may be the batch buffer itself only if they do not overlap the new header.
 */
export function frameEther(b: PacketBatch, i: number, pv: PacketView, dstMac: Uint8Array, dstOff: number, srcMac: Uint8Array, srcOff: number): number {
  const off = pv.l3Off - ETHER_HEADER_LEN;
  if (off < i * b.slotSize) return DropReason.NoHeadroom;
  const buf = b.buf;
  for (let k = 0; k < 6; k++) buf[off + k] = dstMac[dstOff + k];
  for (let k = 0; k < 6; k++) buf[off + 6 + k] = srcMac[srcOff + k];
  buf[off + 12] = pv.family === 6 ? 0x86 : 0x08;
  buf[off + 13] = pv.family === 6 ? 0xdd : 0x00;
  pv.l2Off = off;
  b.start[i] = off;
  b.length[i] = pv.l3End - off;
  return 0;
}

/** Points slot i at the bare IP packet pv.l3Off..pv.l3End (drops L2 header and Ethernet padding). */
export function frameIp(b: PacketBatch, i: number, pv: PacketView): void {
  pv.l2Off = -1;
  b.start[i] = pv.l3Off;
  b.length[i] = pv.l3End - pv.l3Off;
}

/**
 * The 12 MAC bytes of an Ethernet header (dst, then src) as three big-endian Int32 words into `out`
 * (3 words): dst[0..3], dst[4..5] src[0..1], src[2..5]; what `frameEtherWords` writes.
 */
export function macWords(dstMac: ArrayLike<number>, srcMac: ArrayLike<number>, out: Int32Array): Int32Array {
  out[0] = (dstMac[0]! << 24) | (dstMac[1]! << 16) | (dstMac[2]! << 8) | dstMac[3]!;
  out[1] = (dstMac[4]! << 24) | (dstMac[5]! << 16) | (srcMac[0]! << 8) | srcMac[1]!;
  out[2] = (srcMac[2]! << 24) | (srcMac[3]! << 16) | (srcMac[4]! << 8) | srcMac[5]!;
  return out;
}

/** The DataView of the last batch buffer framed (one per thread; a new buffer gets a new view). */
let viewBuf: Uint8Array | null = null;
let view: DataView = new DataView(new ArrayBuffer(0));

/**
 * frameEther with the MACs given as `macWords` output: the same 14 bytes before pv.l3Off, slot i
 * pointed at the frame. Returns 0 or DropReason.NoHeadroom.
 */
export function frameEtherWords(b: PacketBatch, i: number, pv: PacketView, macs: Int32Array): number {
  const off = pv.l3Off - ETHER_HEADER_LEN;
  if (off < i * b.slotSize) return DropReason.NoHeadroom;
  const buf = b.buf;
  if (buf !== viewBuf) {
    view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    viewBuf = buf;
  }
  const dv = view;
  dv.setInt32(off, macs[0]!);
  dv.setInt32(off + 4, macs[1]!);
  dv.setInt32(off + 8, macs[2]!);
  dv.setUint16(off + 12, pv.family === 6 ? 0x86dd : 0x0800);
  pv.l2Off = off;
  b.start[i] = off;
  b.length[i] = pv.l3End - off;
  return 0;
}
