/**
 * The IPVS connection sync protocol, version 1 (net/netfilter/ipvs/ip_vs_sync.c): encode and decode
 * the datagrams a master multicasts to its backups. Our own code written from the kernel's layout.
 *
 * Message (network byte order):
 *   header, 8 bytes: reserved=0 (u8) | syncid (u8) | size (u16, whole datagram) | nr_conns (u8) |
 *                    version=1 (u8) | spare=0 (u16)
 *   then nr_conns entries, each padded to a 4-byte boundary (the pad is not in the entry's size):
 *     type (u8, bit 0 = IPv6) | protocol (u8) | ver_size (u16: version 4 msb = 0, size 12 lsb) |
 *     flags (u32, IP_VS_CONN_F_*) | state (u16) | cport | vport | dport (u16 each) | fwmark (u32) |
 *     timeout (u32, seconds) | caddr | vaddr | daddr (4 bytes each IPv4 = 36-byte entry; 16 bytes each
 *     IPv6 = 72-byte entry) | options: type (u8) | len (u8, >0) | data — 1 = sequence data (24 bytes:
 *     in_seq then out_seq, each init_seq|delta|previous_delta u32), 2 = persistence engine data,
 *     3 = persistence engine name; type | 0x40 (IPVS_OPT_F_PARAM) marks an option a receiver may skip.
 *
 * Decoding follows ip_vs_process_message / ip_vs_proc_sync_conn: a lie about sizes drops the whole
 * datagram; an unsupported protocol, invalid state or unknown mandatory option drops one entry.
 * Decoding never throws on any input.
 */
import { formatIpWords, parseIpWords } from '../core/addr.js';

/** Default multicast group (IP_VS_SYNC_GROUP). */
export const SYNC_DEFAULT_GROUP = '224.0.0.81';
/** Default UDP port (IP_VS_SYNC_PORT). */
export const SYNC_DEFAULT_PORT = 8848;
/** Default multicast TTL (ipvsadm --mcast-ttl default). */
export const SYNC_DEFAULT_TTL = 1;
/** Protocol version in the header (SYNC_PROTO_VER). */
export const SYNC_PROTO_VER = 1;
/** Bytes of the version 1 message header. */
export const SYNC_HEADER_BYTES = 8;
/** Bytes of an IPv4 entry without options (struct ip_vs_sync_v4). */
export const SYNC_V4_BYTES = 36;
/** Bytes of an IPv6 entry without options (struct ip_vs_sync_v6). */
export const SYNC_V6_BYTES = 72;
/** Bytes of the sequence-data option payload (struct ip_vs_sync_conn_options). */
export const SYNC_SEQ_BYTES = 24;
/** Longest persistence engine data the kernel accepts (IP_VS_PEDATA_MAXLEN). */
export const SYNC_PEDATA_MAXLEN = 255;
/** Longest persistence engine name (IP_VS_PENAME_MAXLEN). */
export const SYNC_PENAME_MAXLEN = 16;

/** IP_VS_CONN_F_* flag bits as they travel in a sync entry (include/uapi/linux/ip_vs.h). */
export const SyncFlag = {
  /** Forwarding method mask (IP_VS_CONN_F_FWD_MASK); values in SyncFwd. */
  FwdMask: 0x0007,
  /** Entry came from a sync message (set by the receiver). */
  Sync: 0x0020,
  /** Hashed in the table (never sent). */
  Hashed: 0x0040,
  /** No output packets seen (DR/TUN: the reply bypasses the director). */
  NoOutput: 0x0080,
  /** Not established: counted as inactive. */
  Inactive: 0x0100,
  /** Adjust output sequence numbers. */
  OutSeq: 0x0200,
  /** Adjust input sequence numbers. */
  InSeq: 0x0400,
  /** No client port set yet (templates of persistent port-0 services). */
  NoCport: 0x0800,
  /** Persistence template. */
  Template: 0x1000,
  /** One-packet scheduling (never synced by the kernel). */
  OnePacket: 0x2000,
} as const;

/** Flags a backup keeps from a received entry (IP_VS_CONN_F_BACKUP_MASK). */
export const SYNC_BACKUP_MASK =
  SyncFlag.FwdMask | SyncFlag.NoOutput | SyncFlag.Inactive | SyncFlag.OutSeq | SyncFlag.InSeq | SyncFlag.NoCport | SyncFlag.Template;

/** Forwarding method codes in the low flag bits (IP_VS_CONN_F_MASQ .. IP_VS_CONN_F_BYPASS). */
export const SyncFwd = { Masq: 0, LocalNode: 1, Tunnel: 2, DRoute: 3, Bypass: 4 } as const;

