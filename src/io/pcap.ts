/**
 * Classic pcap files (the libpcap format, pcap-savefile(5)): a streaming reader that fills packet
 * batches and a buffered writer. Reading accepts both byte orders and both the microsecond
 * (0xa1b2c3d4) and nanosecond (0xa1b23c4d) magic; link types 1 (Ethernet) and 101/228/229 (raw IP,
 * IPv4, IPv6). Writing produces little-endian microsecond files. File layout: 24-byte global header
 * (magic u32, major u16, minor u16, thiszone i32, sigfigs u32, snaplen u32, linktype u32), then per
 * record a 16-byte header (ts_sec u32, ts_frac u32, incl_len u32, orig_len u32) and incl_len bytes.
 * Errors are PcapError with one sentence naming the file and byte offset.
 */
import { ERROR_CODES, UlvsError } from '../core/errors.js';
import { open, type FileHandle } from 'node:fs/promises';
import { openSync, readFileSync, closeSync, writeSync } from 'node:fs';
import { LinkType, type PacketBatch } from '../core/batch.js';

/** pcap LINKTYPE_* values this module understands. */
export const PcapLinkType = { Ethernet: 1, Raw: 101, Ipv4: 228, Ipv6: 229 } as const;

/** Largest record we accept (libpcap's MAXIMUM_SNAPLEN). */
export const PCAP_MAX_RECORD = 262144;

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
const MAGIC_PCAPNG = 0x0a0d0d0a;

/** A missing, unreadable or corrupt pcap file. */
export class PcapError extends UlvsError {
  constructor(message: string) {
    super(message, ERROR_CODES.Pcap);
  }
}

/** What the global header said. */
export interface PcapInfo {
  linkType: number;
  snaplen: number;
  nanos: boolean;
  littleEndian: boolean;
}

/** One record read by the whole-file helper. */
export interface PcapRecord {
  timeMs: number;
  data: Uint8Array;
  origLen: number;
}

/** Batch link type (1 = Ethernet, 2 = bare IP) for a pcap link type, or 0 when unsupported. */
export function batchLinkTypeOf(pcapLinkType: number): LinkType | 0 {
  if (pcapLinkType === PcapLinkType.Ethernet) return LinkType.Ether;
  if (pcapLinkType === PcapLinkType.Raw || pcapLinkType === PcapLinkType.Ipv4 || pcapLinkType === PcapLinkType.Ipv6) return LinkType.Ip;
  return 0;
}

/** Parses a 24-byte global header; throws PcapError naming `path` when it is not a supported pcap. */
export function parsePcapHeader(h: Uint8Array, path: string): PcapInfo {
  if (h.length < 24) throw new PcapError(`${path}: not a pcap file (only ${h.length} bytes; a pcap header is 24 bytes)`);
  const dv = new DataView(h.buffer, h.byteOffset, 24);
  const be = dv.getUint32(0, false);
  const le = dv.getUint32(0, true);
  let littleEndian: boolean;
  let nanos: boolean;
  if (le === MAGIC_US || le === MAGIC_NS) {
    littleEndian = true;
    nanos = le === MAGIC_NS;
  } else if (be === MAGIC_US || be === MAGIC_NS) {
    littleEndian = false;
    nanos = be === MAGIC_NS;
  } else if (be === MAGIC_PCAPNG) throw new PcapError(`${path}: pcapng is not supported, expected classic pcap (convert with: editcap -F pcap IN OUT)`);
  else throw new PcapError(`${path}: not a pcap file (magic 0x${be.toString(16).padStart(8, '0')}, expected a1b2c3d4 or a1b23c4d in either byte order)`);
  const major = dv.getUint16(4, littleEndian);
  if (major !== 2) throw new PcapError(`${path}: unsupported pcap version ${major}.${dv.getUint16(6, littleEndian)}, expected 2.4`);
  const snaplen = dv.getUint32(16, littleEndian);
  const linkType = dv.getUint32(20, littleEndian) & 0x0fffffff;
  if (batchLinkTypeOf(linkType) === 0) {
    throw new PcapError(`${path}: unsupported link type ${linkType}, expected 1 (Ethernet) or 101/228/229 (raw IP)`);
  }
  return { linkType, snaplen, nanos, littleEndian };
}

