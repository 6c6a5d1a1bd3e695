/**
 * IPv6 virtual services and fwmark services end to end in the lab (issue 5's closing note).
 * - IPv6: a VIP6 service (TCP 80 and UDP) in DR, NAT and TUN on NFQUEUE and AF_PACKET: HTTP over IPv6
 *   from the client reaches every real server in its round-robin share, and a capture on rs1 shows the
 *   mode's packet shape (DR: destination VIP6 in a frame to rs1's MAC; NAT: destination rs1's IPv6
 *   address; TUN: an outer IPv6 header with next header 41 around the packet to VIP6).
 * - fwmark on NFQUEUE: lb1's mangle table marks TCP 80 and UDP to the VIP; the one fwmark service
 *   (NAT) balances both ports over the real servers, and the director counted the packets.
 * - fwmark on AF_PACKET: refused at start with one sentence naming `--backend nfqueue`, exit code 1.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Lab, uniqueLabId } from '../../src/lab/lab.js';
import { startCapture } from '../../src/lab/capture.js';
import {
  commandArgv,
  countByServer,
  directorLeftovers,
  prepareRealServers,
  requestsThroughVip,
  startLabDirector,
  type LabBackend,
  type LabMode,
} from '../../src/lab/modes.js';
import { addr4, addr6, LAB_ADDR, LAB_HTTP_PORT, LAB_UDP_PORT } from '../../src/lab/topology.js';

const notRoot = process.getuid?.() !== 0 && 'needs root';
const FWMARK = 7;

t.test('IPv6 and fwmark services', { skip: notRoot }, async (t) => {
  const lab = await Lab.up({ id: uniqueLabId() });
  t.teardown(() => lab.down());
  const rs1Mac = await lab.mac('rs1');
  const rs1Addr6 = addr6(lab.node('rs1'));

  for (const backend of ['nfqueue', 'afpacket'] as LabBackend[]) {
    for (const mode of ['dr', 'nat', 'tun'] as LabMode[]) {
      await t.test(`IPv6 ${mode} on ${backend}`, async (t) => {
        const undo = await prepareRealServers(lab, mode, { family: 6 });
        t.teardown(undo);
        const director = await startLabDirector(lab, { mode, backend, family: 6, workers: 2 });
        let stopped = false;
        t.teardown(async () => {
          if (!stopped) await director.stop();
        });
        const cap = await startCapture(lab, 'rs1', 'eth0', mode === 'tun' ? 'ip6 proto 41' : 'ip6 and tcp port 80');
        t.teardown(() => cap.remove());
        const http = await requestsThroughVip(lab, 6, { family: 6 });
        const udp = await requestsThroughVip(lab, 3, { family: 6, udp: true });
        await cap.stop();
        t.same(countByServer(http), { rs1: 2, rs2: 2, rs3: 2 }, `HTTP over IPv6: round robin over the three real servers (${http.join(' ')})`);
        t.same(countByServer(udp), { rs1: 1, rs2: 1, rs3: 1 }, `UDP over IPv6: every real server answered (${udp.join(' ')})`);
        if (mode === 'dr') {
          const rows = await cap.fields(['eth.dst', 'ipv6.dst'], 'tcp.flags.syn == 1 && tcp.flags.ack == 0');
          t.ok(rows.length > 0, 'rs1 received SYNs');
          t.ok(
            rows.every(([mac, dst]) => mac === rs1Mac && dst === LAB_ADDR.vip6),
            `DR: destination VIP6 in a frame to rs1's MAC (${JSON.stringify(rows)})`,
          );
        } else if (mode === 'nat') {
          const rows = await cap.fields(['ipv6.src', 'ipv6.dst'], 'tcp.flags.syn == 1 && tcp.flags.ack == 0');
          t.ok(rows.length > 0, 'rs1 received SYNs');
          t.ok(
            rows.every(([src, dst]) => src === LAB_ADDR.client6 && dst === rs1Addr6),
            `NAT: destination rewritten to rs1's IPv6 address, client source kept (${JSON.stringify(rows)})`,
          );
        } else {
          const rows = await cap.fields(['ipv6.nxt', 'ipv6.dst']);
          t.ok(rows.length > 0, 'rs1 received IPv6-in-IPv6 packets');
          t.ok(
            rows.every(([nxt, dst]) => nxt.split(',')[0] === '41' && dst === `${rs1Addr6},${LAB_ADDR.vip6}`),
            `TUN: outer IPv6 header (next header 41) to rs1 around the packet to VIP6 (${JSON.stringify(rows.slice(0, 2))})`,
          );
        }
        const out = await director.stop();
        stopped = true;
        t.match(out, /rules, routes and addresses removed/, 'director stopped cleanly');
        t.same(await directorLeftovers(lab), [], 'nothing left on lb1');
      });
    }
  }

  await t.test('fwmark service on nfqueue balances two ports', async (t) => {
    const mark = (op: '-A' | '-D', proto: string, port: number): string[] => [
      'iptables',
      '-w',
      '-t',
      'mangle',
      op,
      'PREROUTING',
      '-d',
      LAB_ADDR.vip4,
      '-p',
      proto,
      '--dport',
      String(port),
      '-j',
      'MARK',
      '--set-mark',
      String(FWMARK),
    ];
    // One MARK rule before the director starts, one appended after it (behind ulvs' jump): IPVS sees a mark
    // whenever it was set, so the director moves its jump back to the end of the chain.
    await lab.execOk('lb1', mark('-A', 'tcp', LAB_HTTP_PORT));
    t.teardown(async () => {
      await lab.exec('lb1', mark('-D', 'tcp', LAB_HTTP_PORT));
      await lab.exec('lb1', mark('-D', 'udp', LAB_UDP_PORT));
    });
    const undo = await prepareRealServers(lab, 'nat');
    t.teardown(undo);
    const rules = [`-A -f ${FWMARK} -s rr`, ...lab.byRole('realserver').map((rs) => `-a -f ${FWMARK} -r ${addr4(rs)}:0 -m -w 1`)].join('\n') + '\n';
    // Only the fwmark service (no per-port services); the director holds the VIP so the router can reach it.
    const director = await startLabDirector(lab, { mode: 'nat', backend: 'nfqueue', workers: 2, rules, extraArgs: ['--address', `${LAB_ADDR.vip4}/32`] });
    let stopped = false;
    t.teardown(async () => {
      if (!stopped) await director.stop();
    });
    await lab.execOk('lb1', mark('-A', 'udp', LAB_UDP_PORT));
    for (let i = 0; i < 50 && !/moved ulvs' jump/.test(director.output()); i++) await new Promise((r) => setTimeout(r, 200));
    t.match(
      director.output(),
      /moved ulvs' jump back to the end of the IPv4 mangle PREROUTING chain/,
      'the director noticed the MARK rule appended after its jump',
    );
    const order = (await lab.execOk('lb1', ['iptables-save', '-t', 'mangle'])).split('\n').filter((l) => l.startsWith('-A PREROUTING'));
    t.match(order[order.length - 1], /-j ULVS$/, `ulvs' jump is the last rule again:\n${order.join('\n')}`);
    const answers: string[] = [];
    for (let i = 0; i < 3; i++) {
      answers.push(...(await requestsThroughVip(lab, 1)));
      answers.push(...(await requestsThroughVip(lab, 1, { udp: true })));
    }
    t.same(countByServer(answers), { rs1: 2, rs2: 2, rs3: 2 }, `TCP 80 and UDP ${LAB_UDP_PORT}, alternating, share one round robin (${answers.join(' ')})`);
    t.equal(new Set(answers.slice(0, 3)).size, 3, 'three consecutive requests on two ports went to three different real servers (one scheduler)');
    const counted = await lab.execOk('lb1', ['iptables', '-w', '-t', 'mangle', '-L', 'PREROUTING', '-v', '-x', '-n']);
    const marked = counted
      .split('\n')
      .filter((l) => l.includes(`MARK set 0x${FWMARK.toString(16)}`))
      .map((l) => Number(l.trim().split(/\s+/)[0]));
    t.ok(marked.length === 2 && marked.every((n) => n > 0), `both MARK rules matched packets (${marked.join(', ')})`);
    const out = await director.stop();
    stopped = true;
    const m = /packets (\d+) \(transmitted \d+, modified (\d+)/.exec(out);
    t.ok(m && Number(m[2]) >= answers.length * 2, `the director rewrote the marked requests and their replies (${m?.[0]})`);
    t.match(out, /rules, routes and addresses removed/, 'director stopped cleanly');
    t.same(await directorLeftovers(lab), [], 'nothing left on lb1');
  });

  await t.test('fwmark service on afpacket is refused at start', async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ulvs-fwmark-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'fwmark.rules');
    writeFileSync(file, `-A -f ${FWMARK} -s rr\n-a -f ${FWMARK} -r ${addr4(lab.node('rs1'))}:0 -g -w 1\n`);
    const r = spawnSync(
      'ip',
      ['netns', 'exec', lab.ns('lb1'), ...commandArgv('director'), '--rules', file, '--iface', 'eth0', '--backend', 'afpacket', '--workers', '1'],
      { encoding: 'utf8', timeout: 30000 },
    );
    t.equal(r.status, 1, 'exit code 1');
    const lines = r.stderr.trim().split('\n');
    t.equal(lines.length, 1, `one line on stderr (${r.stderr.trim()})`);
    t.match(lines[0], /fwmark service 7 .*--backend nfqueue/, 'the sentence names the fwmark service and says to use --backend nfqueue');
    t.notMatch(r.stdout, /ready/, 'it never got ready');
    t.same(await directorLeftovers(lab), [], 'nothing left on lb1');
  });
});
