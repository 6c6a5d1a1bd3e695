// lab: alone — it loads the machine on purpose (flood/stress); the test command runs it by itself.
/**
 * Bad input while legitimate clients run: random-source SYNs (hping3 from the client side, through the
 * router) and random garbage frames addressed to the director (scapy on lb2, same LAN) hit the VIP while
 * curl asks through it, on each backend. The director stays up, at least 99 % of the legitimate requests
 * succeed, its resident memory grows by less than 64 MiB over the flood (the connection table is fixed-size
 * shared memory; the hot path allocates nothing per packet), and on AF_PACKET, which sees the garbage
 * frames the kernel would drop before NFQUEUE, its drop counters say why packets were dropped.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { Lab, uniqueLabId } from '../../src/lab/lab.js';
import { prepareRealServers, startLabDirector } from '../../src/lab/modes.js';
import { LAB_ADDR } from '../../src/lab/topology.js';

t.test('flood', { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
  const lab = await Lab.up({ id: uniqueLabId() });
  t.teardown(() => lab.down());
  const undo = await prepareRealServers(lab, 'dr');
  t.teardown(undo);
  for (const backend of ['afpacket', 'nfqueue'] as const)
    await t.test(backend, async (t) => {
      const d = await startLabDirector(lab, { mode: 'dr', backend, workers: 2 });
      t.teardown(() => d.stop());
      const rssKiB = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${d.child.pid}/status`, 'utf8'))?.[1] ?? NaN);
      for (let i = 0; i < 20; i++) await lab.exec('client', ['curl', '-s', '-m', '3', `http://${LAB_ADDR.vip4}/`], { timeoutMs: 5000 });
      const rssBefore = rssKiB();
      const lbMac = await lab.mac('lb1');
      const syn = lab.spawn('client', ['timeout', '12', 'hping3', '-S', '-p', '80', '--rand-source', '-i', 'u500', '-q', LAB_ADDR.vip4], { stdio: 'ignore' });
      const garbage = lab.spawn(
        'lb2',
        [
          'timeout',
          '12',
          'python3',
          '-c',
          `
import os, random, socket, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(('eth0', 0))
dst = bytes.fromhex('${lbMac.replace(/:/g, '')}'); src = bytes.fromhex('020000000099')
vip = bytes([198, 18, 0, 100])
end = time.time() + 11
while time.time() < end:
    for _ in range(200):
        kind = random.randrange(3)
        if kind == 0:   # random bytes after an IPv4 ethertype
            f = dst + src + b'\\x08\\x00' + os.urandom(random.randrange(0, 200))
        elif kind == 1: # IPv4 header to the VIP with a bad length / checksum and random rest
            h = bytearray(os.urandom(20)); h[0] = 0x45; h[16:20] = vip; h[9] = random.choice([6, 17, 1, 47])
            f = dst + src + b'\\x08\\x00' + bytes(h) + os.urandom(random.randrange(0, 64))
        else:           # truncated TCP to the VIP port 80
            h = bytearray(20); h[0] = 0x45; h[2:4] = (28).to_bytes(2, 'big'); h[8] = 64; h[9] = 6; h[12:16] = os.urandom(4); h[16:20] = vip
            f = dst + src + b'\\x08\\x00' + bytes(h) + b'\\x00\\x50\\x00\\x50\\x00\\x00\\x00\\x00'
        s.send(f)
    time.sleep(0.01)
`,
        ],
        { stdio: 'ignore' },
      );
      const started = Date.now();
      let ok = 0;
      let total = 0;
      while (Date.now() - started < 10000) {
        const r = await lab.exec('client', ['curl', '-s', '-m', '3', `http://${LAB_ADDR.vip4}/`], { timeoutMs: 5000 });
        total++;
        if (r.code === 0 && /^rs\d/.test(r.stdout)) ok++;
      }
      await Promise.all([syn, garbage].map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
      t.ok(total >= 20, `legitimate requests sent during the flood (${total})`);
      t.ok(ok / total >= 0.99, `at least 99 % of legitimate requests succeeded (${ok}/${total})`);
      t.equal(d.child.exitCode, null, 'director still running');
      const rssAfter = rssKiB();
      t.ok(
        rssAfter - rssBefore < 64 * 1024,
        `resident memory bounded (${Math.round(rssBefore / 1024)} MiB before the flood, ${Math.round(rssAfter / 1024)} MiB after)`,
      );
      const out = await d.stop();
      if (backend === 'afpacket') t.match(out, /dropped \d+: \w+/, 'drop counters name their reasons');
      t.comment(
        out
          .split('\n')
          .filter((l) => /dropped|packets/.test(l))
          .join('\n'),
      );
    });
});
