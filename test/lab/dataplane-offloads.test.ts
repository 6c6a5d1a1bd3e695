/**
 * Bulk TCP through the director with the veths' default offloads (checksum offload, TSO/GSO): the
 * client's TSO stack uploads 4 MiB to a real server (socat, which answers with the sha256 of what it
 * got), and downloads 4 MiB (the responder's /bytes/N, NAT: the real server's TSO replies cross the
 * director), for DR, NAT and TUN on each backend. Both hashes must match the data sent, and on
 * AF_PACKET the director must have completed checksums and cut super-frames (its io counters say so).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { Lab, uniqueLabId } from '../../src/lab/lab.js';
import { prepareRealServers, startLabDirector, type LabMode } from '../../src/lab/modes.js';
import { LAB_ADDR, LAB_HTTP_PORT } from '../../src/lab/topology.js';

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
    for (const rs of lab.byRole('realserver')) lab.spawn(rs.name, ['socat', `TCP-LISTEN:${SINK_PORT},reuseaddr,fork`, 'SYSTEM:sha256sum'], { stdio: 'ignore' });
    const rsAddrs = lab.byRole('realserver').map((rs) => rs.ifaces[0]!.v4.split('/')[0]);
    for (const mode of ['dr', 'nat', 'tun'] as LabMode[]) {
      await t.test(mode, async (t) => {
        const undo = await prepareRealServers(lab, mode, { decap: 'auto' });
        t.teardown(() => undo());
        const flag = mode === 'dr' ? '-g' : mode === 'nat' ? '-m' : '-i';
        const extraRules = [`-A -t ${LAB_ADDR.vip4}:${SINK_PORT} -s rr`, ...rsAddrs.map((a) => `-a -t ${LAB_ADDR.vip4}:${SINK_PORT} -r ${a}:${SINK_PORT} ${flag} -w 1`)].join('\n') + '\n';
        const director = await startLabDirector(lab, { mode, backend, workers: 2, extraRules });
        let stopped = false;
        t.teardown(async () => { if (!stopped) await director.stop(); });
        const upload = await lab.exec('client', ['sh', '-c', `socat -t 20 -T 20 'OPEN:${file},rdonly!!STDOUT' TCP:${LAB_ADDR.vip4}:${SINK_PORT}`], { timeoutMs: 30000 });
        t.equal(upload.stdout.trim().split(/\s+/)[0], uploadHash, `upload of ${BYTES} bytes arrived intact (sha256 on the real server)`);
        const down = await lab.exec('client', ['sh', '-c', `curl -s -m 20 http://${LAB_ADDR.vip4}:${LAB_HTTP_PORT}/bytes/${BYTES} | sha256sum`], { timeoutMs: 30000 });
        t.equal(down.stdout.trim().split(/\s+/)[0], downloadHash, `download of ${BYTES} bytes arrived intact`);
        const out = await director.stop();
        stopped = true;
        if (backend === 'afpacket') {
          t.ok(ioCounter(out, 'csum_completed') > 0, `checksums completed (${ioCounter(out, 'csum_completed')})`);
          t.ok(ioCounter(out, 'gso_frames') > 0, `super-frames cut (${ioCounter(out, 'gso_frames')} into ${ioCounter(out, 'gso_segments')} segments)`);
          t.equal(ioCounter(out, 'offload_drops') + ioCounter(out, 'truncated_drops') + ioCounter(out, 'oversize_drops'), 0, 'no frame dropped for its offloads');
        }
      });
    }
  });
}
