/**
 * The packet batch: the one hot-path structure shared by the I/O backends (io/), the pipeline
 * (dataplane/pipeline.ts) and replay. Frames live in fixed-size slots of one buffer (which native
 * code may fill directly, possibly a SharedArrayBuffer); per-packet metadata lives in parallel typed
 * arrays. Nothing here allocates per packet.
 *
 * Slot i spans buf[i*slotSize, (i+1)*slotSize). The frame of packet i starts at start[i] (an absolute
 * offset inside its slot) and is length[i] bytes long. Backends leave `headroom` free bytes before the
 * frame so a transform can prepend headers in place (TUN: +20 outer IPv4 / +40 IPv6, or a new
 * Ethernet header) by moving start[i] back.
 */

/** What the backend must do with a packet after the pipeline ran. */
export const enum Verdict {
  /** Discard it (reason[i] says why). */
  Drop = 0,
  /** Give it back to the kernel unchanged (not ours, or DR via fwmark routing on NFQUEUE). */
  Accept = 1,
  /** Give the rewritten bytes back to the kernel (NFQUEUE verdict with payload), which routes them. */
  AcceptModified = 2,
  /** Send the rewritten Ethernet frame out of outIfindex[i] ourselves (AF_PACKET). */
  Transmit = 3,
}

/** What the frames in a batch start with. */
export const enum LinkType {
  /** Full Ethernet frames (AF_PACKET, pcap). */
  Ether = 1,
  /** Bare IP packets (NFQUEUE). */
  Ip = 2,
}

/** A batch of packets with their per-packet metadata and verdicts. */
export interface PacketBatch {
  readonly linkType: LinkType;
  /** Backing memory of all slots. */
  readonly buf: Uint8Array;
  readonly slotSize: number;
  readonly headroom: number;
  /** Number of slots (maximum batch size). */
  readonly capacity: number;
  /** Number of packets currently in the batch. */
  count: number;
  /** Absolute offset in buf of packet i's first byte. */
  readonly start: Uint32Array;
  /** Length in bytes of packet i. */
  readonly length: Uint32Array;
  /** Backend's id of packet i (NFQUEUE packet id); 0 elsewhere. */
  readonly id: Uint32Array;
  /** Input: ingress ifindex; 0 if unknown. */
  readonly ifindex: Uint32Array;
  /** Input: the packet's fwmark (for fwmark services). Output: the mark to set with the verdict. */
  readonly mark: Uint32Array;
  /** Input: capture time of packet i in ms (replay: pcap timestamp); 0 = use the batch clock. */
  readonly timeMs: Float64Array;
  /** Output: Verdict per packet. */
  readonly verdict: Uint8Array;
  /** Output: egress ifindex for Verdict.Transmit. */
  readonly outIfindex: Uint32Array;
  /** Output: drop reason code (dataplane drop-reasons) for Verdict.Drop, else 0. */
  readonly reason: Uint16Array;
}

/** Allocates a batch with `capacity` slots of `slotSize` bytes (on a SharedArrayBuffer when `shared`). */
export function createBatch(linkType: LinkType, capacity: number, slotSize = 2048, headroom = 128, shared = false): PacketBatch {
  const Mem = shared ? SharedArrayBuffer : ArrayBuffer;
  const buf = new Uint8Array(new Mem(capacity * slotSize));
  const start = new Uint32Array(capacity);
  for (let i = 0; i < capacity; i++) start[i] = i * slotSize + headroom;
  return {
    linkType,
    buf,
    slotSize,
    headroom,
    capacity,
    count: 0,
    start,
    length: new Uint32Array(capacity),
    id: new Uint32Array(capacity),
    ifindex: new Uint32Array(capacity),
    mark: new Uint32Array(capacity),
    timeMs: new Float64Array(capacity),
    verdict: new Uint8Array(capacity),
    outIfindex: new Uint32Array(capacity),
    reason: new Uint16Array(capacity),
  };
}

/** Copies `frame` into slot `i` at the default headroom and sets its length; returns false if it does not fit. */
export function putFrame(b: PacketBatch, i: number, frame: Uint8Array): boolean {
  if (frame.length > b.slotSize - b.headroom) return false;
  const off = i * b.slotSize + b.headroom;
  b.buf.set(frame, off);
  b.start[i] = off;
  b.length[i] = frame.length;
  return true;
}

/** A view of packet i's current bytes (allocates a view: for tests and tools, not the hot path). */
export function frameOf(b: PacketBatch, i: number): Uint8Array {
  return b.buf.subarray(b.start[i], b.start[i] + b.length[i]);
}
