/**
 * ulvs's own sync control datagrams, beyond the kernel's protocol: a backup asks the master for its
 * whole table (bulk request), the master marks the end of the answer (bulk end), and a master with
 * nothing to send says it is alive once a second (so a backup can tell its lag).
 *
 * Layout (network byte order), 20 bytes:
 *   header, 8 bytes, as a version 1 message: reserved=0 (u8) | syncid (u8) | size=20 (u16) |
 *                    nr_conns=0 (u8) | version=1 (u8) | spare=0x554C "UL" (u16)
 *   kind (u8: 1 bulk request, 2 bulk end, 3 alive) | 3 bytes zero | nonce (u32) | entries (u32)
 *
 * A kernel backup reads it harmlessly: ip_vs_process_message takes a non-zero spare for a version 0
 * message, whose nr_conns (our reserved byte) is 0, so no entry is applied. Our decoder of version 1
 * messages (message.ts) is never given one: the receiver asks isSyncControl first.
 */
import { SYNC_HEADER_BYTES, SYNC_PROTO_VER } from './message.js';

/** The spare field that marks a ulvs control datagram ("UL"). */
export const SYNC_CONTROL_MAGIC = 0x554c;
/** Bytes of a control datagram. */
export const SYNC_CONTROL_BYTES = 20;

/** One control datagram. */
export type SyncControl =
  /** A backup asks for the whole table; `nonce` comes back in the bulk end. */
  | { kind: 'bulk-request'; nonce: number }
  /** The master sent its whole table (`entries` connections and templates) in answer to `nonce`. */
  | { kind: 'bulk-end'; nonce: number; entries: number }
  /** The master is alive and holds `entries` syncable entries. */
  | { kind: 'alive'; entries: number };

const KINDS = ['bulk-request', 'bulk-end', 'alive'] as const;

/** True when `buf` has a version 1 header whose spare field marks a ulvs control datagram. */
export function isSyncControl(buf: Uint8Array): boolean {
  return buf.length >= SYNC_HEADER_BYTES && buf[0] === 0 && buf[5] === SYNC_PROTO_VER && ((buf[6]! << 8) | buf[7]!) === SYNC_CONTROL_MAGIC;
}

/** Encodes one control datagram for sync group `syncid`. */
export function encodeSyncControl(syncid: number, c: SyncControl): Buffer {
  const b = Buffer.alloc(SYNC_CONTROL_BYTES);
  b.writeUInt8(syncid & 0xff, 1);
  b.writeUInt16BE(SYNC_CONTROL_BYTES, 2);
  b.writeUInt8(SYNC_PROTO_VER, 5);
  b.writeUInt16BE(SYNC_CONTROL_MAGIC, 6);
  b.writeUInt8(KINDS.indexOf(c.kind) + 1, 8);
  b.writeUInt32BE(c.kind === 'alive' ? 0 : c.nonce >>> 0, 12);
  b.writeUInt32BE(c.kind === 'bulk-request' ? 0 : c.entries >>> 0, 16);
  return b;
}

/**
 * Decodes a control datagram (isSyncControl true): the message, or why it is dropped — 'size' (length
 * or size field wrong), 'syncid' (another group; 0 accepts any), 'control' (unknown kind). Never throws.
 */
export function decodeSyncControl(
  buf: Uint8Array,
  syncid = 0,
): { ok: true; syncid: number; msg: SyncControl } | { ok: false; reason: 'size' | 'syncid' | 'control' } {
  if (buf.length !== SYNC_CONTROL_BYTES || ((buf[2]! << 8) | buf[3]!) !== SYNC_CONTROL_BYTES) return { ok: false, reason: 'size' };
  const id = buf[1]!;
  if (syncid !== 0 && id !== syncid) return { ok: false, reason: 'syncid' };
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const nonce = v.getUint32(12);
  const entries = v.getUint32(16);
  switch (buf[8]) {
    case 1:
      return { ok: true, syncid: id, msg: { kind: 'bulk-request', nonce } };
    case 2:
      return { ok: true, syncid: id, msg: { kind: 'bulk-end', nonce, entries } };
    case 3:
      return { ok: true, syncid: id, msg: { kind: 'alive', entries } };
    default:
      return { ok: false, reason: 'control' };
  }
}
