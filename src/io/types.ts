/**
 * The one interface every packet I/O backend (memory, nfqueue, afpacket, afxdp) implements: it fills a
 * PacketBatch in place, calls the handler once per batch, then carries out the verdicts the handler
 * wrote into the batch (batch.ts). A backend is opened and used by exactly one thread.
 */
import { ERROR_CODES, UlvsError } from '../core/errors.js';
import type { MessagePort } from 'node:worker_threads';
import type { LinkType, PacketBatch } from '../core/batch.js';

/** Names of the packet I/O backends. */
export type IoKind = 'memory' | 'nfqueue' | 'afpacket' | 'afxdp';

/** Called once per received batch (batch.count packets); verdicts are read when it returns. */
export type BatchHandler = (batch: PacketBatch) => void;

/** Options of the NFQUEUE backend (one queue per worker). */
export interface NfqueueSpec {
  kind: 'nfqueue';
  /** The queue this worker owns. */
  queue: number;
  maxLen?: number;
  failOpen?: boolean;
  copyRange?: number;
  gso?: boolean;
}

/** Options of the AF_PACKET backend (one ring per interface per worker, fanout across workers). */
export interface AfpacketSpec {
  kind: 'afpacket';
  /** Interfaces to receive on. */
  interfaces: string[];
  /** Fanout group id per interface (same for every worker of one director); 0 = no fanout. */
  fanoutGroups: number[];
  /** Classic BPF program (io/bpf.ts) attached to every ring. */
  filter?: Uint8Array;
  /** Ring geometry, as in native AfpOpenOptions (defaults there). */
  ringVersion?: 2 | 3;
  frameSizeBytes?: number;
  frameCount?: number;
  coalesceUs?: number;
  blockSizeBytes?: number;
  blockCount?: number;
  retireMs?: number;
}

/** One interface of the AF_XDP backend, as the main thread set it up (io/xsk-redirect.ts). */
export interface AfxdpInterface {
  ifname: string;
  ifindex: number;
  /** The interface's XSKMAP (a process-wide fd). */
  mapFd: number;
  /** Receive queues this worker owns on it. */
  queues: number[];
}

/** Options of the AF_XDP backend (one socket per owned receive queue per interface, one UMEM per worker). */
export interface AfxdpSpec {
  kind: 'afxdp';
  interfaces: AfxdpInterface[];
  /** Entries per ring (power of two; default 2048). */
  ringSize?: number;
  /** UMEM frame size (2048 or 4096; default 2048). */
  frameSize?: number;
  /**
   * Adaptive interrupt moderation (0 or absent = off; the pool passes 250 unless told otherwise): while
   * traffic is dense (the last wakeup took 32 frames or more), a wakeup that finds less than a full batch
   * takes the frames this many µs later, so one wakeup serves many (less CPU per packet); a lone frame is
   * taken at once.
   */
  coalesceUs?: number;
}

/** Options of the in-memory backend (tests): frames arrive on `port`, results go back on it. */
export interface MemorySpec {
  kind: 'memory';
  linkType: LinkType;
  /** MessagePort carrying MemoryMessage in both directions (worker use); absent for direct use. */
  port?: MessagePort;
}

/** What to open. */
export type IoSpec = NfqueueSpec | AfpacketSpec | AfxdpSpec | MemorySpec;

/** An open backend. */
export interface PacketIo {
  readonly kind: IoKind;
  readonly linkType: LinkType;
  /** Counter names, index-aligned with `stats`. */
  readonly statNames: readonly string[];
  /** Counters the backend (native code included) adds to; may live in a SharedArrayBuffer. */
  readonly stats: Float64Array;
  /** Starts receiving; `onBatch` runs on this thread's event loop. */
  start(onBatch: BatchHandler): void;
  /** Stops receiving and releases kernel resources (queue binding, ring); idempotent. */
  close(): void;
}

/** Counter slots reserved per backend in a stats array. */
export const IO_STAT_SLOTS = 16;

/** NFQUEUE counter names (native/nfqueue.cc NfqStat order). */
export const NFQ_STAT_NAMES = ['rx_packets', 'rx_batches', 'verdicts', 'verdict_msgs', 'oversize_drops', 'netlink_errors', 'callback_errors'] as const;

/** AF_PACKET counter names (native/afpacket.cc AfpStat order). */
export const AFP_STAT_NAMES = [
  'rx_packets',
  'rx_batches',
  'tx_packets',
  'tx_calls',
  'oversize_drops',
  'tx_errors',
  'callback_errors',
  'ring_drops',
  'csum_completed',
  'gso_frames',
  'gso_segments',
  'offload_drops',
  'truncated_drops',
] as const;

/** AF_XDP counter names (native/afxdp.h XskStat order). */
export const XSK_STAT_NAMES = [
  'rx_packets',
  'rx_batches',
  'tx_packets',
  'tx_kicks',
  'tx_errors',
  'callback_errors',
  'ring_drops',
  'fill_ring_empty',
  'pass_lost',
  'tx_invalid',
  'csum_completed',
] as const;

/** Memory backend counter names. */
export const MEM_STAT_NAMES = ['rx_packets', 'rx_batches', 'tx_packets', 'accepted', 'dropped', 'modified', 'oversize_drops'] as const;

/** Raised when a backend cannot start; the message is one sentence for the user. */
export class IoError extends UlvsError {
  constructor(message: string) {
    super(message, ERROR_CODES.Io);
  }
}

/**
 * AF_XDP cannot run on this host (no AF_XDP in the kernel, no XDP on the device, no CAP_BPF, locked
 * memory too small for the UMEM): the pool falls back to afpacket. Any other AF_XDP error is not this.
 */
export class XskUnavailableError extends IoError {}
