/**
 * The AF_XDP backend (worker side): one AF_XDP socket per (interface, receive queue) this worker
 * owns (queue % workers === worker index), all on one UMEM, each in its interface's XSKMAP
 * (io/xsk-redirect.ts holds the maps and the XDP program). The UMEM itself is the batch buffer: the
 * pipeline reads and rewrites each frame where the kernel wrote it, and a Transmit verdict sends that
 * same frame from the TX ring of the socket on outIfindex[i] (native/afxdp.cc). Frames are Ethernet
 * (LinkType.Ether). Redirected frames never reach the kernel's stack, so no netfilter rules are needed.
 */
import { LinkType, type PacketBatch } from '../core/batch.js';
import { loadNative } from '../native/addon.js';
import type { NativeXskAddon, XskHandle } from '../native/types.js';
import { type AfxdpSpec, type BatchHandler, type PacketIo, IoError, IO_STAT_SLOTS, XSK_STAT_NAMES, XskUnavailableError } from './types.js';

/** The AF_XDP sockets owned by this thread. */
export class AfxdpIo implements PacketIo {
  readonly kind = 'afxdp' as const;
  readonly linkType = LinkType.Ether;
  readonly statNames = XSK_STAT_NAMES;
  private handle?: XskHandle;

  constructor(
    private readonly spec: AfxdpSpec,
    private readonly batch: PacketBatch,
    readonly stats: Float64Array = new Float64Array(IO_STAT_SLOTS),
  ) {
    if (batch.linkType !== LinkType.Ether) throw new IoError('the AF_XDP backend needs a batch of Ethernet frames (LinkType.Ether)');
  }

  /** True when the first socket runs in zero-copy mode (the driver supports it; veth does not). */
  get zeroCopy(): boolean {
    return this.handle?.zeroCopy ?? false;
  }

  /** Opens the sockets and starts delivering batches (over the UMEM) to `onBatch`; a worker that owns no queue stays idle. */
  start(onBatch: BatchHandler): void {
    const interfaces = this.spec.interfaces.filter((i) => i.queues.length > 0);
    if (interfaces.length === 0) return;
    const native = loadNative() as unknown as NativeXskAddon;
    if (typeof native.xskOpen !== 'function') throw new IoError('the native addon has no AF_XDP support: rebuild it with npm rebuild');
    // The batch the pipeline sees: the same metadata arrays, the UMEM as its buffer.
    let view: PacketBatch | undefined;
    const cb = (count: number): void => {
      view!.count = count;
      onBatch(view!);
    };
    try {
      this.handle = native.xskOpen(
        { interfaces, ringSize: this.spec.ringSize, frameSize: this.spec.frameSize, coalesceUs: this.spec.coalesceUs, stats: this.stats },
        this.batch,
        cb,
      );
    } catch (e) {
      // native/afxdp-open.cc marks the errors that mean "this host cannot run AF_XDP".
      const Err = (e as { code?: string }).code === 'ULVS_AFXDP_UNAVAILABLE' ? XskUnavailableError : IoError;
      throw new Err((e as Error).message);
    }
    view = { ...this.batch, buf: this.handle.buf };
  }

  /** Adds the kernel's XDP_STATISTICS (ring drops, empty fill ring, invalid TX descriptors) to stats. */
  pollRingDrops(): void {
    this.handle?.ringStats();
  }

  /** Closes every socket (the UMEM is unmapped once nothing refers to it). */
  close(): void {
    this.handle?.close();
    this.handle = undefined;
  }
}
