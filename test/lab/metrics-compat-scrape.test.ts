// A scrape of a running director (`ulvs run -f keepalived.conf`, NAT, HTTP through the VIP): the
// node_exporter IPVS families and the keepalived exporter's VRRP families carry the values `ulvsadm -L -n
// --stats --exact` and `ulvsadm -L -n` print, and `ulvs explain` answers live through the control socket
// (the connection the traffic made is hit, nothing of it changes), for a flow or a sampled live packet.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { callOnce } from '../../src/api/client.js';
import { failoverConfig } from '../../src/lab/failover-demo.js';
import { Lab, uniqueLabId } from '../../src/lab/lab.js';
import { commandArgv, prepareRealServers, requestsThroughVip } from '../../src/lab/modes.js';
import { LAB_ADDR } from '../../src/lab/topology.js';

const root = process.getuid?.() === 0;
const ULVSADM = path.join(import.meta.dirname, '../../bin/ulvsadm.mjs');
const ULVS = path.join(import.meta.dirname, '../../bin/ulvs.mjs');

/** Samples of `family` as [labels text, value]. */
function samples(text: string, family: string): Array<[string, number]> {
  return [...text.matchAll(new RegExp(`^${family}(\\{[^}]*\\})? (\\S+)$`, 'gm'))].map((m) => [m[1] ?? '', Number(m[2])]);
}