/** One direction's TCP sequence adjustment (struct ip_vs_seq). */
export interface SyncSeq {
  /** Initial sequence number. */
  initSeq: number;
  /** Current delta. */
  delta: number;
  /** Previous delta. */
  previousDelta: number;
}

/** One connection or persistence template in a sync message. */
export interface SyncConn {
  /** Address family of caddr/vaddr/daddr. */
  family: 4 | 6;
  /** IP protocol number (6 TCP, 17 UDP, 132 SCTP; templates carry the service's protocol). */
  protocol: number;
  /** IP_VS_CONN_F_* bits (SyncFlag), the forwarding method in the low 3 bits. */
  flags: number;
  /** Protocol state (IP_VS_TCP_S_* for TCP; 0 for UDP and templates). */
  state: number;
  /** Client port. */
  cport: number;
  /** Virtual port. */
  vport: number;
  /** Real server port. */
  dport: number;
  /** Firewall mark of the virtual service, 0 if none. */
  fwmark: number;
  /** Remaining timeout in seconds (the kernel sends the connection's full timeout). */
  timeoutS: number;
  /** Client address text. */
  caddr: string;
  /** Virtual address text. */
  vaddr: string;
  /** Real server address text. */
  daddr: string;
  /** Sequence adjustment data (option 1), if any. */
  seq?: { in: SyncSeq; out: SyncSeq };
  /** Persistence engine name (option 3), e.g. "sip". */
  peName?: string;
  /** Persistence engine data (option 2). */
  peData?: Uint8Array;
}

/** Why a datagram or a single entry was dropped; the receiver counts each reason. */
export type SyncDropReason =
  | 'short' // shorter than a header
  | 'size' // header size differs from the datagram length
  | 'syncid' // another sync group
  | 'version' // not a version 1 message (version 0 or unknown)
  | 'truncated' // an entry runs past the datagram, or fewer entries than nr_conns
  | 'entry-version' // an entry's version nibble is not 0
  | 'family' // entry type neither IPv4 nor IPv6
  | 'option' // option with zero or lying length, duplicated, or bad sequence-data size
  | 'mandatory-option' // unknown option not marked skippable (entry dropped)
  | 'protocol' // unsupported protocol (entry dropped)
  | 'state'; // state out of range for the protocol (entry dropped)

/** Reasons that drop only the one entry, not the datagram. */
export const SYNC_ENTRY_REASONS: ReadonlySet<SyncDropReason> = new Set(['mandatory-option', 'protocol', 'state']);

/** Outcome of decoding one datagram. */
export type SyncDecodeResult =
  | { ok: true; syncid: number; conns: SyncConn[]; skipped: SyncDropReason[] }
  | { ok: false; reason: SyncDropReason; syncid?: number };

/** Options of decodeSyncMessage. */
export interface SyncDecodeOptions {
  /** Accept only this syncid (0 or undefined = any, as the kernel's backup with syncid 0). */
  syncid?: number;
}

const OPT_SEQ = 1;
const OPT_PE_DATA = 2;
const OPT_PE_NAME = 3;
const OPT_F_PARAM = 0x40; // IPVS_OPT_F_PARAM = 1 << (IPVS_OPT_PARAM - 1)
const TCP_STATES = 11; // IP_VS_TCP_S_LAST
const SCTP_STATES = 10; // IP_VS_SCTP_S_LAST
const MAX_CONNS = 255; // nr_conns is a u8

/** Number of protocol states a backup accepts (pp->num_states), or 0 for an unsupported protocol. */
export function syncStateCount(protocol: number): number {
  if (protocol === 6) return TCP_STATES;
  if (protocol === 17) return 1;
  if (protocol === 132) return SCTP_STATES;
  return 0;
}

/** The largest message for an interface MTU: MTU minus the IP and UDP headers (start_sync_thread). */
export function syncMaxlenForMtu(mtu: number, family: 4 | 6 = 4): number {
  return Math.max(SYNC_HEADER_BYTES + SYNC_V6_BYTES, mtu - (family === 6 ? 40 : 20) - 8);
}

/** Bytes one entry takes in a message, including its options and the pad to 4 bytes. */
export function syncEntryBytes(c: SyncConn): number {
  return (entrySize(c) + 3) & ~3;
}

function entrySize(c: SyncConn): number {
  let n = c.family === 6 ? SYNC_V6_BYTES : SYNC_V4_BYTES;
  if (c.seq) n += 2 + SYNC_SEQ_BYTES;
  if (c.peData && c.peData.length) n += 2 + Math.min(c.peData.length, SYNC_PEDATA_MAXLEN);
  if (c.peName) n += 2 + Math.min(Buffer.byteLength(c.peName), SYNC_PENAME_MAXLEN);
  return n;
}

