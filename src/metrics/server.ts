/**
 * The /metrics HTTP endpoint (plain node:http): GET /metrics in Prometheus text format, GET /healthz.
 * Default address 127.0.0.1:9406 (loopback only); `--metrics HOST:PORT` changes it.
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
export async function startMetricsServer(address: string, registry: Registry, limits: MetricsServerLimits = {}): Promise<MetricsServer> {
  const { host, port } = parseListenAddress(address);
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (url === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
      return;
    }
    if (url !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: try /metrics\n');
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
