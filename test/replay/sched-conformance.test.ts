// `ulvs replay` against the kernel's scheduling: 1764 TCP SYNs from many clients to 27 DR services
// (rr with a weight-0 server, wrr 1/2/3, lc, wlc, sed, nq, sh and sh-port, mh and mh-port, dh on 16
// VIPs, rr persistent with -p 300 -M 255.255.255.0), interleaved in one capture. The real server
// expected for every SYN was worked out by test/replay/sched_conformance_gen.py from Python models of
// the kernel's C code (ip_vs_rr/wrr/lc/wlc/sed/nq/sh/dh/mh.c, ip_vs_sched_persist, lib/siphash.c),
// independent of src/sched. Checked per packet: the report's real server, and the transmitted frame
// (destination MAC = that real server's --neigh entry, IP packet untouched, as DR sends it), the
// latter also through tshark's own dissector.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { command } from '../../src/cli/commands/replay.js';
import { readPcapFile } from '../../src/io/pcap.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, '..', 'fixtures', 'replay-sched');
const generator = join(here, 'sched_conformance_gen.py');

interface Expected {
  directorMac: string;
  neigh: Record<string, string>;
  summary: Record<string, Record<string, number>>;
  packets: Array<{ case: string; vip: string; client: string; cport: number; to: string | null }>;
}
interface ReportLine {
  packet: number;
  in: string;
  verdict: string;
  reason: string | null;
  out?: number;
  to?: string;
}