function putAddr(buf: Buffer, off: number, text: string, family: 4 | 6, words: Uint32Array): void {
  if (parseIpWords(text, words) !== family) throw new RangeError(`sync: ${text} is not an IPv${family} address`);
  const n = family === 6 ? 4 : 1;
  for (let i = 0; i < n; i++) buf.writeUInt32BE(words[i]! >>> 0, off + i * 4);
}

function putSeq(buf: Buffer, off: number, s: SyncSeq): void {
  buf.writeUInt32BE(s.initSeq >>> 0, off);
  buf.writeUInt32BE(s.delta >>> 0, off + 4);
  buf.writeUInt32BE(s.previousDelta >>> 0, off + 8);
}

/** Writes one entry at `off` (the caller reserved syncEntryBytes); returns the offset after its pad. */
function putEntry(buf: Buffer, off: number, c: SyncConn, words: Uint32Array): number {
  const size = entrySize(c);
  buf.writeUInt8(c.family === 6 ? 1 : 0, off); // type: STYPE_F_INET6
  buf.writeUInt8(c.protocol & 0xff, off + 1);
  buf.writeUInt16BE(size & 0x0fff, off + 2); // version 0 in the top 4 bits
  buf.writeUInt32BE((c.flags & ~SyncFlag.Hashed) >>> 0, off + 4); // the kernel never sends HASHED
  buf.writeUInt16BE(c.state & 0xffff, off + 8);
  buf.writeUInt16BE(c.cport & 0xffff, off + 10);
  buf.writeUInt16BE(c.vport & 0xffff, off + 12);
  buf.writeUInt16BE(c.dport & 0xffff, off + 14);
  buf.writeUInt32BE(c.fwmark >>> 0, off + 16);
  buf.writeUInt32BE(Math.max(0, Math.floor(c.timeoutS)) >>> 0, off + 20);
  const alen = c.family === 6 ? 16 : 4;
  putAddr(buf, off + 24, c.caddr, c.family, words);
  putAddr(buf, off + 24 + alen, c.vaddr, c.family, words);
  putAddr(buf, off + 24 + 2 * alen, c.daddr, c.family, words);
  let p = off + 24 + 3 * alen;
  if (c.seq) {
    buf[p++] = OPT_SEQ;
    buf[p++] = SYNC_SEQ_BYTES;
    putSeq(buf, p, c.seq.in);
    putSeq(buf, p + 12, c.seq.out);
    p += SYNC_SEQ_BYTES;
  }
  if (c.peData && c.peData.length) {
    const n = Math.min(c.peData.length, SYNC_PEDATA_MAXLEN);
    buf[p++] = OPT_PE_DATA;
    buf[p++] = n;
    buf.set(c.peData.subarray(0, n), p);
    p += n;
  }
  if (c.peName) {
    const name = Buffer.from(c.peName).subarray(0, SYNC_PENAME_MAXLEN);
    buf[p++] = OPT_PE_NAME;
    buf[p++] = name.length;
    name.copy(buf, p);
    p += name.length;
  }
  return off + ((size + 3) & ~3);
}

/**
 * Packs entries into as few version 1 datagrams as fit `maxlen` bytes and 255 entries each, in order.
 * Throws RangeError for an address that is not of the entry's family (a caller bug, not wire input).
 */
export function encodeSyncMessages(syncid: number, conns: readonly SyncConn[], maxlen: number): Buffer[] {
  const out: Buffer[] = [];
  const words = new Uint32Array(4);
  let i = 0;
  while (i < conns.length) {
    let bytes = SYNC_HEADER_BYTES;
    let n = 0;
    while (i + n < conns.length && n < MAX_CONNS) {
      const e = syncEntryBytes(conns[i + n]!);
      if (n > 0 && bytes + e > maxlen) break;
      bytes += e;
      n++;
    }
    const buf = Buffer.alloc(bytes);
    buf.writeUInt8(0, 0); // reserved: a version 0 receiver reads nr_conns 0 and drops it
    buf.writeUInt8(syncid & 0xff, 1);
    buf.writeUInt16BE(bytes, 2);
    buf.writeUInt8(n, 4);
    buf.writeInt8(SYNC_PROTO_VER, 5);
    buf.writeUInt16BE(0, 6);
    let off = SYNC_HEADER_BYTES;
    for (let k = 0; k < n; k++) off = putEntry(buf, off, conns[i + k]!, words);
    out.push(buf);
    i += n;
  }
  return out;
}

function getSeq(b: Uint8Array, dv: DataView, p: number): SyncSeq {
  return { initSeq: dv.getUint32(p), delta: dv.getUint32(p + 4), previousDelta: dv.getUint32(p + 8) };
}

