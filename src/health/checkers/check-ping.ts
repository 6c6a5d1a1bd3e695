/**
 * PING_CHECK (keepalived check_ping.c): one ICMP echo request, success on the echo reply within
 * connect_timeout. Node has no raw sockets, so the echo goes through a long-lived python3 helper
 * (pinger.ts, raw ICMP sockets, root/CAP_NET_RAW); without python3, through the `ping` binary.
 */
import { existsSync } from 'node:fs';
import net from 'node:net';
import type { ResolvedChecker } from '../resolve.js';
import { runScript } from '../script-run.js';
import type { CheckOutcome } from './outcome.js';
import { pingOnce, pingerUnavailable } from './pinger.js';

let pingPath: string | null | undefined;
function findPing(): string | null {
  if (pingPath !== undefined) return pingPath;
  pingPath = ['/usr/bin/ping', '/bin/ping', '/usr/sbin/ping', '/sbin/ping'].find((p) => existsSync(p)) ?? null;
  return pingPath;
}

/** One PING_CHECK attempt. */
export async function probePing(c: ResolvedChecker): Promise<CheckOutcome> {
  const host = c.bindIf && c.host.toLowerCase().startsWith('fe80') ? `${c.host}%${c.bindIf}` : c.host;
  if (!pingerUnavailable) {
    const ok = await pingOnce(host, c.connectTimeoutMs, c.bindTo);
    if (ok) return { ok: true, reason: 'echo reply' };
    if (!pingerUnavailable) return { ok: false, reason: `no echo reply within ${c.connectTimeoutMs} ms` };
  }
  const ping = findPing();
  if (!ping) return { ok: false, reason: 'PING_CHECK needs python3 or the ping binary' };
  const v6 = net.isIPv6(c.host);
  const argv = [
    ping,
    v6 ? '-6' : '-4',
    '-n',
    '-q',
    '-c',
    '1',
    '-W',
    String(Math.max(1, Math.ceil(c.connectTimeoutMs / 1000))),
    ...(c.bindTo ? ['-I', c.bindTo] : []),
    host,
  ];
  const r = await runScript({ argv }, c.connectTimeoutMs + 2000);
  if (r.error) return { ok: false, reason: `ping could not run: ${r.error}` };
  return r.code === 0 ? { ok: true, reason: 'echo reply' } : { ok: false, reason: `no echo reply within ${c.connectTimeoutMs} ms` };
}
