/**
 * ICMP errors about NAT connections on NFQUEUE, in the ipvs.sh topology (ip_vs_in_icmp): a router on the
 * client's side reports "fragmentation needed" for a reply the director sent as VIP:8080; the error must
 * reach the real server with its outer destination and the quoted source rewritten to the real server,
 * or PMTU discovery of the real server's replies is broken.
 */
import t from 'tap';
import { PORT, Selftest } from './ipvs-selftest.js';

t.test('frag-needed for a NAT connection reaches the real server', { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
  const s = await Selftest.up('nfqueue', 4);
  t.teardown(() => s.down());
  const vs = await s.natService();
  // A connection that stays open: the server waits, the client holds its socket.
  s.background(s.ns2, ['timeout', '20', 'socat', '-u', `TCP-LISTEN:${PORT},reuseaddr`, 'OPEN:/dev/null']);
  await new Promise((r) => setTimeout(r, 300));
  s.background(s.ns0, ['timeout', '20', 'socat', '-u', 'EXEC:sleep 15', `TCP:${vs}`]);
  let cport = 0;
  for (let i = 0; i < 30 && !cport; i++) {
    await new Promise((r) => setTimeout(r, 200));
    const m = new RegExp(`ESTABLISHED\\s+${s.a.cip.replace(/\./g, '\\.')}:(\\d+)`).exec(await s.adm(['-L', '-n', '-c']));
    if (m) cport = Number(m[1]);
  }
  t.ok(cport > 0, `the connection is ESTABLISHED (client port ${cport})`);
  const cap = s.exec(s.ns2, ['timeout', '8', 'tcpdump', '-l', '-n', '-vv', '-c', '1', '-i', 'veth21', 'icmp'], 10000);
  await new Promise((r) => setTimeout(r, 1000));
  // The error a router would send: about VIP:8080 -> client (the reply as it left the director).
  const py = `from scapy.all import *
send(IP(src="${s.a.gip}",dst="${s.a.vip}")/ICMP(type=3,code=4,nexthopmtu=1200)/IP(src="${s.a.vip}",dst="${s.a.cip}",len=1500)/TCP(sport=${PORT},dport=${cport},flags="A"),verbose=0)`;
  // Sent from the client's namespace towards the director (route to the VIP via veth10's address).
  const sent = await s.exec(s.ns0, ['/usr/bin/python3', '-c', py], 20000);
  t.equal(sent.code, 0, `scapy sent the error ${sent.stderr.trim()}`);
  const got = await cap;
  t.match(
    got.stdout,
    new RegExp(`> ${s.a.rip.replace(/\./g, '\\.')}: ICMP ${s.a.cip.replace(/\./g, '\\.')} unreachable - need to frag \\(mtu 1200\\)`),
    'the real server got "need to frag (mtu 1200)" addressed to it',
  );
  t.match(
    got.stdout,
    new RegExp(`${s.a.rip.replace(/\./g, '\\.')}\\.${PORT} > ${s.a.cip.replace(/\./g, '\\.')}\\.${cport}`),
    'quoting its own reply: real server:8080 -> client',
  );
});
