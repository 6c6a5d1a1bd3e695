/**
 * TCP_CHECK (keepalived check_tcp.c): a TCP connect that completes within connect_timeout is a success;
 * refused (RST), unreachable or timed-out connects fail. The socket is closed right after connecting.
 */
import net from 'node:net';
import type { ResolvedChecker } from '../resolve.js';
import { errText, targetHost, type CheckOutcome } from './outcome.js';

/** Opens a TCP connection (honouring bindto/bind_port) and resolves with the connected socket or an error outcome. */
export function connectTcp(c: ResolvedChecker, timeoutMs: number): Promise<{ socket: net.Socket } | { outcome: CheckOutcome }> {
  return new Promise((resolve) => {
    let done = false;
    let socket: net.Socket;
    const finish = (r: { socket: net.Socket } | { outcome: CheckOutcome }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => {
      socket?.destroy();
      finish({ outcome: { ok: false, reason: `connect timeout after ${timeoutMs} ms` } });
    }, timeoutMs);
    try {
      socket = net.connect({ host: targetHost(c), port: c.port, localAddress: c.bindTo, localPort: c.bindPort, noDelay: true });
      socket.once('connect', () => finish({ socket }));
      socket.once('error', (e) => {
        socket.destroy();
        finish({ outcome: { ok: false, reason: `connect failed: ${errText(e)}` } });
      });
    } catch (e) {
      finish({ outcome: { ok: false, reason: `connect failed: ${errText(e)}` } });
    }
  });
}

/** One TCP_CHECK attempt. */
export async function probeTcp(c: ResolvedChecker): Promise<CheckOutcome> {
  const r = await connectTcp(c, c.connectTimeoutMs);
  if ('outcome' in r) return r.outcome;
  r.socket.on('error', () => {});
  r.socket.destroy();
  return { ok: true, reason: 'connected' };
}
