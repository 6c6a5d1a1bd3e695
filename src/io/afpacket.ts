/**
 * The AF_PACKET backend: a receive ring per interface on this thread (TPACKET_V2 by default: no
 * block timer, so a lone packet is not held back), joined to a per-interface
 * PACKET_FANOUT group (flow hash) shared by all workers, with a BPF filter (io/bpf.ts) so only
 * virtual-service traffic and NAT replies are copied up. Frames are Ethernet (LinkType.Ether);
 * Transmit verdicts go out of outIfindex[i] (or the receiving interface) in one sendmmsg per batch.
 * The kernel still sees every frame: host/director.ts installs the raw-table DROP rules that keep
 * it from also forwarding or answering what ulvs forwards.
 */
import { readFileSync } from 'node:fs';
import { LinkType, type PacketBatch } from '../core/batch.js';
import { loadNative } from '../native/addon.js';
import type { AfpHandle, NativeIoAddon } from '../native/types.js';
import { type AfpacketSpec, type BatchHandler, type PacketIo, AFP_STAT_NAMES, IoError, IO_STAT_SLOTS } from './types.js';

/** A fanout group id for `ifname` that all workers of process `pid` agree on (1..65535). */
export function fanoutGroupId(pid: number, ifindex: number): number {
  return (((Math.imul(pid, 2654435761) >>> 16) ^ (ifindex * 40503)) % 65535) + 1;
}

/** Interface index of `name` in this network namespace (0 when there is no such interface). */
export function ifindexOf(name: string): number {
  try {
    return Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8').trim());
  } catch {
    return 0;
  }
}

/** AF_PACKET rings owned by this thread. */
export class AfpacketIo implements PacketIo {
  readonly kind = 'afpacket' as const;
  readonly linkType = LinkType.Ether;
  readonly statNames = AFP_STAT_NAMES;
  private handles: AfpHandle[] = [];

  constructor(
    private readonly spec: AfpacketSpec,
    private readonly batch: PacketBatch,
    readonly stats: Float64Array = new Float64Array(IO_STAT_SLOTS),
  ) {
    if (batch.linkType !== LinkType.Ether) throw new IoError('the AF_PACKET backend needs a batch of Ethernet frames (LinkType.Ether)');
    if (spec.interfaces.length === 0) throw new IoError('the AF_PACKET backend needs at least one interface');
  }

  /** Opens one ring per interface and starts delivering batches to `onBatch`. */
  start(onBatch: BatchHandler): void {
    const native = loadNative() as unknown as NativeIoAddon;
    const b = this.batch;
    const cb = (count: number): void => {
      b.count = count;
      onBatch(b);
    };
    try {
      this.spec.interfaces.forEach((ifname, k) => {
        this.handles.push(
          native.afpOpen(
            {
              ifname,
              fanoutGroup: this.spec.fanoutGroups[k] ?? 0,
              filter: this.spec.filter,
              stats: this.stats,
              ringVersion: this.spec.ringVersion,
              frameSizeBytes: this.spec.frameSizeBytes,
              frameCount: this.spec.frameCount,
              coalesceUs: this.spec.coalesceUs,
              blockSizeBytes: this.spec.blockSizeBytes,
              blockCount: this.spec.blockCount,
              retireMs: this.spec.retireMs,
            },
            b,
            cb,
          ),
        );
      });
    } catch (e) {
      this.close();
      throw new IoError((e as Error).message);
    }
  }

  /** Replaces the BPF filter of every ring in place (a new VIP set without new sockets). */
  setFilter(filter: Uint8Array): void {
    try {
      for (const h of this.handles) h.setFilter(filter);
    } catch (e) {
      throw new IoError((e as Error).message);
    }
  }

  /** Adds the kernel's ring-full drops to stats[ring_drops]. */
  pollRingDrops(): void {
    for (const h of this.handles) h.ringStats();
  }

  /** Closes every ring. */
  close(): void {
    for (const h of this.handles) h.close();
    this.handles = [];
  }
}