/** Streaming reader: `PcapReader.open(path)`, then `readBatch(batch)` until it returns 0, then `close()`. */
export class PcapReader {
  /** Number of records read so far (the 1-based number of the last one). */
  recordsRead = 0;
  /** Records longer than a batch slot could hold; their tail was cut. */
  truncatedRecords = 0;
  private chunk: Buffer;
  private chunkLen = 0;
  private chunkPos = 0;
  private filePos = 24;
  private eof = false;

  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
    readonly info: PcapInfo,
    chunkBytes: number,
  ) {
    this.chunk = Buffer.allocUnsafe(chunkBytes);
  }

  /** Opens `path` and reads its global header; throws PcapError for a missing or non-pcap file. */
  static async open(path: string, chunkBytes = 1 << 20): Promise<PcapReader> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new PcapError(code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot open (${code ?? String(e)})`);
    }
    try {
      const h = Buffer.alloc(24);
      const { bytesRead } = await fh.read(h, 0, 24, 0);
      const info = parsePcapHeader(h.subarray(0, bytesRead), path);
      return new PcapReader(fh, path, info, Math.max(chunkBytes, PCAP_MAX_RECORD + 16));
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  /** Batch link type matching this file (Ethernet or bare IP): create the batch with it. */
  get batchLinkType(): LinkType {
    return batchLinkTypeOf(this.info.linkType) as LinkType;
  }

  private async fill(need: number): Promise<boolean> {
    if (this.chunkLen - this.chunkPos >= need) return true;
    if (this.eof) return false;
    this.chunk.copy(this.chunk, 0, this.chunkPos, this.chunkLen);
    this.chunkLen -= this.chunkPos;
    this.chunkPos = 0;
    while (this.chunkLen < need && !this.eof) {
      const { bytesRead } = await this.fh.read(this.chunk, this.chunkLen, this.chunk.length - this.chunkLen, this.filePos);
      if (bytesRead === 0) this.eof = true;
      this.chunkLen += bytesRead;
      this.filePos += bytesRead;
    }
    return this.chunkLen >= need;
  }

  /**
   * Fills `b` (from slot 0, resetting count) with up to b.capacity records: frame bytes at the slot's
   * headroom, length, timeMs (capture time in ms), id = record number, and zeroed outputs. Returns the
   * count, 0 at the end. A raw-IP file read into an Ethernet batch needs `wrap`: each packet then gets
   * an Ethernet header dstMac <- srcMac (EtherType from the IP version) in the headroom.
   * `splitGapMs`: end the batch early when the next record is more than this much later than the
   * previous one (so a clock-driven consumer sees time jumps at batch boundaries).
   */
  async readBatch(b: PacketBatch, wrap?: { dstMac: Uint8Array; srcMac: Uint8Array }, splitGapMs = Infinity): Promise<number> {
    const addEther = b.linkType === LinkType.Ether && this.batchLinkType === LinkType.Ip;
    if (addEther && !wrap) throw new PcapError(`${this.path}: raw IP packets need Ethernet MACs to be read into an Ethernet batch`);
    if (!addEther && b.linkType !== this.batchLinkType) throw new PcapError(`${this.path}: Ethernet frames cannot be read into a bare-IP batch`);
    const le = this.info.littleEndian;
    const fracDiv = this.info.nanos ? 1e6 : 1e3;
    let n = 0;
    while (n < b.capacity) {
      if (!(await this.fill(16))) {
        if (this.chunkLen - this.chunkPos > 0) {
          throw new PcapError(
            `${this.path}: truncated record header at byte ${this.filePos - (this.chunkLen - this.chunkPos)} (record ${this.recordsRead + 1})`,
          );
        }
        break;
      }
      const c = this.chunk;
      const p = this.chunkPos;
      const sec = le ? c.readUInt32LE(p) : c.readUInt32BE(p);
      const frac = le ? c.readUInt32LE(p + 4) : c.readUInt32BE(p + 4);
      const incl = le ? c.readUInt32LE(p + 8) : c.readUInt32BE(p + 8);
      const recordStart = this.filePos - (this.chunkLen - p);
      const timeMs = sec * 1000 + frac / fracDiv;
      if (n > 0 && timeMs - b.timeMs[n - 1] > splitGapMs) break;
      if (incl > PCAP_MAX_RECORD) {
        throw new PcapError(`${this.path}: corrupt record ${this.recordsRead + 1} at byte ${recordStart}: captured length ${incl} exceeds ${PCAP_MAX_RECORD}`);
      }
      if (!(await this.fill(16 + incl))) {
        throw new PcapError(`${this.path}: truncated record ${this.recordsRead + 1} at byte ${recordStart}: ${incl} bytes announced, file ends first`);
      }
      const data = this.chunkPos + 16;
      const room = b.slotSize - b.headroom;
      const len = Math.min(incl, room);
      if (len < incl) this.truncatedRecords++;
      const off = n * b.slotSize + b.headroom;
      this.chunk.copy(b.buf, off, data, data + len);
      if (addEther && wrap) {
        const e = off - 14;
        b.buf.set(wrap.dstMac.subarray(0, 6), e);
        b.buf.set(wrap.srcMac.subarray(0, 6), e + 6);
        const v6 = len > 0 && b.buf[off] >> 4 === 6;
        b.buf[e + 12] = v6 ? 0x86 : 0x08;
        b.buf[e + 13] = v6 ? 0xdd : 0x00;
        b.start[n] = e;
        b.length[n] = len + 14;
      } else {
        b.start[n] = off;
        b.length[n] = len;
      }
      b.timeMs[n] = timeMs;
      b.id[n] = this.recordsRead + 1;
      b.ifindex[n] = 0;
      b.mark[n] = 0;
      b.verdict[n] = 0;
      b.outIfindex[n] = 0;
      b.reason[n] = 0;
      this.chunkPos = data + incl;
      this.recordsRead++;
      n++;
    }
    b.count = n;
    return n;
  }

  /** Closes the file. */
  async close(): Promise<void> {
    await this.fh.close();
  }
}

/** Buffered writer of a little-endian microsecond pcap file (synchronous writes in large chunks). */
export class PcapWriter {
  /** Records written so far. */
  recordsWritten = 0;
  private chunk: Buffer;
  private pos = 0;

  private constructor(
    private fd: number,
    readonly path: string,
    chunkBytes: number,
  ) {
    this.chunk = Buffer.allocUnsafe(chunkBytes);
  }

  /** Creates (truncates) `path` and writes the global header for `linkType`. */
  static create(path: string, linkType: number = PcapLinkType.Ethernet, snaplen = PCAP_MAX_RECORD, chunkBytes = 1 << 20): PcapWriter {
    let fd: number;
    try {
      fd = openSync(path, 'w');
    } catch (e) {
      throw new PcapError(`${path}: cannot create (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    const w = new PcapWriter(fd, path, Math.max(chunkBytes, PCAP_MAX_RECORD + 16));
    const h = w.chunk;
    h.writeUInt32LE(MAGIC_US, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeInt32LE(0, 8);
    h.writeUInt32LE(0, 12);
    h.writeUInt32LE(snaplen, 16);
    h.writeUInt32LE(linkType, 20);
    w.pos = 24;
    return w;
  }

  /** Appends one record: buf[off, off+len) captured at `timeMs`. */
  write(buf: Uint8Array, off: number, len: number, timeMs: number): void {
    if (this.pos + 16 + len > this.chunk.length) this.flush();
    const sec = Math.floor(timeMs / 1000);
    let usec = Math.round((timeMs - sec * 1000) * 1000);
    let s = sec;
    if (usec >= 1000000) {
      s++;
      usec -= 1000000;
    }
    const c = this.chunk;
    c.writeUInt32LE(s >>> 0, this.pos);
    c.writeUInt32LE(usec >>> 0, this.pos + 4);
    c.writeUInt32LE(len, this.pos + 8);
    c.writeUInt32LE(len, this.pos + 12);
    c.set(buf.subarray(off, off + len), this.pos + 16);
    this.pos += 16 + len;
    this.recordsWritten++;
  }

  /** Writes buffered records to the file. */
  flush(): void {
    let done = 0;
    while (done < this.pos) done += writeSync(this.fd, this.chunk, done, this.pos - done);
    this.pos = 0;
  }

  /** Flushes and closes the file. */
  close(): void {
    if (this.fd < 0) return;
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
  }
}

/** Reads a whole pcap file into memory (tests and tools); throws PcapError like the reader. */
export function readPcapFile(path: string): { info: PcapInfo; records: PcapRecord[] } {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new PcapError(code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot open (${code ?? String(e)})`);
  }
  const info = parsePcapHeader(data.subarray(0, 24), path);
  const le = info.littleEndian;
  const records: PcapRecord[] = [];
  let p = 24;
  while (p < data.length) {
    if (p + 16 > data.length) throw new PcapError(`${path}: truncated record header at byte ${p} (record ${records.length + 1})`);
    const sec = le ? data.readUInt32LE(p) : data.readUInt32BE(p);
    const frac = le ? data.readUInt32LE(p + 4) : data.readUInt32BE(p + 4);
    const incl = le ? data.readUInt32LE(p + 8) : data.readUInt32BE(p + 8);
    const orig = le ? data.readUInt32LE(p + 12) : data.readUInt32BE(p + 12);
    if (incl > PCAP_MAX_RECORD)
      throw new PcapError(`${path}: corrupt record ${records.length + 1} at byte ${p}: captured length ${incl} exceeds ${PCAP_MAX_RECORD}`);
    if (p + 16 + incl > data.length)
      throw new PcapError(`${path}: truncated record ${records.length + 1} at byte ${p}: ${incl} bytes announced, file ends first`);
    records.push({ timeMs: sec * 1000 + frac / (info.nanos ? 1e6 : 1e3), data: new Uint8Array(data.subarray(p + 16, p + 16 + incl)), origLen: orig });
    p += 16 + incl;
  }
  return { info, records };
}

/** Writes `records` to a new little-endian microsecond pcap file (tests and tools). */
export function writePcapFile(path: string, linkType: number, records: ReadonlyArray<{ timeMs: number; data: Uint8Array }>): void {
  const w = PcapWriter.create(path, linkType);
  for (const r of records) w.write(r.data, 0, r.data.length, r.timeMs);
  w.close();
}
