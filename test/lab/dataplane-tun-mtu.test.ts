/**
 * TUN and the path MTU: a full-size (1500-byte) datagram with DF set cannot be encapsulated (+20 bytes
 * IPIP) on a 1500-byte link, so the director answers with ICMP fragmentation-needed carrying MTU 1480
 * (ip_vs_xmit.c ensure_mtu_is_adequate) and the client's kernel lowers its path MTU to the VIP.
 * Traffic that fits still gets through. On AF_PACKET the director transmits the reply itself; on
 * NFQUEUE the reply replaces the queued packet and the kernel routes it to the client.
 */
import t from 'tap';
import { Lab, uniqueLabId } from '../../src/lab/lab.js';
import { startCapture } from '../../src/lab/capture.js';
import { prepareRealServers, startLabDirector } from '../../src/lab/modes.js';
import { LAB_ADDR, LAB_UDP_PORT } from '../../src/lab/topology.js';

for (const backend of ['afpacket', 'nfqueue'] as const)
  t.test(`TUN frag-needed reaches the client (${backend})`, { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
    const lab = await Lab.up({ id: uniqueLabId() });
    t.teardown(() => lab.down());
    const undo = await prepareRealServers(lab, 'tun');
    t.teardown(undo);
    const d = await startLabDirector(lab, { mode: 'tun', backend, workers: 1 });
    t.teardown(() => d.stop());
    const cap = await startCapture(lab, 'client', 'eth0', 'icmp');
    t.teardown(() => cap.remove());
    const py = `
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, 10, 2)  # IP_MTU_DISCOVER = IP_PMTUDISC_DO (DF set)
s.connect(('${LAB_ADDR.vip4}', ${LAB_UDP_PORT})); s.settimeout(2)
s.send(b'x' * 1472)                     # 1500-byte IP packet
time.sleep(1)
try:
    s.send(b'x' * 1472); print('sent')
except OSError as e: print('errno', e.errno)
print('mtu', s.getsockopt(socket.IPPROTO_IP, 14))  # IP_MTU`;
    const r = await lab.exec('client', ['python3', '-c', py], { timeoutMs: 15000 });
    await cap.stop();
    const icmp = await cap.fields(['icmp.type', 'icmp.code', 'icmp.mtu'], 'icmp.type == 3');
    t.ok(
      icmp.some(([type, code, mtu]) => type === '3' && code === '4' && mtu === '1480'),
      'ICMP fragmentation-needed with MTU 1480 reached the client',
    );
    t.match(r.stdout, /mtu 1480/, 'the client lowered its path MTU to the VIP');
    const http = await lab.exec('client', ['curl', '-s', '-m', '3', `http://${LAB_ADDR.vip4}/`]);
    t.match(http.stdout, /^rs\d/, 'traffic that fits still goes through');
  });
