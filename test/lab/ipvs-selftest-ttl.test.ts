/**
 * TTL on the way to a real server, as IPVS leaves it (decrement_ttl in ip_vs_xmit.c), in the ipvs.sh
 * topology on both backends: a client packet for the VIP that arrives with TTL 1 is answered with ICMP
 * time exceeded from the VIP, quoting the packet as it came (client -> VIP, never the real server's
 * address); one with TTL 2 reaches the NAT real server with TTL 1 (decremented once, not twice).
 */
import t from 'tap';
import { PORT, Selftest, type Backend } from './ipvs-selftest.js';

for (const backend of ['nfqueue', 'afpacket'] as Backend[]) {
  t.test(
    `${backend}: TTL 1 -> time exceeded from the VIP; TTL 2 -> the real server sees TTL 1`,
    { skip: process.getuid?.() !== 0 && 'needs root' },
    async (t) => {
      const s = await Selftest.up(backend, 4);
      t.teardown(() => s.down());
      await s.natService();
      s.background(s.ns2, ['timeout', '15', 'socat', '-u', `TCP-LISTEN:${PORT},reuseaddr,fork`, 'OPEN:/dev/null']);
      const cap = s.exec(
        s.ns2,
        ['timeout', '10', 'tcpdump', '-l', '-n', '-v', '-c', '1', '-i', 'veth21', `tcp dst port ${PORT} and tcp[tcpflags] & tcp-syn != 0`],
        12000,
      );
      await new Promise((r) => setTimeout(r, 1000));
      // One probe each, from the client's namespace (directly on the director's link, as in ipvs.sh).
      const py = `from scapy.all import *
conf.verb = 0
r = sr1(IP(dst="${s.a.vip}", ttl=1)/TCP(sport=40111, dport=${PORT}, flags="S", seq=1), timeout=4)
if r is None: print("ttl1 none")
else:
    q = r[IPerror] if r.haslayer(IPerror) else None
    print("ttl1", r[IP].src, r[ICMP].type if r.haslayer(ICMP) else -1, r[ICMP].code if r.haslayer(ICMP) else -1, q.src if q else "-", q.dst if q else "-", r[TCPerror].dport if r.haslayer(TCPerror) else -1)
r = sr1(IP(dst="${s.a.vip}", ttl=2)/TCP(sport=40112, dport=${PORT}, flags="S", seq=1), timeout=4)
print("ttl2", "none" if r is None else r.sprintf("%IP.src% %TCP.flags%"))
`;
      const out = await s.exec(s.ns0, ['/usr/bin/python3', '-c', py], 20000);
      t.equal(out.code, 0, `scapy ran ${out.stderr.trim().slice(-300)}`);
      t.match(
        out.stdout,
        new RegExp(`^ttl1 ${s.a.vip.replace(/\./g, '\\.')} 11 0 ${s.a.cip.replace(/\./g, '\\.')} ${s.a.vip.replace(/\./g, '\\.')} ${PORT}$`, 'm'),
        'TTL 1: time exceeded (11/0) from the VIP, quoting client -> VIP:port',
      );
      t.notMatch(out.stdout, new RegExp(s.a.rip.replace(/\./g, '\\.')), 'the real server address appears nowhere in what the client got');
      t.match(out.stdout, new RegExp(`^ttl2 ${s.a.vip.replace(/\./g, '\\.')} SA$`, 'm'), 'TTL 2: the real server answers (SYN-ACK from the VIP)');
      const got = await cap;
      t.match(got.stdout, /\(tos 0x0, ttl 1,/, 'the real server received the SYN with TTL 1 (one decrement)');
      t.match(got.stdout, new RegExp(`> ${s.a.rip.replace(/\./g, '\\.')}\\.${PORT}:`), 'addressed to the real server (NAT)');
    },
  );
}
