/**
 * Bulk TCP through the director with the veths' default offloads (checksum offload, TSO/GSO): the
 * client's TSO stack uploads 4 MiB to a real server (socat, which answers with the sha256 of what it
 * got), and downloads 4 MiB (the responder's /bytes/N, NAT: the real server's TSO replies cross the
 * director), for DR, NAT and TUN on each backend, and NAT over IPv6. Both hashes must match the data
 * sent, and on AF_PACKET the director must have completed checksums and cut super-frames (its io
 * counters say so). On AF_PACKET also UDP GSO: one sendto of 8 datagrams (UDP_SEGMENT) through NAT
 * reaches the real server as 8 datagrams, each answered.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { Lab, uniqueLabId } from '../../src/lab/lab.js';
import { prepareRealServers, startLabDirector, type LabFamily, type LabMode } from '../../src/lab/modes.js';
import { addr4, addr6, LAB_ADDR, LAB_HTTP_PORT, LAB_UDP_PORT } from '../../src/lab/topology.js';

const BYTES = 4 << 20;
const SINK_PORT = 9000;

/** sha256 of what the lab responder sends for /bytes/n (a 64 KiB pattern repeated). */
function responderHash(n: number): string {
  const chunk = Buffer.alloc(64 * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31 + 7) & 0xff;
  const h = createHash('sha256');
  for (let left = n; left > 0; left -= chunk.length) h.update(left >= chunk.length ? chunk : chunk.subarray(0, left));
  return h.digest('hex');
}

/** Sum of one io counter over the workers in a director's stop report. */
function ioCounter(out: string, name: string): number {
  let n = 0;
  for (const m of out.matchAll(new RegExp(`"${name}":(\\d+)`, 'g'))) n += Number(m[1]);
  return n;
}

for (const backend of ['afpacket', 'nfqueue'] as const) {
  t.test(`bulk TCP with default offloads on ${backend}`, { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
    const lab = await Lab.up({ id: uniqueLabId() });
    t.teardown(() => lab.down());
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ulvs-bulk-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'upload');
    const data = Buffer.alloc(BYTES);
    for (let i = 0; i < BYTES; i += 4) data.writeUInt32BE((Math.imul(i, 2654435761) ^ (i >>> 7)) >>> 0, i);
    writeFileSync(file, data);
    const uploadHash = createHash('sha256').update(data).digest('hex');
    const downloadHash = responderHash(BYTES);
    // Every real server hashes what a connection brings and answers with it.
    for (const rs of lab.byRole('realserver'))
      lab.spawn(rs.name, ['socat', `TCP6-LISTEN:${SINK_PORT},ipv6only=0,reuseaddr,fork`, 'SYSTEM:sha256sum'], { stdio: 'ignore' });
    const cases: Array<[LabMode, LabFamily]> = [
      ['dr', 4],
      ['nat', 4],
      ['tun', 4],
      ['nat', 6],
    ];
    for (const [mode, family] of cases) {
      await t.test(`${mode}${family === 6 ? ' IPv6' : ''}`, async (t) => {
        const undo = await prepareRealServers(lab, mode, { decap: 'auto', family });
        t.teardown(() => undo());
        const flag = mode === 'dr' ? '-g' : mode === 'nat' ? '-m' : '-i';
        const vip = family === 6 ? LAB_ADDR.vip6 : LAB_ADDR.vip4;
        const ep = (a: string, port: number): string => (family === 6 ? `[${a}]:${port}` : `${a}:${port}`);
        const rsAddrs = lab.byRole('realserver').map((rs) => (family === 6 ? addr6(rs) : addr4(rs)));
        const extraRules =
          [`-A -t ${ep(vip, SINK_PORT)} -s rr`, ...rsAddrs.map((a) => `-a -t ${ep(vip, SINK_PORT)} -r ${ep(a, SINK_PORT)} ${flag} -w 1`)].join('\n') + '\n';
        const director = await startLabDirector(lab, { mode, backend, workers: 2, extraRules, family });
        let stopped = false;
        t.teardown(async () => {
          if (!stopped) await director.stop();
        });
        const sink = family === 6 ? `TCP6:[${vip}]:${SINK_PORT}` : `TCP:${vip}:${SINK_PORT}`;
        const upload = await lab.exec('client', ['sh', '-c', `socat -t 20 -T 20 'OPEN:${file},rdonly!!STDOUT' ${sink}`], { timeoutMs: 30000 });
        t.equal(upload.stdout.trim().split(/\s+/)[0], uploadHash, `upload of ${BYTES} bytes arrived intact (sha256 on the real server)`);
        const url = family === 6 ? `http://[${vip}]:${LAB_HTTP_PORT}/bytes/${BYTES}` : `http://${vip}:${LAB_HTTP_PORT}/bytes/${BYTES}`;
        const down = await lab.exec('client', ['sh', '-c', `curl -s -g -m 20 ${url} | sha256sum`], { timeoutMs: 30000 });
        t.equal(down.stdout.trim().split(/\s+/)[0], downloadHash, `download of ${BYTES} bytes arrived intact`);
        if (backend === 'afpacket' && mode === 'nat' && family === 4) {
          // UDP GSO (UDP_SEGMENT = 103): one send of 8 x 1000 bytes leaves the client as one super-frame.
          const py =
            `import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.setsockopt(17,103,1000);s.settimeout(2);` +
            `s.sendto(b'q'*8000,('${vip}',${LAB_UDP_PORT}));n=0\ntry:\n  while True: s.recvfrom(100); n+=1\nexcept socket.timeout: pass\nprint(n)`;
          const udp = await lab.exec('client', ['python3', '-c', py], { timeoutMs: 10000 });
          t.equal(udp.stdout.trim(), '8', 'UDP GSO: 8 datagrams reached the real server, 8 answers came back');
        }
        const out = await director.stop();
        stopped = true;
        if (backend === 'afpacket') {
          t.ok(ioCounter(out, 'csum_completed') > 0, `checksums completed (${ioCounter(out, 'csum_completed')})`);
          t.ok(ioCounter(out, 'gso_frames') > 0, `super-frames cut (${ioCounter(out, 'gso_frames')} into ${ioCounter(out, 'gso_segments')} segments)`);
          t.equal(
            ioCounter(out, 'offload_drops') + ioCounter(out, 'truncated_drops') + ioCounter(out, 'oversize_drops'),
            0,
            'no frame dropped for its offloads',
          );
        }
      });
    }
  });
}
