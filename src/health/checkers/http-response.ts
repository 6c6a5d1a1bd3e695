/**
 * Incremental HTTP/1.x response reader for HTTP_GET/SSL_GET: status line, headers, and a body digested
 * with MD5 (keepalived genhash: MD5 of the body bytes after the header block; chunked bodies de-chunked).
 * Pure and defensive: malformed input yields an error string, never an exception.
 */
import { createHash, type Hash } from 'node:crypto';

/** Largest header block accepted (bytes). */
export const MAX_HEADER_BYTES = 64 * 1024;
/** Largest chunked body buffered for de-chunking (bytes). */
export const MAX_CHUNKED_BYTES = 16 * 1024 * 1024;

/** Outcome of feeding bytes: still reading, complete, or malformed. */
export type ReadState = { kind: 'more' } | { kind: 'done' } | { kind: 'error'; error: string };

/** Reads one HTTP response from a byte stream. */
export class HttpResponseReader {
  status = 0;
  headers = new Map<string, string>();
  private head: Buffer[] = [];
  private headLen = 0;
  private inBody = false;
  private contentLength = -1;
  private chunked = false;
  private chunks: Buffer[] = [];
  private chunkedLen = 0;
  private bodyLen = 0;
  private readonly md5: Hash = createHash('md5');
  private finished: ReadState = { kind: 'more' };

  /** Feeds received bytes. */
  push(data: Buffer): ReadState {
    if (this.finished.kind !== 'more') return this.finished;
    if (!this.inBody) {
      this.head.push(data);
      this.headLen += data.length;
      const all = Buffer.concat(this.head);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.headLen > MAX_HEADER_BYTES) return (this.finished = { kind: 'error', error: 'response header block too large' });
        return this.finished;
      }
      const err = this.parseHead(all.subarray(0, end).toString('latin1'));
      if (err) return (this.finished = { kind: 'error', error: err });
      this.inBody = true;
      this.head = [];
      data = all.subarray(end + 4);
    }
    return this.body(data);
  }

  /** The peer closed the connection: completes a response delimited by close, else reports truncation. */
  end(): ReadState {
    if (this.finished.kind !== 'more') return this.finished;
    if (!this.inBody) return (this.finished = { kind: 'error', error: this.headLen ? 'connection closed inside the response header' : 'empty response' });
    if (this.chunked) return this.finishChunked(true);
    if (this.contentLength >= 0 && this.bodyLen < this.contentLength) {
      return (this.finished = { kind: 'error', error: `body truncated (${this.bodyLen} of ${this.contentLength} bytes)` });
    }
    return (this.finished = { kind: 'done' });
  }

  /** Lowercase hex MD5 of the body (valid once done). */
  digest(): string {
    return this.md5.copy().digest('hex');
  }

  private parseHead(text: string): string | null {
    const lines = text.split('\r\n');
    const m = /^HTTP\/(\d)\.(\d) (\d{3})(?: .*)?$/.exec(lines[0] ?? '');
    if (!m) return `malformed status line '${(lines[0] ?? '').slice(0, 60)}'`;
    this.status = Number(m[3]);
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      if (i <= 0) return `malformed header line '${l.slice(0, 60)}'`;
      this.headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
    }
    const te = this.headers.get('transfer-encoding');
    if (te && /chunked/i.test(te)) this.chunked = true;
    else if (this.headers.has('content-length')) {
      const cl = this.headers.get('content-length')!;
      if (!/^\d+$/.test(cl)) return `malformed Content-Length '${cl.slice(0, 20)}'`;
      this.contentLength = Number(cl);
    }
    return null;
  }

  private body(data: Buffer): ReadState {
    if (this.chunked) {
      this.chunks.push(data);
      this.chunkedLen += data.length;
      if (this.chunkedLen > MAX_CHUNKED_BYTES) return (this.finished = { kind: 'error', error: 'chunked body too large' });
      return this.finishChunked(false);
    }
    if (this.contentLength >= 0) {
      const take = Math.min(data.length, this.contentLength - this.bodyLen);
      this.md5.update(data.subarray(0, take));
      this.bodyLen += take;
      if (this.bodyLen >= this.contentLength) this.finished = { kind: 'done' };
      return this.finished;
    }
    this.md5.update(data);
    this.bodyLen += data.length;
    return this.finished;
  }

  /** Tries to de-chunk what was buffered; `atEof` turns an incomplete body into an error. */
  private finishChunked(atEof: boolean): ReadState {
    const buf = Buffer.concat(this.chunks);
    this.chunks = [buf];
    let pos = 0;
    const parts: Buffer[] = [];
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', pos);
      if (lineEnd < 0) break;
      const sizeText = buf.subarray(pos, lineEnd).toString('latin1').split(';')[0].trim();
      if (!/^[0-9a-fA-F]+$/.test(sizeText)) return (this.finished = { kind: 'error', error: `malformed chunk size '${sizeText.slice(0, 20)}'` });
      const size = parseInt(sizeText, 16);
      if (size === 0) {
        for (const p of parts) this.md5.update(p);
        return (this.finished = { kind: 'done' });
      }
      if (lineEnd + 2 + size + 2 > buf.length) break;
      parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
      pos = lineEnd + 2 + size + 2;
    }
    return atEof ? (this.finished = { kind: 'error', error: 'chunked body truncated' }) : this.finished;
  }
}

/** Whether status is inside one of the inclusive ranges. */
export function statusAccepted(status: number, ranges: Array<{ lo: number; hi: number }>): boolean {
  return ranges.some((r) => status >= r.lo && status <= r.hi);
}
