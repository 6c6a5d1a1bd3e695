// AF_XDP on a director interface with 2 receive queues (Lab.up({ queues: 2 })) and 2 workers: worker i
// owns queue i, and each worker forwards the traffic of its queue. veth delivers a frame on the peer's
// receive queue of the number it was sent on, and an AF_PACKET sender with qdisc bypass sends on the
// queue of its CPU: so UDP requests (client -> VIP) written onto the switch port that feeds lb1 from
// CPU 0 arrive on lb1's queue 0, from CPU 1 on queue 1. Every request is answered by a real server (DR,
// round robin, straight back to the client), and the workers' counters show 4 packets on worker 0 and 7
// on worker 1, as frames come and with --afxdp-coalesce-us (interrupt moderation). Needs 2 CPUs.
import os from 'node:os';
import t from 'tap';
import { Lab, uniqueLabId } from '../../src/lab/lab.js';
import { directorLeftovers, prepareRealServers, startLabDirector } from '../../src/lab/modes.js';
import { LAB_ADDR, LAB_UDP_PORT } from '../../src/lab/topology.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : os.cpus().length < 2 ? 'needs 2 CPUs (one per transmit queue)' : false;

/** Python (in the client): waits for the answers to ports base..base+n-1 (6 s at most); prints "port answer" lines. */
function receiver(ports: number[]): string {
  return [
    'import select, socket, time',
    'socks = {}',
    `for port in ${JSON.stringify(ports)}:`,
    `    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('${LAB_ADDR.client4}', port)); socks[u.fileno()] = (port, u)`,
    "print('listening', flush=True)",
    'end = time.time() + 6',
    'while socks and time.time() < end:',
    '    for fd in select.select(list(socks), [], [], 0.2)[0]:',
    '        port, u = socks.pop(fd); print(port, u.recv(100).decode().strip(), flush=True)',
  ].join('\n');
}

/**
 * Python (in the switch): UDP requests client -> VIP from `ports`, written straight onto the switch port
 * that feeds lb1 by an AF_PACKET socket with qdisc bypass, whose frames take the transmit queue of the
 * CPU the sender runs on (packet_pick_tx_queue).
 */
function sender(port: string, dstMac: string, srcMac: string, ports: number[]): string {
  const hex = (m: string) => m.replace(/:/g, '');
  return [
    'import socket, struct',
    'def csum(b):',
    "    s = sum(struct.unpack('!%dH' % (len(b) // 2), b)); s = (s & 0xffff) + (s >> 16); s = (s & 0xffff) + (s >> 16); return ~s & 0xffff",
    `src, dst = socket.inet_aton('${LAB_ADDR.client4}'), socket.inet_aton('${LAB_ADDR.vip4}')`,
    `p = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); p.bind(('${port}', 0)); p.setsockopt(263, 20, 1)  # SOL_PACKET, PACKET_QDISC_BYPASS`,
    `for k, port in enumerate(${JSON.stringify(ports)}):`,
    `    udp = struct.pack('!HHHH', port, ${LAB_UDP_PORT}, 9, 0) + b'q'`,
    "    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), k, 0, 64, 17, 0, src, dst)",
    "    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]",
    `    p.send(bytes.fromhex('${hex(dstMac)}${hex(srcMac)}0800') + ip + udp)`,
  ].join('\n');
}

/** Packets per worker from the director's stop output ("worker N: up packets M ..."). */
function perWorker(out: string): number[] {
  return [...out.matchAll(/worker (\d+): \w+ packets (\d+)/g)].map((m) => Number(m[2]));
}

t.test('afxdp: 2 receive queues, 2 workers, worker i forwards queue i', { skip }, async (t) => {
  const lab = await Lab.up({ id: uniqueLabId(), queues: 2 });
  t.teardown(() => lab.down());
  const rx = (await lab.exec('lb1', ['ls', '/sys/class/net/eth0/queues'])).stdout.split(/\s+/).filter((q) => q.startsWith('rx-'));
  t.same(rx, ['rx-0', 'rx-1'], "lb1's eth0 has 2 receive queues");
  const undo = await prepareRealServers(lab, 'dr');
  t.teardown(undo);
  const lb1Mac = await lab.mac('lb1');
  const routerMac = await lab.mac('router', 'eth1');
  // As frames come (moderation off), with the default moderation, and with 20 ms of it: a few frames never
  // start moderation (it waits only after a wakeup of 32+ frames), so each case gets every frame.
  for (const extraArgs of [['--afxdp-coalesce-us', '0'], [], ['--afxdp-coalesce-us', '20000']]) {
    await t.test(extraArgs.join(' ') || 'default moderation', async (t) => {
      const director = await startLabDirector(lab, { mode: 'dr', backend: 'afxdp', workers: 2, extraArgs });
      let stopped = false;
      t.teardown(async () => {
        if (!stopped) await director.stop();
      });
      const ports = [
        [20000, 20001, 20002, 20003],
        [20100, 20101, 20102, 20103, 20104, 20105, 20106],
      ];
      const rcv = lab.spawn('client', ['python3', '-c', receiver(ports.flat())]);
      let got = '';
      rcv.stdout!.on('data', (b: Buffer) => (got += b.toString()));
      const done = new Promise((r) => rcv.once('exit', r));
      for (let i = 0; i < 50 && !got.includes('listening'); i++) await new Promise((r) => setTimeout(r, 100));
      if (!t.match(got, /listening/, 'the client listens for the answers')) return;
      for (const q of [0, 1]) await lab.execOk('sw', ['taskset', '-c', String(q), 'python3', '-c', sender('lb1-eth0', lb1Mac, routerMac, ports[q]!)]);
      await done;
      const answered = new Map(got.split('\n').flatMap((l) => (/^\d+ rs\d$/.test(l) ? [l.split(' ') as [string, string]] : [])));
      for (const q of [0, 1])
        t.ok(
          ports[q]!.every((p) => answered.has(String(p))),
          `queue ${q}: all ${ports[q]!.length} requests answered by real servers (${ports[q]!.map((p) => answered.get(String(p)) ?? '-').join(' ')})`,
        );
      const out = await director.stop();
      stopped = true;
      // 4 requests on queue 0 and 7 on queue 1: the counts tell the workers apart.
      t.same(perWorker(out), [4, 7], 'worker 0 forwarded the 4 requests of queue 0, worker 1 the 7 of queue 1');
      t.match(out, /2 afxdp worker/, 'the afxdp backend ran (no fallback)');
      t.same(await directorLeftovers(lab), [], 'nothing left on lb1');
    });
  }
});
