/**
 * PING_CHECK (keepalived check_ping.c): one ICMP echo request, success on the echo reply within
 * connect_timeout. Node has no raw sockets, so the echo is sent by a helper process: `ping` when
 * installed, else a few lines of python3 opening a raw ICMP socket (needs root / CAP_NET_RAW).
 */
import { existsSync } from 'node:fs';
import net from 'node:net';
import type { ResolvedChecker } from '../resolve.js';
import { runScript } from '../script-run.js';
import type { CheckOutcome } from './outcome.js';

const PY_PING = `
import os, socket, struct, sys, time, select
host, tmo, v6 = sys.argv[1], float(sys.argv[2]), sys.argv[3] == '6'
src = sys.argv[4] if len(sys.argv) > 4 else ''
fam = socket.AF_INET6 if v6 else socket.AF_INET
s = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP)
if src: s.bind((src, 0))
ident = os.getpid() & 0xffff
def csum(b):
    if len(b) % 2: b += b'\\0'
    t = sum(struct.unpack('!%dH' % (len(b) // 2), b)); t = (t >> 16) + (t & 0xffff); t += t >> 16
    return ~t & 0xffff
body = b'ulvs-health-ping'
typ = 128 if v6 else 8
pkt = struct.pack('!BBHHH', typ, 0, 0, ident, 1) + body
if not v6: pkt = struct.pack('!BBHHH', typ, 0, csum(pkt), ident, 1) + body
s.sendto(pkt, (host, 0))
end = time.time() + tmo
while True:
    left = end - time.time()
    if left <= 0: sys.exit(1)
    r, _, _ = select.select([s], [], [], left)
    if not r: sys.exit(1)
    data, addr = s.recvfrom(2048)
    icmp = data if v6 else data[(data[0] & 0xf) * 4:]
    if len(icmp) >= 8 and icmp[0] == (129 if v6 else 0) and struct.unpack('!H', icmp[4:6])[0] == ident and addr[0].split('%')[0] == host.split('%')[0]:
        sys.exit(0)
`;

let pingPath: string | null | undefined;
function findPing(): string | null {
  if (pingPath !== undefined) return pingPath;
  pingPath = ['/usr/bin/ping', '/bin/ping', '/usr/sbin/ping', '/sbin/ping'].find((p) => existsSync(p)) ?? null;
  return pingPath;
}

/** One PING_CHECK attempt. */
export async function probePing(c: ResolvedChecker): Promise<CheckOutcome> {
  const v6 = net.isIPv6(c.host);
  const timeoutS = Math.max(0.001, c.connectTimeoutMs / 1000);
  const ping = findPing();
  const argv = ping
    ? [ping, ...(v6 ? ['-6'] : ['-4']), '-n', '-q', '-c', '1', '-W', String(Math.max(1, Math.ceil(timeoutS))), ...(c.bindTo ? ['-I', c.bindTo] : []), c.host]
    : ['python3', '-c', PY_PING, c.host, String(timeoutS), v6 ? '6' : '4', ...(c.bindTo ? [c.bindTo] : [])];
  const r = await runScript({ argv }, c.connectTimeoutMs + 2000);
  if (r.error) return { ok: false, reason: `ping helper could not run: ${r.error}` };
  if (r.code === 0) return { ok: true, reason: 'echo reply' };
  return { ok: false, reason: r.timedOut ? 'ping helper hung' : `no echo reply within ${c.connectTimeoutMs} ms` };
}
