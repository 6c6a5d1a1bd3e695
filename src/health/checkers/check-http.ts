/**
 * HTTP_GET and SSL_GET (keepalived check_http.c / check_ssl.c): for every url, connect, send a GET with
 * keepalived's request shape, read the whole response within connect_timeout and require an accepted
 * status code and, when configured, the MD5 digest of the body. SSL_GET uses TLS without certificate
 * verification (as keepalived); SNI only with enable_sni / sni_name.
 */
import tls from 'node:tls';
import net from 'node:net';
import type { HttpCheckSpec } from '../types.js';
import type { ResolvedChecker } from '../resolve.js';
import { connectTcp } from './check-tcp.js';
import { HttpResponseReader, statusAccepted } from './http-response.js';
import { errText, type CheckOutcome } from './outcome.js';

/**
 * Builds the request keepalived sends for one url (check_http.c REQUEST_TEMPLATE): request line,
 * User-Agent, the Connection header of http_protocol 1.0C / 1.1 (keep-alive for 1.0K), then Host.
 */
export function buildRequest(path: string, host: string, protocol: HttpCheckSpec['httpProtocol']): string {
  const version = protocol === '1.1' ? '1.1' : '1.0';
  const conn = protocol === '1.0C' || protocol === '1.1' ? 'Connection: close\r\n' : protocol === '1.0K' ? 'Connection: keep-alive\r\n' : '';
  return `GET ${path} HTTP/${version}\r\nUser-Agent: KeepAliveClient\r\n${conn}Host: ${host}\r\n\r\n`;
}

function tlsWrap(raw: net.Socket, spec: HttpCheckSpec, host: string, deadlineMs: number): Promise<tls.TLSSocket | CheckOutcome> {
  return new Promise((resolve) => {
    let done = false;
    // SNI carries a host name only (RFC 6066 section 3): an address-derived Host sends none.
    const name = spec.sniName ?? (spec.enableSni ? host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '') : undefined);
    const servername = name && net.isIP(name) === 0 ? name : undefined;
    let s: tls.TLSSocket;
    const finish = (r: tls.TLSSocket | CheckOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(
      () => {
        s?.destroy();
        raw.destroy();
        finish({ ok: false, reason: 'TLS handshake timeout' });
      },
      Math.max(1, deadlineMs - performance.now()),
    );
    try {
      s = tls.connect({ socket: raw, rejectUnauthorized: false, servername: servername || undefined, ALPNProtocols: ['http/1.1'] });
      s.once('secureConnect', () => finish(s));
      s.once('error', (e) => {
        s.destroy();
        finish({ ok: false, reason: `TLS handshake failed: ${errText(e)}` });
      });
    } catch (e) {
      raw.destroy();
      finish({ ok: false, reason: `TLS handshake failed: ${errText(e)}` });
    }
  });
}

/** Fetches one url and judges status and digest. */
async function probeUrl(c: ResolvedChecker, url: ResolvedChecker['urls'][number]): Promise<CheckOutcome> {
  const spec = c.spec as HttpCheckSpec;
  const deadline = performance.now() + c.connectTimeoutMs;
  const conn = await connectTcp(c, c.connectTimeoutMs);
  if ('outcome' in conn) return conn.outcome;
  let sock: net.Socket = conn.socket;
  sock.on('error', () => {});
  if (spec.type === 'SSL_GET') {
    const t = await tlsWrap(conn.socket, spec, url.host, deadline);
    if (!(t instanceof tls.TLSSocket)) return t;
    sock = t;
  }
  const s = sock;
  return new Promise((resolve) => {
    const reader = new HttpResponseReader();
    let done = false;
    const finish = (o: CheckOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.removeAllListeners('data');
      s.destroy();
      resolve(o);
    };
    const judge = (st: ReturnType<HttpResponseReader['push']>) => {
      if (st.kind === 'error') return finish({ ok: false, reason: `${url.path}: ${st.error}` });
      if (st.kind !== 'done') return;
      if (!statusAccepted(reader.status, url.statusCodes)) return finish({ ok: false, reason: `${url.path}: HTTP status ${reader.status}` });
      if (url.digest && reader.digest() !== url.digest) return finish({ ok: false, reason: `${url.path}: digest ${reader.digest()} != ${url.digest}` });
      finish({ ok: true, reason: `${url.path}: HTTP status ${reader.status}` });
    };
    const timer = setTimeout(
      () => finish({ ok: false, reason: `${url.path}: response not complete within ${c.connectTimeoutMs} ms` }),
      Math.max(1, deadline - performance.now()),
    );
    s.on('data', (d: Buffer) => judge(reader.push(d)));
    s.on('end', () => judge(reader.end()));
    s.on('close', () => judge(reader.end()));
    s.on('error', (e) => finish({ ok: false, reason: `${url.path}: ${errText(e)}` }));
    s.write(buildRequest(url.path, url.host, spec.httpProtocol ?? '1.0'));
  });
}

/** One HTTP_GET / SSL_GET attempt: every url must pass. */
export async function probeHttp(c: ResolvedChecker): Promise<CheckOutcome> {
  let last: CheckOutcome = { ok: false, reason: 'no url configured' };
  for (const url of c.urls) {
    last = await probeUrl(c, url);
    if (!last.ok) return last;
  }
  return last;
}
