/**
 * `ulvs lab dashboard`: the dashboard a lab director's daemon serves on 127.0.0.1:9406 inside its network
 * namespace, reachable from this host's loopback (default 127.0.0.1:9480) for a browser: each connection
 * is relayed into the namespace by `ip netns exec NS socat STDIO TCP:127.0.0.1:9406`. Loopback only by
 * default, at most 64 connections at once; runs until stopped.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import type { Lab } from './lab.js';

/** Where the daemon serves /metrics and the dashboard inside a lab director's namespace. */
export const LAB_DASHBOARD_PORT = 9406;
/** Default host address of the relay. */
export const DEFAULT_DASHBOARD_LISTEN = '127.0.0.1:9480';
const MAX_CONNECTIONS = 64;

/** A running relay. */
export interface DashboardForward {
  /** The bound host address, e.g. "127.0.0.1:9480". */
  address: string;
  close(): Promise<void>;
}

/** Relays `listen` (HOST:PORT) on this host to the dashboard in `node`'s namespace. */
export async function forwardDashboard(lab: Lab, node: string, listen = DEFAULT_DASHBOARD_LISTEN): Promise<DashboardForward> {
  const m = /^(.*):(\d+)$/.exec(listen);
  if (!m) throw new Error(`--listen: expected HOST:PORT, got '${listen}'`);
  const host = m[1]!.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const ns = lab.ns(node);
  const server = net.createServer((sock) => {
    const relay = spawn('ip', ['netns', 'exec', ns, 'socat', 'STDIO', `TCP:127.0.0.1:${LAB_DASHBOARD_PORT}`], { stdio: ['pipe', 'pipe', 'ignore'] });
    sock.pipe(relay.stdin!);
    relay.stdout!.pipe(sock);
    const end = (): void => {
      sock.destroy();
      if (relay.exitCode === null && relay.pid) relay.kill('SIGTERM');
    };
    sock.on('error', end);
    sock.on('close', end);
    relay.on('exit', () => sock.end());
    relay.stdin!.on('error', end);
  });
  server.maxConnections = MAX_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(m[2]), host, () => resolve());
  });
  const a = server.address() as net.AddressInfo;
  return {
    address: `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
