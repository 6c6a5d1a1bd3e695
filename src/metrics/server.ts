/**
 * The /metrics HTTP endpoint (plain node:http): GET /metrics in Prometheus text format, GET /healthz,
 * and whatever read-only routes the daemon adds (the dashboard). Default address 127.0.0.1:9406 (loopback
 * only); `--metrics HOST:PORT` changes it. Only GET/HEAD; a request with a body, a URL over 4 KiB or
 * headers over 8 KiB is refused.
 */
import http from 'node:http';
import type { Registry } from 'prom-client';

/** Default listen address of /metrics. */
export const DEFAULT_METRICS_ADDRESS = '127.0.0.1:9406';

/** Splits "host:port" / "[v6]:port" / ":port" into host and port; throws a clear error when malformed. */
export function parseListenAddress(a: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(a);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new Error(`bad metrics address '${a}': use HOST:PORT, e.g. ${DEFAULT_METRICS_ADDRESS}`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

/** An answer of an extra route. */
export interface HttpAnswer {
  status: number;
  type: string;
  body: string | Uint8Array;
  headers?: Record<string, string>;
}

/** Extra read-only routes: an answer for `path` (query parsed), or undefined for 404. */
export type HttpRoutes = (path: string, query: URLSearchParams) => HttpAnswer | undefined | Promise<HttpAnswer | undefined>;

/** Longest request URL accepted, in bytes. */
export const MAX_URL_BYTES = 4096;
/** Largest request header block accepted, in bytes. */
export const MAX_HEADER_BYTES = 8192;

/** A running metrics endpoint. */
export interface MetricsServer {
  /** The bound address (port resolved when 0 was asked). */
  readonly address: { host: string; port: number };
  close(): Promise<void>;
}

/** Limits of the metrics endpoint (all optional). */
export interface MetricsServerLimits {
  /** Clients served at once; more are closed on accept. Default 64. */
  maxConnections?: number;
  /** Time to receive the request headers. Default 5 s. */
  headersTimeoutMs?: number;
  /** Time to receive a whole request. Default 10 s. */
  requestTimeoutMs?: number;
  /** An idle connection is closed after this long. Default 5 s. */
  idleTimeoutMs?: number;
}

/** Serves the registry on `address`, with a connection cap and timeouts. */
export async function startMetricsServer(address: string, registry: Registry, limits: MetricsServerLimits = {}, routes?: HttpRoutes): Promise<MetricsServer> {
  const { host, port } = parseListenAddress(address);
  const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const url = q < 0 ? raw : raw.slice(0, q);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', Connection: 'close' }).end();
      return;
    }
    if (raw.length > MAX_URL_BYTES) {
      res.writeHead(414, { Connection: 'close' }).end();
      return;
    }
    if (Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined) {
      // GET carries no body here: refuse one rather than read it.
      res.writeHead(413, { Connection: 'close' }).end();
      req.destroy();
      return;
    }
    if (url === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
      return;
    }
    if (url !== '/metrics') {
      const notFound = (): void => void res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: try /metrics\n');
      if (!routes) return notFound();
      Promise.resolve()
        .then(() => routes(url, new URLSearchParams(q < 0 ? '' : raw.slice(q + 1))))
        .then(
          (a) => {
            if (!a) return notFound();
            res.writeHead(a.status, { 'Content-Type': a.type, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store', ...a.headers });
            res.end(req.method === 'HEAD' ? undefined : a.body);
          },
          (e: Error) => void res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${e.message}\n`),
        );
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'Content-Type': registry.contentType }).end(text);
      },
      (e: Error) => {
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`collecting metrics failed: ${e.message}\n`);
      },
    );
  });
  // A local client must not hold the daemon's file descriptors or memory: cap the connections (Node
  // closes the excess at once), close idle and slow ones; node:http already pauses a pipelining client
  // whose answers are not read.
  server.maxConnections = limits.maxConnections ?? 64;
  server.headersTimeout = limits.headersTimeoutMs ?? 5000;
  server.requestTimeout = limits.requestTimeoutMs ?? 10_000;
  server.keepAliveTimeout = limits.idleTimeoutMs ?? 5000;
  server.setTimeout(limits.idleTimeoutMs ?? 5000, (sock) => sock.destroy());
  server.on('clientError', (_e, sock) => sock.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  const actual = typeof bound === 'object' && bound ? { host, port: bound.port } : { host, port };
  return {
    address: actual,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections?.();
        server.close(() => r());
      }),
  };
}
