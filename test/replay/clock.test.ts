// The pcap timestamps are the replay clock: a UDP connection times out after 300 s (then the next
// datagram is scheduled anew), and a persistent service (-p 60) keeps a client on one real server
// while its template lives.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseReplayArgs, runReplay } from '../../src/cli/commands/replay.js';
import { readPcapFile, writePcapFile } from '../../src/io/pcap.js';
import { fillIpv4Checksum, wr16 } from '../../src/packet/checksum.js';

const data = join(dirname(fileURLToPath(import.meta.url)), 'data');
const dir = mkdtempSync(join(tmpdir(), 'ulvs-replay-clock-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const scenario = readPcapFile(join(data, 'scenario.pcap')).records;
// Record 9: UDP 198.51.100.20:42000 -> 192.0.2.2:53; record 1: TCP SYN 198.51.100.10:40001 -> 192.0.2.1:80.
const udp = scenario[8]!.data;
const syn = scenario[0]!.data;

function withSport(frame: Uint8Array, sport: number): Uint8Array {
  const f = frame.slice();
  wr16(f, 14 + 20, sport);
  f[14 + 20 + 16] = 0; // the TCP checksum is not checked on this path; keep the IP header valid
  fillIpv4Checksum(f, 14);
  return f;
}

async function replay(rules: string, frames: Array<{ timeMs: number; data: Uint8Array }>): Promise<string[]> {
  writeFileSync(join(dir, 'r.rules'), rules);
  writePcapFile(join(dir, 'in.pcap'), 1, frames);
  await runReplay(
    parseReplayArgs(['--rules', join(dir, 'r.rules'), '--in', join(dir, 'in.pcap'), '--out', join(dir, 'out.pcap'), '--report', join(dir, 'rep.jsonl')]),
  );
  return readFileSync(join(dir, 'rep.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { to?: string }).to ?? 'none');
}

t.test('UDP connection expires after 300 s of pcap time', async (t) => {
  const rules = '-A -u 192.0.2.2:53 -s rr\n-a -u 192.0.2.2:53 -r 10.0.0.13:53 -m\n-a -u 192.0.2.2:53 -r 10.0.0.14:53 -m\n';
  const t0 = 1_700_000_000_000;
  const to = await replay(rules, [
    { timeMs: t0, data: udp },
    { timeMs: t0 + 10_000, data: udp },
    { timeMs: t0 + 290_000, data: udp },
    { timeMs: t0 + 290_000 + 301_000, data: udp },
  ]);
  t.same(to.slice(0, 3), ['10.0.0.14', '10.0.0.14', '10.0.0.14'], 'same connection while refreshed within 300 s');
  t.equal(to[3], '10.0.0.13', 'after 301 s idle: a new connection, rr moves on');
});

t.test('persistence template keeps a client on its real server for -p seconds', async (t) => {
  const rules = '-A -t 192.0.2.1:80 -s rr -p 60\n-a -t 192.0.2.1:80 -r 10.0.0.11:80 -g\n-a -t 192.0.2.1:80 -r 10.0.0.12:80 -g\n';
  const t0 = 1_700_000_000_000;
  const to = await replay(rules, [
    { timeMs: t0, data: withSport(syn, 50001) },
    { timeMs: t0 + 5_000, data: withSport(syn, 50002) },
    { timeMs: t0 + 30_000, data: withSport(syn, 50003) },
    { timeMs: t0 + 30_000 + 3_600_000, data: withSport(syn, 50004) },
  ]);
  t.same(to.slice(0, 3), ['10.0.0.12', '10.0.0.12', '10.0.0.12'], 'new connections from the same client follow the template');
  t.equal(to[3], '10.0.0.11', 'an hour later the template is gone and rr picks the next server');
});
