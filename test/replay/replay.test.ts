// `ulvs replay` on a scapy-made capture: DR (rr over two real servers), NAT both directions (TCP, UDP,
// ICMP errors both ways), TUN v4/v6 with frag-needed / Packet Too Big, a quiesced service (port
// unreachable) and a bad checksum. Every transmitted frame must equal the one scapy built.
import t from 'tap';
import { readFileSync, mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../src/cli/command.js';
import { command, parseReplayArgs, runReplay } from '../../src/cli/commands/replay.js';
import { readPcapFile } from '../../src/io/pcap.js';

const data = join(dirname(fileURLToPath(import.meta.url)), 'data');
const expected = JSON.parse(readFileSync(join(data, 'scenario.expected.json'), 'utf8')) as {
  neigh: Record<string, string>;
  localIps: string[];
  mtu: number;
  packets: Array<{ verdict: string; reason: string | null; to: string | null; out: string | null }>;
};
const dir = mkdtempSync(join(tmpdir(), 'ulvs-replay-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function argv(extra: string[] = []): string[] {
  const a = [
    '--rules',
    join(data, 'scenario.rules'),
    '--in',
    join(data, 'scenario.pcap'),
    '--out',
    join(dir, 'out.pcap'),
    '--report',
    join(dir, 'report.jsonl'),
    '--mtu',
    String(expected.mtu),
  ];
  for (const ip of expected.localIps) a.push('--local-ip', ip);
  for (const [ip, mac] of Object.entries(expected.neigh)) a.push('--neigh', `${ip}=${mac}`);
  return a.concat(extra);
}

t.test('replay reproduces DR, NAT (both directions) and TUN exactly', async (t) => {
  const totals = await runReplay(parseReplayArgs(argv()));
  const report = readFileSync(join(dir, 'report.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const out = readPcapFile(join(dir, 'out.pcap')).records;
  t.equal(report.length, expected.packets.length, 'one report line per input packet');
  t.equal(totals.packets, expected.packets.length);
  const wantOut = expected.packets.filter((p) => p.out !== null);
  t.equal(out.length, wantOut.length, 'OUT holds exactly the transmitted frames');
  let k = 0;
  expected.packets.forEach((want, n) => {
    const got = report[n]!;
    t.equal(got.packet, n + 1, `packet ${n + 1} numbered`);
    t.equal(got.verdict, want.verdict, `packet ${n + 1}: verdict ${want.verdict}`);
    if (want.verdict === 'drop') t.equal(got.reason, want.reason, `packet ${n + 1}: reason ${want.reason}`);
    if (want.out !== null) {
      t.equal(got.out, k + 1, `packet ${n + 1}: OUT record ${k + 1}`);
      t.equal(got.to, want.to, `packet ${n + 1}: to ${want.to}`);
      t.equal(Buffer.from(out[k]!.data).toString('hex'), want.out, `packet ${n + 1}: frame equals scapy's (${got.sent})`);
      t.equal(out[k]!.timeMs, got.timeMs, 'input timestamp kept');
      k++;
    }
  });
});

t.test('a raw-IP capture (link type 101) is wrapped in Ethernet and replayed the same way', async (t) => {
  // Re-write the scenario as raw IP: strip the 14-byte Ethernet headers.
  const src = readPcapFile(join(data, 'scenario.pcap')).records;
  const { writePcapFile } = await import('../../src/io/pcap.js');
  writePcapFile(
    join(dir, 'raw.pcap'),
    101,
    src.map((r) => ({ timeMs: r.timeMs, data: r.data.subarray(14) })),
  );
  const a = argv(['--mac', '02:00:00:00:00:02']);
  a[a.indexOf('--in') + 1] = join(dir, 'raw.pcap');
  a[a.indexOf('--out') + 1] = join(dir, 'raw-out.pcap');
  await runReplay(parseReplayArgs(a));
  const out = readPcapFile(join(dir, 'raw-out.pcap')).records;
  const dr = expected.packets[0]!.out!;
  t.equal(Buffer.from(out[0]!.data).toString('hex'), dr, 'DR frame identical to the Ethernet-capture run');
  const nat = expected.packets.filter((p) => p.out !== null);
  t.equal(out.length, nat.length, 'same number of transmitted frames');
});

t.test('bad inputs: exit non-zero with file:line / what was expected', async (t) => {
  const rules = join(dir, 'bad.rules');
  writeFileSync(rules, '-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.1:80 -r 10.0.0.11:80 -g -w 1\nthis is not a rule\n');
  const base = argv();
  const withRules = base.slice();
  withRules[withRules.indexOf('--rules') + 1] = rules;
  await t.rejects(
    command.run(withRules),
    { constructor: UserError, message: new RegExp(`${rules.replace(/[.]/g, '\\.')}:3: expected an ipvsadm command`) },
    'bad rules line names file:line',
  );
  writeFileSync(rules, '-A -t 192.0.2.1:80 -s nosuch\n');
  await t.rejects(command.run(withRules), { constructor: UserError, message: /bad\.rules:1: / }, 'unknown scheduler names file:line');
  const missing = base.slice();
  missing[missing.indexOf('--in') + 1] = join(dir, 'nope.pcap');
  await t.rejects(command.run(missing), { constructor: UserError, message: /nope\.pcap: no such file/ });
  const corrupt = join(dir, 'corrupt.pcap');
  copyFileSync(join(data, 'scenario.pcap'), corrupt);
  writeFileSync(corrupt, readFileSync(corrupt).subarray(0, 24 + 16 + 20));
  const cor = base.slice();
  cor[cor.indexOf('--in') + 1] = corrupt;
  await t.rejects(command.run(cor), { constructor: UserError, message: /corrupt\.pcap: truncated record 1 at byte 24/ });
  const notPcap = base.slice();
  notPcap[notPcap.indexOf('--in') + 1] = join(data, 'scenario.rules');
  await t.rejects(command.run(notPcap), { constructor: UserError, message: /not a pcap file/ });
  t.throws(() => parseReplayArgs(['--in', 'x']), /--rules is required/);
  t.throws(() => parseReplayArgs([...base, '--neigh', '10.0.0.1']), /expected IP=MAC/);
  t.throws(() => parseReplayArgs([...base, '--mtu', '20']), /--mtu: expected a number/);
});
