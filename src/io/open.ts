/**
 * Opens the backend an IoSpec names, on the calling thread (each worker opens its own).
 */
import type { PacketBatch } from '../core/batch.js';
import { AfpacketIo } from './afpacket.js';
import { AfxdpIo } from './afxdp.js';
import { MemoryIo } from './memory.js';
import { NfqueueIo } from './nfqueue.js';
import type { IoSpec, PacketIo } from './types.js';

/** Creates (unstarted) the backend for `spec`, filling `batch` and adding to `stats`. */
export function openIo(spec: IoSpec, batch: PacketBatch, stats?: Float64Array): PacketIo {
  switch (spec.kind) {
    case 'nfqueue':
      return new NfqueueIo(spec, batch, stats);
    case 'afpacket':
      return new AfpacketIo(spec, batch, stats);
    case 'afxdp':
      return new AfxdpIo(spec, batch, stats);
    case 'memory':
      return new MemoryIo(batch, stats, spec);
  }
}
