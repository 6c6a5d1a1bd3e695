// Independent decoder check: every forwarded/replied fixture output is written to a pcap and decoded
// by tshark with all checksum validations on; no checksum may be "Bad" and no packet malformed.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PacketView } from '../../src/packet/packet-view.js';
import { frameOf } from '../../src/core/batch.js';
import { writePcapFile } from '../../src/io/pcap.js';
import { PACKET_CASES, fixtureBatches, runCase } from '../fixtures/packets/cases.js';

const tshark = ['/usr/bin/tshark', '/usr/local/bin/tshark'].find((p) => existsSync(p));

t.test('tshark validates the checksums of our outputs', { skip: !tshark && 'tshark not installed (apt-get install tshark)' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ulvs-tshark-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const batches = fixtureBatches();
  const pv = new PacketView();
  const records: Array<{ timeMs: number; data: Uint8Array }> = [];
  const names: string[] = [];
  for (const c of PACKET_CASES) {
    if (!c.expect || c.linkType !== 1) continue;
    const b = batches[1];
    runCase(c, b, 0, pv);
    records.push({ timeMs: records.length, data: frameOf(b, 0).slice() });
    names.push(c.name);
  }
  const file = join(dir, 'out.pcap');
  writePcapFile(file, 1, records);
  const out = execFileSync(
    tshark!,
    ['-r', file, '-T', 'json', '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'sctp.checksum:CRC-32C'],
    { maxBuffer: 64 << 20 },
  ).toString();
  const pkts = JSON.parse(out) as Array<{ _source: { layers: Record<string, unknown> } }>;
  t.equal(pkts.length, records.length, 'tshark read every packet');
  pkts.forEach((p, k) => {
    const text = JSON.stringify(p._source.layers);
    // Wireshark checksum status: 0 = Bad, 1 = Good, 2 = Unverified. Only each layer's own fields: the
    // headers quoted inside an ICMP error are nested objects and keep their (stale) L4 checksums.
    const statuses: string[] = [];
    for (const layer of Object.values(p._source.layers)) {
      if (!layer || typeof layer !== 'object') continue;
      for (const [k, v] of Object.entries(layer as Record<string, unknown>)) {
        if (/\.checksum\.status$/.test(k) && typeof v === 'string') statuses.push(v);
      }
    }
    t.notOk(statuses.includes('0'), `${names[k]}: no bad checksum (${statuses.join(',')})`);
    t.ok(statuses.includes('1'), `${names[k]}: at least one checksum verified good`);
    t.notMatch(text, /_ws\.malformed/, `${names[k]}: not malformed`);
  });
});
