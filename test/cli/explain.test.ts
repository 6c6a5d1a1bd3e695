// `ulvs explain` offline: a made-up packet of a 5-tuple against rules, and packet N of a capture after
// the packets before it (`ulvs replay --explain N`): the second SYN of a flow hits the connection the
// first created; bad flows are usage errors that say what is wrong.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseReplayArgs, runReplay } from '../../src/cli/commands/replay.js';
import { writePcapFile } from '../../src/io/pcap.js';
import { buildFlowPacket } from '../../src/packet/flow-frame.js';
import { parseExplainFlow } from '../../src/dataplane/explain-flow.js';

const dir = mkdtempSync(join(tmpdir(), 'ulvs-explain-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const rules = join(dir, 'r.rules');
writeFileSync(rules, '-A -t 198.18.0.100:80 -s rr\n-a -t 198.18.0.100:80 -r 198.18.0.11:80 -g -w 1\n-a -t 198.18.0.100:80 -r 198.18.0.12:8080 -m -w 1\n');
const ether = { dst: Uint8Array.from([2, 0, 0, 0, 0, 0xfe]), src: Uint8Array.from([2, 0, 0, 0, 0, 1]) };
const bin = join(import.meta.dirname, '../../bin/ulvs.mjs');

t.test('packet N of a replay meets the state the packets before it left', async (t) => {
  const syn = buildFlowPacket({ proto: 6, src: '198.51.100.7', dst: '198.18.0.100', sport: 40000, dport: 80, ether });
  const ack = buildFlowPacket({ proto: 6, src: '198.51.100.7', dst: '198.18.0.100', sport: 40000, dport: 80, tcpFlags: 0x10, ether });
  writePcapFile(join(dir, 'in.pcap'), 1, [
    { timeMs: 1000, data: syn },
    { timeMs: 1001, data: ack },
  ]);
  const first = (await runReplay(parseReplayArgs(['--rules', rules, '--in', join(dir, 'in.pcap'), '--explain', '1']))).explanation!;
  t.ok(first.connection.created, 'packet 1 creates the connection');
  const second = (await runReplay(parseReplayArgs(['--rules', rules, '--in', join(dir, 'in.pcap'), '--explain', '2']))).explanation!;
  t.notOk(second.connection.created);
  t.equal(second.connection.before?.dest, first.connection.after?.dest, 'packet 2 hits the connection packet 1 made');
  t.equal(second.state.after, 'ESTABLISHED');
  // The packet walk of a replayed packet: rr gave packet 1 the NAT real server (:8080), whose answer
  // comes back through the director; '*' marks what the director changed.
  const w = spawnSync(process.execPath, [bin, 'explain', '--walk', '--rules', rules, '--in', join(dir, 'in.pcap'), '--packet', '1'], { encoding: 'utf8' });
  t.equal(w.status, 0, w.stderr);
  t.match(w.stdout, /^NAT: tcp 198.51.100.7:40000 > 198.18.0.100:80/);
  t.match(w.stdout, /2\. director -> real server 198\.18\.0\.12:8080/);
  t.match(w.stdout, /\* tcp\.dport\s+8080/);
  t.match(w.stdout, /4\. director -> client: /);
  t.match(w.stdout, /\* ip\.src\s+198\.18\.0\.100/);
  await t.rejects(runReplay(parseReplayArgs(['--rules', rules, '--in', join(dir, 'in.pcap'), '--explain', '3'])), /has only 2 packets/);
});

t.test('the command line: text steps, JSON, and what is wrong with a bad flow', async (t) => {
  const r = spawnSync(process.execPath, [bin, 'explain', '--rules', rules, 'tcp', '198.51.100.7:40000', '198.18.0.100:80'], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /virtual service matched: TCP 198.18.0.100:80/);
  t.match(r.stdout, /scheduler rr over \[/);
  t.match(r.stdout, /verdict: transmit/);
  const j = spawnSync(process.execPath, [bin, 'explain', '--json', '--rules', rules, 'udp', '198.51.100.7:40000', '198.18.0.100:80'], { encoding: 'utf8' });
  t.equal(j.status, 0, j.stderr);
  t.equal(JSON.parse(j.stdout).service, null, 'no UDP service on port 80');
  const bad = spawnSync(process.execPath, [bin, 'explain', '--rules', rules, 'icmp', '198.51.100.7:1', '198.18.0.100:80'], { encoding: 'utf8' });
  t.equal(bad.status, 2);
  t.match(bad.stderr, /protocol must be tcp, udp or sctp/);
  t.match(parseExplainFlow('tcp', '198.51.100.7:1', '[2001:db8::1]:80'), /different address families/);
  t.match(parseExplainFlow('tcp', '198.51.100.7', '198.18.0.100:80'), /ADDRESS:PORT/);
  t.match(parseExplainFlow('udp', '198.51.100.7:1', '198.18.0.100:80', 'S'), /tcp only/);
  t.same(parseExplainFlow('tcp', '[2001:db8::7]:1', '[2001:db8::1]:80', 'SA'), {
    proto: 6,
    src: '2001:db8::7',
    sport: 1,
    dst: '2001:db8::1',
    dport: 80,
    tcpFlags: 0x12,
  });
});
