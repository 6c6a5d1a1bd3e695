/**
 * One compliance suite for every packet I/O backend: 200 UDP datagrams go in; the handler upper-cases
 * the payload of each (rewrite) except those starting with "drop" (verdict Drop). Every backend must
 * deliver exactly the rewritten non-dropped payloads, hand them over in batches (fewer batches than
 * packets), and release its kernel resources on close. Memory always; NFQUEUE, AF_PACKET and AF_XDP in a
 * namespace pair (sender A, backend B) when root, the backend running in a child process inside B.
 */
import t from 'tap';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBatch, LinkType, Verdict } from '../../src/core/batch.js';
import { MemoryIo } from '../../src/io/memory.js';
import { run, runOk } from '../../src/util/exec.js';
import { startBackend, vethPair } from '../helpers/backend-pair.js';

const N = 200;
const inputs = Array.from({ length: N }, (_, i) => (i % 5 === 0 ? `drop ${i}` : `pkt ${i}`));
const expected = inputs
  .filter((p) => !p.startsWith('drop'))
  .map((p) => p.toUpperCase())
  .sort();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The handler every backend runs (source text, so the child process runs the very same code). */
const HANDLER = `(b, reflect) => {
  for (let i = 0; i < b.count; i++) {
    const s = b.start[i] + (b.linkType === 1 ? 14 : 0);
    const u = b.buf, ihl = (u[s] & 15) * 4, l4 = s + ihl, pay = l4 + 8, end = b.start[i] + b.length[i];
    if (u[pay] === 0x64 && u[pay + 1] === 0x72) { b.verdict[i] = 0; continue; }
    for (let j = pay; j < end; j++) if (u[j] >= 97 && u[j] <= 122) u[j] -= 32;
    u[l4 + 6] = 0; u[l4 + 7] = 0;
    b.mark[i] = 0x42;
    if (!reflect) { b.verdict[i] = 2; continue; }
    const f = b.start[i], tmp = u.slice(f, f + 6); u.copyWithin(f, f + 6, f + 12); u.set(tmp, f + 6);
    const a = u.slice(s + 12, s + 16); u.copyWithin(s + 12, s + 16, s + 20); u.set(a, s + 16);
    const p = u.slice(l4, l4 + 2); u.copyWithin(l4, l4 + 2, l4 + 4); u.set(p, l4 + 2);
    b.verdict[i] = 3;
  }
}`;

t.test('memory backend', async (t) => {
  const b = createBatch(LinkType.Ip, 32);
  const io = new MemoryIo(b);
  // eslint-disable-next-line no-new-func
  const h = new Function(`return ${HANDLER}`)() as (b: unknown, reflect: boolean) => void;
  io.start((batch) => h(batch, false));
  const frames = inputs.map((p) => {
    const pay = new TextEncoder().encode(p);
    const f = new Uint8Array(28 + pay.length);
    f[0] = 0x45;
    f[9] = 17;
    f.set(pay, 28);
    return f;
  });
  const res = io.inject(frames);
  const got = res
    .filter((r) => r.verdict === Verdict.AcceptModified)
    .map((r) => new TextDecoder().decode(r.bytes.subarray(28)))
    .sort();
  t.same(got, expected, 'rewritten payloads of the kept packets');
  t.ok(io.stats[1] < io.stats[0], 'batched');
  io.close();
});

