/**
 * The NFQUEUE backend: one queue per worker, bound by native/nfqueue.cc on this thread's event loop.
 * Packets are bare IP (LinkType.Ip); verdicts Accept / AcceptModified (with payload) / Drop, each with
 * batch.mark[i] as the packet's new fwmark. Transmit is not possible here and counts as a drop.
 */
import { LinkType, type PacketBatch } from '../core/batch.js';
import { loadNative } from '../native/addon.js';
import type { NativeIoAddon, NativeIoHandle } from '../native/types.js';
import { type BatchHandler, type NfqueueSpec, type PacketIo, IoError, IO_STAT_SLOTS, NFQ_STAT_NAMES } from './types.js';

/** An NFQUEUE queue owned by this thread. */
export class NfqueueIo implements PacketIo {
  readonly kind = 'nfqueue' as const;
  readonly linkType = LinkType.Ip;
  readonly statNames = NFQ_STAT_NAMES;
  private handle: NativeIoHandle | undefined;

  constructor(
    private readonly spec: NfqueueSpec,
    private readonly batch: PacketBatch,
    readonly stats: Float64Array = new Float64Array(IO_STAT_SLOTS),
  ) {
    if (batch.linkType !== LinkType.Ip) throw new IoError('the NFQUEUE backend needs a batch of bare IP packets (LinkType.Ip)');
  }

  /** Binds the queue and starts delivering batches to `onBatch`. */
  start(onBatch: BatchHandler): void {
    const native = loadNative() as unknown as NativeIoAddon;
    const b = this.batch;
    try {
      this.handle = native.nfqOpen(
        {
          queue: this.spec.queue,
          maxLen: this.spec.maxLen,
          failOpen: this.spec.failOpen ?? true,
          copyRange: this.spec.copyRange,
          gso: this.spec.gso,
          stats: this.stats,
        },
        b,
        (count: number) => {
          b.count = count;
          onBatch(b);
        },
      );
    } catch (e) {
      throw new IoError((e as Error).message);
    }
  }

  /** Unbinds the queue; packets still queued in the kernel are dropped by it. */
  close(): void {
    this.handle?.close();
    this.handle = undefined;
  }
}
