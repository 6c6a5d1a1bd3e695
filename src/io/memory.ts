/**
 * In-memory packet I/O for tests and replay: frames are injected as byte arrays, the handler runs on
 * full or partial batches, and each packet's outcome (verdict, rewritten bytes, mark, egress) is
 * recorded. With a MessagePort it serves a worker: `{ type: 'frames', frames }` in,
 * `{ type: 'results', results }` out.
 */
import { type PacketBatch, LinkType, Verdict } from '../core/batch.js';
import { type BatchHandler, type MemorySpec, type PacketIo, IO_STAT_SLOTS, MEM_STAT_NAMES } from './types.js';

/** The outcome of one injected packet. */
export interface MemoryResult {
  verdict: Verdict;
  /** The packet's bytes after the pipeline (a copy). */
  bytes: Uint8Array;
  mark: number;
  outIfindex: number;
  reason: number;
}

/** Messages on a memory backend's port. */
export type MemoryMessage = { type: 'frames'; frames: Uint8Array[]; marks?: number[]; ifindex?: number } | { type: 'results'; results: MemoryResult[] };

/** The in-memory backend. */
export class MemoryIo implements PacketIo {
  readonly kind = 'memory' as const;
  readonly statNames = MEM_STAT_NAMES;
  readonly linkType: LinkType;
  private handler: BatchHandler | undefined;
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly batch: PacketBatch,
    readonly stats: Float64Array = new Float64Array(IO_STAT_SLOTS),
    private readonly spec: Omit<MemorySpec, 'kind'> = { linkType: batch.linkType },
  ) {
    this.linkType = batch.linkType;
  }

  /** Starts accepting frames (and listening on the port, if any). */
  start(onBatch: BatchHandler): void {
    this.handler = onBatch;
    const port = this.spec.port;
    if (port) {
      port.on('message', (m: MemoryMessage) => {
        if (m.type !== 'frames' || this.closed) return;
        const results = this.inject(m.frames, m.marks, m.ifindex);
        port.postMessage({ type: 'results', results } satisfies MemoryMessage);
      });
    }
  }

  /** Runs `frames` through the handler in batches and returns one result per frame, in order. */
  inject(frames: Uint8Array[], marks?: number[], ifindex = 1): MemoryResult[] {
    if (!this.handler) throw new Error('MemoryIo.inject() before start()');
    const b = this.batch;
    const out: MemoryResult[] = new Array(frames.length);
    const origin = new Array<number>(b.capacity);
    let k = 0;
    while (k < frames.length && !this.closed) {
      let n = 0;
      for (; n < b.capacity && k < frames.length; k++) {
        const f = frames[k];
        if (f.length > b.slotSize - b.headroom) {
          this.stats[6]++;
          out[k] = { verdict: Verdict.Drop, bytes: new Uint8Array(0), mark: 0, outIfindex: 0, reason: 0 };
          continue;
        }
        const off = n * b.slotSize + b.headroom;
        b.buf.set(f, off);
        b.start[n] = off;
        b.length[n] = f.length;
        b.id[n] = this.nextId++ >>> 0;
        b.ifindex[n] = ifindex;
        b.mark[n] = marks?.[k] ?? 0;
        b.timeMs[n] = 0;
        b.verdict[n] = this.linkType === LinkType.Ip ? Verdict.Accept : Verdict.Drop;
        b.outIfindex[n] = 0;
        b.reason[n] = 0;
        origin[n] = k;
        n++;
      }
      if (n === 0) continue;
      b.count = n;
      this.stats[0] += n;
      this.stats[1]++;
      this.handler(b);
      for (let i = 0; i < n; i++) {
        const v = b.verdict[i] as Verdict;
        if (v === Verdict.Transmit) this.stats[2]++;
        else if (v === Verdict.Accept) this.stats[3]++;
        else if (v === Verdict.AcceptModified) this.stats[5]++;
        else this.stats[4]++;
        out[origin[i]] = {
          verdict: v,
          bytes: b.buf.slice(b.start[i], b.start[i] + b.length[i]),
          mark: b.mark[i],
          outIfindex: b.outIfindex[i],
          reason: b.reason[i],
        };
      }
    }
    return this.closed ? out.filter((r) => r !== undefined) : out;
  }

  /** Stops accepting frames. */
  close(): void {
    this.closed = true;
    this.spec.port?.close();
  }
}