const NS = `ulvs-c${process.pid.toString(36)}`;
for (const [backend, ring] of [
  ['nfqueue', 0],
  ['afpacket', 2],
  ['afpacket', 3],
  ['afxdp', 0],
] as const) {
  t.test(`${backend} backend${ring ? ` (TPACKET_V${ring} ring)` : ''}`, { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
    const { A, B } = await vethPair(t, NS);
    if (backend === 'nfqueue')
      await runOk(['iptables', '-t', 'mangle', '-A', 'PREROUTING', '-p', 'udp', '--dport', '7000', '-j', 'NFQUEUE', '--queue-num', '5'], { netns: B });
    else if (backend === 'afpacket') await runOk(['iptables', '-t', 'raw', '-A', 'PREROUTING', '-p', 'udp', '--dport', '7000', '-j', 'DROP'], { netns: B });
    await runOk(['iptables', '-t', 'mangle', '-A', 'INPUT', '-m', 'mark', '--mark', '0x42'], { netns: B });
    // The backend in B: prints "ready", then on SIGTERM its stats and (nfqueue) what its UDP socket received.
    const child = `
      import dgram from 'node:dgram';
      const { createBatch } = await import('${root}/dist/core/batch.js');
      const { openIo } = await import('${root}/dist/io/open.js');
      const { buildFilter } = await import('${root}/dist/io/bpf.js');
      const h = ${HANDLER};
      const { XskRedirect } = await import('${root}/dist/io/xsk-redirect.js');
      const nfq = '${backend}' === 'nfqueue';
      const batch = createBatch(nfq ? 2 : 1, 64);
      // AF_XDP: the XDP program redirects UDP to 192.0.2.2:7000 only (ARP and the rest stay with the kernel).
      const xsk = '${backend}' === 'afxdp' ? XskRedirect.attach(['vb'], { services: [{ family: 4, address: '192.0.2.2', protocol: 'udp', port: 7000 }], natReplies: [], local: [] }) : undefined;
      const spec = nfq ? { kind: 'nfqueue', queue: 5 }
        : xsk ? { kind: 'afxdp', interfaces: xsk.interfaces.map((x) => ({ ifname: x.ifname, ifindex: x.ifindex, mapFd: x.mapFd, queues: Array.from({ length: x.queues }, (_, q) => q) })) }
        : { kind: 'afpacket', interfaces: ['vb'], fanoutGroups: [0], ringVersion: ${ring}, filter: buildFilter({ dst: ['192.0.2.2'], src: [] }) };
      const io = openIo(spec, batch);
      io.start((b) => h(b, !nfq));
      const got = [];
      const sock = dgram.createSocket('udp4');
      sock.on('message', (m) => got.push(m.toString()));
      sock.bind(7000, () => console.log('ready'));
      process.on('SIGTERM', () => { io.pollRingDrops?.(); io.close(); xsk?.close(); sock.close(); setTimeout(() => { console.log(JSON.stringify({ stats: Array.from(io.stats), got })); process.exit(0); }, 200); });`;
    const backendChild = await startBackend(t, B, child);
    const sender = `
import socket, json, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('192.0.2.1', 7001)); s.settimeout(1.0)
for p in json.loads(${JSON.stringify(JSON.stringify(inputs))}): s.sendto(p.encode(), ('192.0.2.2', 7000))
got = []
try:
    while True: got.append(s.recvfrom(2000)[0].decode())
except Exception: pass
print(json.dumps(got))`;
    const sent = await runOk(['python3', '-c', sender], { netns: A, timeoutMs: 20000 });
    const report = await backendChild.stopAndReport<{ stats: number[]; got: string[] }>();
    const delivered = backend === 'nfqueue' ? report.got : (JSON.parse(sent) as string[]);
    t.same([...delivered].sort(), expected, 'exactly the rewritten payloads of the kept packets arrive');
    t.equal(report.stats[0], N, 'every packet reached the handler');
    t.ok(report.stats[1] < report.stats[0], `batched (${report.stats[0]} packets in ${report.stats[1]} batches)`);
    if (backend === 'nfqueue') {
      const marks = await runOk(['iptables', '-t', 'mangle', '-L', 'INPUT', '-v', '-n', '-x'], { netns: B });
      t.match(marks, new RegExp(`^\\s*${expected.length}\\s`, 'm'), 'verdict mark 0x42 set on every kept packet');
      const q = await run(['cat', '/proc/net/netfilter/nfnetlink_queue'], { netns: B });
      t.equal(q.stdout.trim(), '', 'queue unbound after close');
    } else {
      t.equal(report.stats[2], expected.length, backend === 'afxdp' ? 'transmitted from the TX ring' : 'transmitted in batches (sendmmsg)');
    }
    if (backend === 'afxdp') {
      const link = await runOk(['ip', '-d', 'link', 'show', 'vb'], { netns: B });
      t.notMatch(link, /prog\/xdp/, 'XDP program detached after close');
    }
  });
}