t.test('node_ipvs_* / keepalived_* against ulvsadm; live explain', { skip: !root && 'needs root' }, async (t) => {
  const lab = await Lab.up({ id: uniqueLabId() });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ulvs-scrape-'));
  t.teardown(async () => {
    await lab.down();
    rmSync(dir, { recursive: true, force: true });
  });
  t.teardown(await prepareRealServers(lab, 'nat'));
  await lab.execOk('lb1', ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
  const file = path.join(dir, 'keepalived.conf');
  writeFileSync(file, failoverConfig(lab, 150));
  const sock = path.join(dir, 'ulvs.sock');
  const d = lab.spawn('lb1', [
    ...commandArgv('run'),
    '-f',
    file,
    '--backend',
    'afpacket',
    '--iface',
    'eth0',
    '--workers',
    '1',
    '--socket',
    sock,
    '--pid-file',
    path.join(dir, 'pid'),
  ]);
  let log = '';
  d.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  t.teardown(() => void d.kill('SIGKILL'));
  let master = false;
  for (let i = 0; i < 100 && !master; i++) {
    master = await callOnce<{ vrrp: Array<{ state: string }> }>(sock, 'status').then(
      (s) => s.vrrp[0]?.state === 'MASTER',
      () => false,
    );
    if (!master) await new Promise((r) => setTimeout(r, 200));
  }
  if (!t.ok(master, 'MASTER')) return void t.comment(log);
  const answers = await requestsThroughVip(lab, 9);
  t.equal(answers.filter(Boolean).length, 9, 'traffic through the VIP');
  const env = { ...process.env, ULVS_SOCKET: sock };
  const scrape = () => lab.execOk('lb1', ['curl', '-sf', 'http://127.0.0.1:9406/metrics']);
  const m1 = await scrape();
  const stats = await lab.execOk('lb1', [process.execPath, ULVSADM, '-L', '-n', '--stats', '--exact'], { env });
  const list = await lab.execOk('lb1', [process.execPath, ULVSADM, '-L', '-n'], { env });
  t.equal(
    await scrape().then((m2) => samples(m2, 'node_ipvs_incoming_packets_total')[0]?.[1]),
    samples(m1, 'node_ipvs_incoming_packets_total')[0]?.[1],
    'no traffic between the reads',
  );
  // The service line of --stats: Conns InPkts OutPkts InBytes OutBytes.
  const svc = /^TCP\s+198\.18\.0\.100:80\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(stats);
  if (!t.ok(svc, 'ulvsadm --stats lists the service')) return void t.comment(stats);
  const [conns, inPkts, outPkts, inBytes, outBytes] = svc!.slice(1).map(Number);
  t.ok(conns! >= 9, 'the connections were counted');
  t.equal(samples(m1, 'node_ipvs_connections_total')[0]?.[1], conns);
  t.equal(samples(m1, 'node_ipvs_incoming_packets_total')[0]?.[1], inPkts);
  t.equal(samples(m1, 'node_ipvs_outgoing_packets_total')[0]?.[1], outPkts);
  t.equal(samples(m1, 'node_ipvs_incoming_bytes_total')[0]?.[1], inBytes);
  t.equal(samples(m1, 'node_ipvs_outgoing_bytes_total')[0]?.[1], outBytes);
  // Each real server line of -L -n: -> ADDR:PORT Forward Weight ActiveConn InActConn.
  const rsLines = [...list.matchAll(/^\s+->\s+([\d.]+):(\d+)\s+\S+\s+(\d+)\s+(\d+)\s+(\d+)/gm)];
  t.equal(rsLines.length, 3, 'three real servers');
  for (const [, addr, port, weight, active, inactive] of rsLines) {
    const sel = `local_address="${LAB_ADDR.vip4}",local_port="80",remote_address="${addr}",remote_port="${port}",proto="TCP"`;
    const pick = (f: string) => samples(m1, f).find(([l]) => l.includes(sel))?.[1];
    t.equal(pick('node_ipvs_backend_weight'), Number(weight), `${addr} weight`);
    t.equal(pick('node_ipvs_backend_connections_active'), Number(active), `${addr} active`);
    t.equal(pick('node_ipvs_backend_connections_inactive'), Number(inactive), `${addr} inactive`);
  }
  t.equal(samples(m1, 'keepalived_vrrp_state').find(([l]) => l.includes('iname="VI_1"'))?.[1], 2, 'keepalived_vrrp_state MASTER = 2');
  t.ok((samples(m1, 'keepalived_advertisements_sent_total')[0]?.[1] ?? 0) > 0, 'adverts sent');
  t.equal(samples(m1, 'keepalived_become_master_total')[0]?.[1], 1);

  // ulvs explain, live: a packet of a connection the traffic made hits it; the live table does not change.
  const c = (await callOnce<Array<{ clientAddress: string; clientPort: number; destAddress: string }>>(sock, 'connections'))[0]!;
  const ex = await lab.execOk(
    'lb1',
    [process.execPath, ULVS, 'explain', '--json', 'tcp', `${c.clientAddress}:${c.clientPort}`, `${LAB_ADDR.vip4}:80`, '--flags', 'A'],
    { env },
  );
  const e = JSON.parse(ex) as { connection: { before: { dest: string } | null; created: boolean }; method: string };
  t.equal(e.connection.before?.dest, c.destAddress, 'live explain hits the connection the traffic made');
  t.notOk(e.connection.created);
  t.equal(e.method, 'nat');
  const no = await lab.execOk('lb1', [process.execPath, ULVS, 'explain', 'udp', '198.18.1.2:1000', `${LAB_ADDR.vip4}:80`], { env });
  t.match(no, /no virtual service matches/);

  // Sampled live packets: off until asked, then the workers' verdict of real traffic, explained on a copy.
  const ulvs = (...a: string[]) => lab.execOk('lb1', [process.execPath, ULVS, 'explain', ...a], { env });
  t.same(JSON.parse(await ulvs('--samples', '--json')), { rate: 0, samples: [] }, 'no samples while off');
  t.match(await ulvs('--sampling', '20'), /sampling up to 20/);
  await requestsThroughVip(lab, 3);
  const sampled = JSON.parse(await ulvs('--samples', '--json')) as { rate: number; samples: Array<{ seq: number; flow: string; verdict: string }> };
  t.equal(sampled.rate, 20);
  const toVip = sampled.samples.find((x) => x.flow.includes(`> ${LAB_ADDR.vip4}:80`));
  if (!t.ok(toVip, 'a client packet to the VIP was sampled')) return void t.comment(JSON.stringify(sampled));
  t.equal(toVip!.verdict, 'transmit', 'with the verdict the workers gave it');
  const se = JSON.parse(await ulvs('--sample', String(toVip!.seq), '--json')) as { live: { seq: number; verdict: string }; service: { key: string } };
  t.equal(se.live.seq, toVip!.seq);
  t.equal(se.service.key, 'TCP 198.18.0.100:80');
  await ulvs('--sampling', '0');
});