function getAddr(dv: DataView, p: number, family: 4 | 6, words: Uint32Array): string {
  const n = family === 6 ? 4 : 1;
  for (let i = 0; i < n; i++) words[i] = dv.getUint32(p + i * 4);
  return formatIpWords(words, family);
}

type EntryResult = SyncConn | SyncDropReason;

/** Decodes one entry spanning [p, end) (ip_vs_proc_sync_conn). */
function getEntry(b: Uint8Array, dv: DataView, p: number, end: number, words: Uint32Array): EntryResult {
  const type = b[p]!;
  let family: 4 | 6;
  if (type & 1) family = 6;
  else if (type === 0) family = 4;
  else return 'family';
  const alen = family === 6 ? 16 : 4;
  let q = p + (family === 6 ? SYNC_V6_BYTES : SYNC_V4_BYTES);
  if (q > end) return 'truncated';
  const c: SyncConn = {
    family,
    protocol: b[p + 1]!,
    flags: dv.getUint32(p + 4),
    state: dv.getUint16(p + 8),
    cport: dv.getUint16(p + 10),
    vport: dv.getUint16(p + 12),
    dport: dv.getUint16(p + 14),
    fwmark: dv.getUint32(p + 16),
    timeoutS: dv.getUint32(p + 20),
    caddr: getAddr(dv, p + 24, family, words),
    vaddr: getAddr(dv, p + 24 + alen, family, words),
    daddr: getAddr(dv, p + 24 + 2 * alen, family, words),
  };
  let mandatoryUnknown = false;
  while (q < end) {
    if (q + 2 > end) return 'option';
    const ptype = b[q]!;
    const plen = b[q + 1]!;
    q += 2;
    if (plen === 0 || q + plen > end) return 'option';
    switch (ptype & ~OPT_F_PARAM) {
      case OPT_SEQ:
        if (plen !== SYNC_SEQ_BYTES || c.seq) return 'option';
        c.seq = { in: getSeq(b, dv, q), out: getSeq(b, dv, q + 12) };
        break;
      case OPT_PE_DATA:
        if (c.peData) return 'option';
        c.peData = b.slice(q, q + plen);
        break;
      case OPT_PE_NAME:
        if (plen > SYNC_PENAME_MAXLEN || c.peName !== undefined) return 'option';
        c.peName = Buffer.from(b.buffer, b.byteOffset + q, plen).toString('latin1');
        break;
      default:
        if (!(ptype & OPT_F_PARAM)) mandatoryUnknown = true;
    }
    q += plen;
  }
  if (mandatoryUnknown) return 'mandatory-option';
  if (!(c.flags & SyncFlag.Template)) {
    const states = syncStateCount(c.protocol);
    if (states === 0) return 'protocol';
    if (c.state >= states) return 'state';
  }
  return c;
}

/**
 * Decodes one received datagram. Never throws: malformed input comes back as `{ ok: false, reason }`
 * (whole datagram dropped) or as entries listed in `skipped` (only those entries dropped).
 */
export function decodeSyncMessage(b: Uint8Array, o: SyncDecodeOptions = {}): SyncDecodeResult {
  if (b.length < 4) return { ok: false, reason: 'short' };
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (dv.getUint16(2) !== b.length) return { ok: false, reason: 'size' };
  const syncid = b[1]!;
  if (o.syncid && syncid !== o.syncid) return { ok: false, reason: 'syncid', syncid };
  if (b.length < SYNC_HEADER_BYTES || b[0] !== 0 || b[5] !== SYNC_PROTO_VER || dv.getUint16(6) !== 0) {
    return { ok: false, reason: 'version', syncid };
  }
  const nr = b[4]!;
  const conns: SyncConn[] = [];
  const skipped: SyncDropReason[] = [];
  const words = new Uint32Array(4);
  let p = SYNC_HEADER_BYTES;
  for (let i = 0; i < nr; i++) {
    if (p + SYNC_V4_BYTES > b.length) return { ok: false, reason: 'truncated', syncid };
    const verSize = dv.getUint16(p + 2);
    const size = verSize & 0x0fff;
    const end = p + size;
    if (end > b.length) return { ok: false, reason: 'truncated', syncid };
    if (verSize >> 12) return { ok: false, reason: 'entry-version', syncid };
    const r = getEntry(b, dv, p, end, words);
    if (typeof r === 'string') {
      if (!SYNC_ENTRY_REASONS.has(r)) return { ok: false, reason: r, syncid };
      skipped.push(r);
    } else {
      conns.push(r);
    }
    p += (size + 3) & ~3;
  }
  return { ok: true, syncid, conns, skipped };
}
