/**
 * NFQUEUE verdicts of a batch bigger than the netlink socket's send buffer: 256 full-size datagrams
 * queue up while the backend's thread is blocked, arrive as one batch, and each is rewritten (verdict
 * with payload and mark, ~370 kB of verdict messages). Every one must come out of the queue rewritten
 * and marked (counted by an iptables rule in INPUT) and no netlink send may fail. (A single send of the whole batch fails with EMSGSIZE above the socket's
 * sndbuf, and the packets whose verdicts were lost stay queued until the queue is full and every flow
 * on it stalls.)
 */
import t from 'tap';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runOk } from '../../src/util/exec.js';
import { startBackend, vethPair } from '../helpers/backend-pair.js';

const N = 256;
const SIZE = 1400;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NS = `ulvs-q${process.pid.toString(36)}`;

t.test('a 256-packet batch of rewritten packets gets all its verdicts', { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
  const { A, B } = await vethPair(t, NS);
  await runOk(['iptables', '-t', 'mangle', '-A', 'PREROUTING', '-p', 'udp', '--dport', '7000', '-j', 'NFQUEUE', '--queue-num', '6'], { netns: B });
  // Counts what left the queue with the verdict's mark and the rewritten payload ("Aaaa" after the UDP header).
  await runOk(
    ['iptables', '-t', 'mangle', '-A', 'INPUT', '-p', 'udp', '--dport', '7000', '-m', 'mark', '--mark', '0x42', '-m', 'u32', '--u32', '28=0x41616161'],
    { netns: B },
  );
  // The backend in B rewrites byte 0 of each payload ('a' -> 'A') and marks it; SIGUSR1 blocks its thread
  // for 1.5 s so the datagrams pile up in the queue; on SIGTERM it prints its stats.
  const child = `
    import dgram from 'node:dgram';
    const { createBatch } = await import('${root}/dist/core/batch.js');
    const { openIo } = await import('${root}/dist/io/open.js');
    const batch = createBatch(2, ${N});
    const io = openIo({ kind: 'nfqueue', queue: 6 }, batch);
    io.start((b) => {
      for (let i = 0; i < b.count; i++) {
        const s = b.start[i], l4 = s + (b.buf[s] & 15) * 4;
        b.buf[l4 + 8] = 0x41; b.buf[l4 + 6] = 0; b.buf[l4 + 7] = 0;
        b.mark[i] = 0x42;
        b.verdict[i] = 2;
      }
    });
    const sock = dgram.createSocket('udp4');
    process.on('SIGUSR1', () => { setImmediate(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500)); });
    process.on('SIGTERM', () => { io.close(); sock.close(); setTimeout(() => { console.log(JSON.stringify({ stats: Array.from(io.stats) })); process.exit(0); }, 200); });
    sock.bind(7000, () => console.log('ready'));`;
  const backend = await startBackend(t, B, child);
  backend.proc.kill('SIGUSR1');
  await new Promise((r) => setTimeout(r, 200));
  const sender = `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('192.0.2.1', 7001))
for i in range(${N}): s.sendto(b'a' * ${SIZE}, ('192.0.2.2', 7000))`;
  await runOk(['python3', '-c', sender], { netns: A, timeoutMs: 20000 });
  // The backend wakes up, drains the queue and sends the verdicts; give the socket time to receive.
  await new Promise((r) => setTimeout(r, 3000));
  const report = await backend.stopAndReport<{ stats: number[] }>();
  t.equal(report.stats?.[0], N, 'every datagram reached the handler');
  t.ok(report.stats[1]! < 8, `in big batches (${report.stats[0]} packets in ${report.stats[1]} batches)`);
  t.equal(report.stats[5], 0, 'no netlink error');
  const input = await runOk(['iptables', '-t', 'mangle', '-L', 'INPUT', '-v', '-n', '-x'], { netns: B });
  t.match(input, new RegExp(`^\\s*${N}\\s`, 'm'), `all ${N} left the queue rewritten and marked`);
});