const expected = JSON.parse(readFileSync(join(fixtures, 'expected.json'), 'utf8')) as Expected;
const dir = mkdtempSync(join(tmpdir(), 'ulvs-sched-replay-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const mac = (b: Uint8Array, off: number): string => Array.from(b.subarray(off, off + 6), (x) => x.toString(16).padStart(2, '0')).join(':');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Group a per-packet list by scheduler case, keeping capture order inside each case. */
function byCase<T>(values: T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  expected.packets.forEach((p, i) => {
    const k = p.case === 'dh' ? `dh ${p.vip}` : p.case;
    if (!m.has(k)) m.set(k, []);
    m.get(k)!.push(values[i]!);
  });
  return m;
}

t.test('every SYN goes to the real server the kernel would pick', async (t) => {
  const out = join(dir, 'out.pcap');
  const reportPath = join(dir, 'report.jsonl');
  const argv = ['--rules', join(fixtures, 'sched.rules'), '--in', join(fixtures, 'syns.pcap'), '--out', out, '--report', reportPath];
  for (const [ip, m] of Object.entries(expected.neigh)) argv.push('--neigh', `${ip}=${m}`);
  t.equal(await command.run(argv), 0, 'ulvs replay exits 0');

  const report = readFileSync(reportPath, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ReportLine);
  t.equal(report.length, expected.packets.length, `one report line per SYN (${expected.packets.length})`);
  const input = readPcapFile(join(fixtures, 'syns.pcap')).records;
  const output = readPcapFile(out).records;
  t.equal(output.length, expected.packets.filter((p) => p.to !== null).length, 'OUT holds one frame per scheduled SYN');

  // The report: which real server each SYN went to, compared case by case (a mismatch shows the diff).
  // wrr note: the rules create the service (-A: the kernel's init_service sees an empty list, cw = 0)
  // and then add 1, 2, 3 (add_dest = ip_vs_wrr_dest_changed each time: cw becomes 1 and stays), so
  // the kernel starts with one pass at cw = 1 (C B A) before the steady C C B C B A.
  const gotTo = report.map((r) => (r.verdict === 'transmit' ? (r.to ?? '?') : `${r.verdict}:${r.reason}`));
  const wantTo = expected.packets.map((p) => p.to ?? 'drop:?');
  const got = byCase(gotTo);
  for (const [k, want] of byCase(wantTo)) t.same(got.get(k), want, `${k}: ${want.length} SYNs, real servers in kernel order`);
  t.ok(
    report.every((r, i) => r.in.includes(`${expected.packets[i]!.client}:${expected.packets[i]!.cport} > ${expected.packets[i]!.vip}:80 [S]`)),
    'report lines follow the capture order',
  );

  // The transmitted frames: DR rewrites the MACs toward the real server and, as IPVS, decrements the TTL.
  const frameErrors: string[] = [];
  report.forEach((r, i) => {
    const want = expected.packets[i]!;
    if (want.to === null || r.out === undefined) return;
    const f = output[r.out - 1]!.data;
    const src = input[i]!.data;
    if (r.to !== undefined && mac(f, 0) !== expected.neigh[r.to]) frameErrors.push(`packet ${i + 1}: frame to ${mac(f, 0)} but the report says ${r.to}`);
    if (mac(f, 0) !== expected.neigh[want.to]) frameErrors.push(`packet ${i + 1}: eth.dst ${mac(f, 0)}, want ${expected.neigh[want.to]} (${want.to})`);
    if (mac(f, 6) !== expected.directorMac) frameErrors.push(`packet ${i + 1}: eth.src ${mac(f, 6)}`);
    if (hex(f.subarray(12)) !== hex(oneHopLater(src).subarray(12))) frameErrors.push(`packet ${i + 1}: IP packet changed beyond TTL - 1`);
  });
  t.same(frameErrors.slice(0, 20), [], 'every OUT frame: real server MAC, director MAC, IP packet unchanged but for TTL - 1 (decrement_ttl)');

  // Independent dissector: tshark reads OUT (skip when not installed).
  const tshark = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;
  t.test('tshark sees the same real server MACs', { skip: !tshark && 'tshark not installed' }, async (t) => {
    const lines = execFileSync(
      'tshark',
      ['-n', '-r', out, '-T', 'fields', '-E', 'separator=,', '-e', 'eth.dst', '-e', 'ip.src', '-e', 'tcp.srcport', '-e', 'ip.dst'],
      { encoding: 'utf8', maxBuffer: 64 << 20 },
    )
      .trim()
      .split('\n');
    const want = expected.packets.filter((p) => p.to !== null).map((p) => `${expected.neigh[p.to!]},${p.client},${p.cport},${p.vip}`);
    t.equal(lines.length, want.length, 'tshark counts every frame');
    const bad = lines.map((l, k) => (l === want[k] ? '' : `frame ${k + 1}: ${l} != ${want[k]}`)).filter(Boolean);
    t.same(bad.slice(0, 20), [], 'eth.dst/ip.src/tcp.srcport/ip.dst of every frame as expected');
  });
});

const py = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', ''], { stdio: 'ignore' }).status === 0);
t.test('the committed expectations are what the kernel models compute', { skip: !py && 'python3 not installed' }, async (t) => {
  // --expected-only reruns the models without scapy (fast); the capture itself is checked above
  // through the report's description of every input packet.
  const regen = join(dir, 'regen');
  execFileSync(py!, [generator, regen, '--expected-only'], { stdio: ['ignore', 'ignore', 'pipe'] });
  for (const f of ['sched.rules', 'expected.json']) {
    t.ok(readFileSync(join(regen, f)).equals(readFileSync(join(fixtures, f))), `${f} regenerates byte for byte`);
  }
});

/** An Ethernet + IPv4 frame one hop later: TTL - 1 and the header checksum computed from scratch. */
function oneHopLater(frame: Uint8Array): Uint8Array {
  const f = Uint8Array.from(frame);
  const ihl = (f[14]! & 0x0f) * 4;
  f[22] = f[22]! - 1;
  f[24] = 0;
  f[25] = 0;
  let sum = 0;
  for (let o = 14; o < 14 + ihl; o += 2) sum += (f[o]! << 8) | f[o + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  f[24] = (~sum >> 8) & 0xff;
  f[25] = ~sum & 0xff;
  return f;
}
