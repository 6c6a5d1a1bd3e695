/**
 * ICMP echo for PING_CHECK without native code: one long-lived python3 helper per process owns raw
 * ICMP/ICMPv6 sockets (needs root or CAP_NET_RAW) and answers requests over pipes, so a check costs a
 * line of I/O instead of a process spawn. Protocol (text lines): request `SEQ HOST TIMEOUT_S [SRC]`,
 * reply `SEQ 1` (echo reply from HOST with our identifier and SEQ) or `SEQ 0` (timeout / error).
 * The helper is started lazily, restarted after a crash, and killed (by its PID) by closePinger().
 */
import { LineHelper } from '../line-helper.js';

const HELPER = String.raw`
import os, socket, struct, sys, time, select
ident = os.getpid() & 0xffff
socks = {}
pending = {}  # (fam, host, seq16) -> (reqid, deadline)
def csum(b):
    if len(b) % 2: b += b'\0'
    t = sum(struct.unpack('!%dH' % (len(b) // 2), b)); t = (t >> 16) + (t & 0xffff); t += t >> 16
    return ~t & 0xffff
def sock(v6, src):
    k = (v6, src)
    if k not in socks:
        s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP)
        if src: s.bind((src, 0))
        s.setblocking(False)
        socks[k] = s
    return socks[k]
def out(line):
    sys.stdout.write(line + '\n'); sys.stdout.flush()
buf = b''
while True:
    now = time.time()
    for k, (rid, dl) in list(pending.items()):
        if dl <= now:
            del pending[k]; out('%s 0' % rid)
    tmo = min([dl for (_, dl) in pending.values()], default=now + 1) - now
    r, _, _ = select.select([sys.stdin.buffer] + list(socks.values()), [], [], max(0.0, tmo))
    for f in r:
        if f is sys.stdin.buffer:
            chunk = os.read(0, 65536)
            if not chunk: sys.exit(0)
            buf += chunk
            while b'\n' in buf:
                line, buf = buf.split(b'\n', 1)
                p = line.decode().split()
                if len(p) < 3: continue
                rid, host, t = p[0], p[1], float(p[2])
                src = p[3] if len(p) > 3 else ''
                v6 = ':' in host
                seq = int(rid) & 0xffff
                try:
                    s = sock(v6, src)
                    body = b'ulvs-health-ping'
                    pkt = struct.pack('!BBHHH', 128 if v6 else 8, 0, 0, ident, seq) + body
                    if not v6: pkt = struct.pack('!BBHHH', 8, 0, csum(pkt), ident, seq) + body
                    s.sendto(pkt, (host, 0))
                    pending[(v6, host.split('%')[0], seq)] = (rid, time.time() + t)
                except Exception:
                    out('%s 0' % rid)
        else:
            v6 = f.family == socket.AF_INET6
            try:
                data, addr = f.recvfrom(2048)
            except Exception:
                continue
            icmp = data if v6 else data[(data[0] & 0xf) * 4:]
            if len(icmp) < 8 or icmp[0] != (129 if v6 else 0): continue
            rident, rseq = struct.unpack('!HH', icmp[4:8])
            if rident != ident: continue
            k = (v6, addr[0].split('%')[0], rseq)
            if k in pending:
                rid, _ = pending.pop(k); out('%s 1' % rid)
`;

/** Set when python3 cannot be started (ENOENT): callers fall back to the ping binary. */
export let pingerUnavailable = false;
const helper = new LineHelper<boolean>({
  script: HELPER,
  name: 'pinger',
  parseReply: (l) => {
    const [id, ok] = l.split(' ');
    return { id: Number(id), result: ok === '1' };
  },
  failed: () => false,
  onUnavailable: () => {
    pingerUnavailable = true;
  },
  unavailableOnThrow: false,
});

/** Sends one echo request to host and resolves true on the matching reply within timeoutMs. */
export function pingOnce(host: string, timeoutMs: number, src?: string): Promise<boolean> {
  // The helper answers at its deadline; the guard only covers a helper that stopped answering.
  const reply = helper.request((id) => `${id} ${host} ${(timeoutMs / 1000).toFixed(3)}${src ? ` ${src}` : ''}\n`, timeoutMs + 2000, false);
  return reply ?? Promise.resolve(false);
}

/** Kills the helper process (by its PID) if one was started. */
export function closePinger(): void {
  helper.detach('pinger closed', (h) => {
    try {
      process.kill(h.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
  });
}
