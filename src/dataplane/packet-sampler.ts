/**
 * Sampled live packets for `ulvs explain --samples` and the dashboard's packet walk: off by default and
 * free when off — the worker reads one shared word per batch, never per packet. When on (a rate in
 * packets per second per worker), a worker copies the first packet of a batch as it arrived into a shared
 * ring (at most `rate` a second), lets the pipeline run, and adds what the pipeline decided (verdict,
 * reason, egress) before publishing the slot. The main thread reads the ring and explains a sample on a
 * copy of the state (dataplane/explain.ts).
 *
 * Layout (one SharedArrayBuffer): Int32 header [rate, next sequence], then SAMPLE_SLOTS slots of
 * SLOT_BYTES: Int32 [published sequence (0 = empty, -1 = being written), length, linkType, ifindex, mark,
 * verdict, reason, outIfindex], Float64 time (ms), then up to SAMPLE_BYTES of the packet.
 */
import type { PacketBatch } from '../core/batch.js';

/** Slots in the ring (the newest SAMPLE_SLOTS samples are kept). */
export const SAMPLE_SLOTS = 64;
/** Bytes of a packet kept (longer packets are not sampled). */
export const SAMPLE_BYTES = 2048;
const HEADER_BYTES = 16;
const META_WORDS = 8;
const META_BYTES = META_WORDS * 4 + 8;
const SLOT_BYTES = META_BYTES + SAMPLE_BYTES;
/** Highest sampling rate accepted, per worker and second. */
export const MAX_SAMPLE_RATE = 100;

/** Allocates the ring (all slots empty, sampling off). */
export function createSampleBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + SAMPLE_SLOTS * SLOT_BYTES);
}

/** One sampled packet as the main thread reads it. */
export interface PacketSample {
  seq: number;
  timeMs: number;
  linkType: number;
  ifindex: number;
  mark: number;
  /** The live pipeline's verdict, reason and egress for it. */
  verdict: number;
  reason: number;
  outIfindex: number;
  frame: Uint8Array;
}

/** A worker's side: arm once per batch, copy before the pipeline, finish after it. */
export class PacketSampler {
  private readonly hdr: Int32Array;
  private readonly bytes: Uint8Array;
  private windowMs = 0;
  private taken = 0;
  private slot = -1;
  private seq = 0;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.hdr = new Int32Array(buffer, 0, 4);
    this.bytes = new Uint8Array(buffer);
  }

  /** Per batch: true when this batch's first packet is to be sampled (one shared read when off). */
  armed(nowMs: number, b: PacketBatch): boolean {
    const rate = Atomics.load(this.hdr, 0);
    if (rate <= 0 || b.count === 0 || b.length[0]! > SAMPLE_BYTES) return false;
    if (nowMs - this.windowMs >= 1000) {
      this.windowMs = nowMs;
      this.taken = 0;
    }
    if (this.taken >= rate) return false;
    this.taken++;
    return true;
  }

  /** Copies packet 0 of `b` as it arrived into the next slot (call only when armed). */
  before(b: PacketBatch, nowMs: number): void {
    this.seq = Atomics.add(this.hdr, 1, 1) + 1;
    this.slot = (this.seq - 1) % SAMPLE_SLOTS;
    const off = HEADER_BYTES + this.slot * SLOT_BYTES;
    const m = new Int32Array(this.buffer, off, META_WORDS);
    Atomics.store(m, 0, -1);
    m[1] = b.length[0]!;
    m[2] = b.linkType;
    m[3] = b.ifindex[0]!;
    m[4] = b.mark[0]!;
    new Float64Array(this.buffer, off + META_WORDS * 4, 1)[0] = b.timeMs[0]! > 0 ? b.timeMs[0]! : nowMs;
    this.bytes.set(b.buf.subarray(b.start[0]!, b.start[0]! + b.length[0]!), off + META_BYTES);
  }

  /** Adds the pipeline's decision for packet 0 and publishes the slot. */
  after(b: PacketBatch): void {
    if (this.slot < 0) return;
    const m = new Int32Array(this.buffer, HEADER_BYTES + this.slot * SLOT_BYTES, META_WORDS);
    m[5] = b.verdict[0]!;
    m[6] = b.reason[0]!;
    m[7] = b.outIfindex[0]!;
    Atomics.store(m, 0, this.seq);
    this.slot = -1;
  }
}

/** Sets the sampling rate of every worker (packets per second each; 0 = off). */
export function setSampleRate(buffer: SharedArrayBuffer, rate: number): void {
  Atomics.store(new Int32Array(buffer, 0, 4), 0, Math.max(0, Math.min(MAX_SAMPLE_RATE, Math.floor(rate))));
}

/** The sampling rate in force. */
export function sampleRate(buffer: SharedArrayBuffer): number {
  return Atomics.load(new Int32Array(buffer, 0, 4), 0);
}

/** The published samples, oldest first (a slot rewritten while read is skipped). */
export function readSamples(buffer: SharedArrayBuffer): PacketSample[] {
  const out: PacketSample[] = [];
  for (let s = 0; s < SAMPLE_SLOTS; s++) {
    const off = HEADER_BYTES + s * SLOT_BYTES;
    const m = new Int32Array(buffer, off, META_WORDS);
    const seq = Atomics.load(m, 0);
    if (seq <= 0) continue;
    const len = Math.min(SAMPLE_BYTES, m[1]!);
    const x: PacketSample = {
      seq,
      timeMs: new Float64Array(buffer, off + META_WORDS * 4, 1)[0]!,
      linkType: m[2]!,
      ifindex: m[3]!,
      mark: m[4]!,
      verdict: m[5]!,
      reason: m[6]!,
      outIfindex: m[7]!,
      frame: new Uint8Array(buffer, off + META_BYTES, len).slice(),
    };
    if (Atomics.load(m, 0) === seq) out.push(x);
  }
  return out.sort((a, b) => a.seq - b.seq);
}
