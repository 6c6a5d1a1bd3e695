/**
 * A frame for the VIP but addressed to another host's MAC (a switch flooding while it relearns, a
 * promiscuous port) is not forwarded, as the kernel's ip_rcv drops PACKET_OTHERHOST before IPVS sees
 * it; the same SYN sent to the director's MAC is. Found by the ECMP lab: with a director's link down the
 * bridge flooded, and the other AF_PACKET directors forwarded frames that were not theirs.
 */
import t from 'tap';
import { PORT, Selftest, type Backend } from './ipvs-selftest.js';

for (const backend of ['nfqueue', 'afpacket', 'afxdp'] as Backend[]) {
  t.test(
    `${backend}: a SYN to another MAC is not forwarded; the same SYN to the director's MAC is`,
    { skip: process.getuid?.() !== 0 && 'needs root' },
    async (t) => {
      const s = await Selftest.up(backend, 4);
      t.teardown(() => s.down());
      await s.natService();
      const mac = (await s.ok(s.ns1, ['cat', '/sys/class/net/veth10/address'])).trim();
      const cap = s.exec(s.ns2, ['timeout', '8', 'tcpdump', '-l', '-n', '-i', 'veth21', `tcp dst port ${PORT} and tcp[tcpflags] & tcp-syn != 0`], 10000);
      await new Promise((r) => setTimeout(r, 1000));
      // br0 in ns0 carries the client's address; a frame sent on it reaches the director's veth10.
      const py = `from scapy.all import *
import time
conf.verb = 0
syn = lambda sport: IP(src="${s.a.cip}", dst="${s.a.vip}")/TCP(sport=sport, dport=${PORT}, flags="S", seq=1)
sendp(Ether(dst="02:00:00:00:00:99")/syn(40201), iface="br0")
time.sleep(0.5)
sendp(Ether(dst="${mac}")/syn(40202), iface="br0")
print("sent")
`;
      const out = await s.exec(s.ns0, ['/usr/bin/python3', '-c', py], 15000);
      t.equal(out.code, 0, `scapy ran ${out.stderr.trim().slice(-300)}`);
      const got = await cap;
      t.match(got.stdout, /\.40202 > /, "the SYN to the director's MAC reached the real server");
      t.notMatch(got.stdout, /\.40201 > /, "the SYN to another host's MAC did not");
    },
  );
}
