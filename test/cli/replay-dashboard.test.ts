// `ulvs replay --dashboard`'s source: the capture's packets listed with their fate, the walk of packet N
// as the replay saw it (the table the packets before N left — not the table at the end), the services'
// counters and the connection table at the end, the rate chart over the capture's clock; and the routes
// over HTTP (paged, filtered, bad packet numbers), GET only as every dashboard route.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { loadReplayDashboard } from '../../src/cli/replay-dashboard.js';
import { parseReplayArgs } from '../../src/cli/commands/replay.js';
import { dashboardRoutes } from '../../src/dashboard/routes.js';
import { packetWalk } from '../../src/dashboard/walk.js';
import { startMetricsServer } from '../../src/metrics/server.js';
import { PKT, writeCapture } from '../fixtures/replay-dashboard/capture.js';

const dir = mkdtempSync(join(tmpdir(), 'ulvs-replay-dash-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const { rules, pcap } = writeCapture(dir);
const o = parseReplayArgs(['--rules', rules, '--in', pcap, '--local-ip', '198.18.0.11', '--dashboard']);
const d = await loadReplayDashboard(o);
const r = d.source.replay!;

t.test('the packet list: every packet with its flow, flags, verdict and real server', async (t) => {
  t.equal(d.packets, 7);
  t.equal(r.file, 'capture.pcap');
  t.same(
    r.packets.map((p) => [p.n, p.flags, p.verdict, p.to]),
    [
      [1, 'S', 'transmit', '198.18.0.22'],
      [2, 'A', 'transmit', '198.18.0.22'],
      [3, 'S', 'transmit', '198.18.0.21'],
      [4, 'S', 'transmit', '198.18.0.21'],
      [5, 'S', 'transmit', '198.18.0.22'],
      [6, 'R', 'transmit', '198.18.0.22'],
      [7, 'SA', 'transmit', 'client side'],
    ],
    'rr starts at the last real server added (kernel order)',
  );
  t.equal(r.packets[3]!.flow, 'tcp 198.51.100.7:40003 > 198.18.0.100:8081');
  t.equal(r.packets[1]!.timeMs, 1001);
});

t.test('packet N is walked against the table as it was at N, not at the end', async (t) => {
  const syn = (await r.walk(PKT.natSyn))!;
  t.ok(syn.connection.created, 'packet 1 creates its connection (at the end of the capture that connection exists, CLOSE)');
  t.equal(syn.method, 'nat');
  t.ok(syn.reply, "NAT: the real server's answer is walked too");
  const ack = (await r.walk(PKT.natAck))!;
  t.notOk(ack.connection.created);
  t.equal(ack.state.before, 'SYN_RECV', 'packet 2 meets the entry packet 1 left');
  t.equal(ack.state.after, 'ESTABLISHED');
  t.equal(ack.connection.before?.dest, '198.18.0.22');
  const syn2 = (await r.walk(PKT.natSyn2))!;
  t.equal(syn2.connection.after?.dest, '198.18.0.21', 'rr at packet 3: the other real server');
  t.equal((await r.walk(PKT.drSyn))!.method, 'dr');
  t.equal((await r.walk(PKT.tunSyn))!.method, 'tun');
  t.equal((await r.walk(PKT.natRst))!.state.after, 'CLOSE');
  // Packet 7, the NAT real server's answer, walks from the real server: real server -> director -> client.
  const ans = (await r.walk(PKT.natAnswer))!;
  t.equal(ans.direction, 'reply');
  t.same(
    packetWalk(ans).hops.map((h) => [h.from, h.to]),
    [
      ['real server 198.18.0.21:80', 'director'],
      ['director', 'client'],
    ],
  );
  t.ok(
    packetWalk(ans).hops[1]!.fields.some((f) => f.layer === 'ip' && f.name === 'src' && f.changed && f.value === '198.18.0.100'),
    'the source becomes the VIP',
  );
  t.equal(await r.walk(8), undefined, 'no packet 8');
  t.equal(await r.walk(0), undefined);
});

t.test('services, connections and rates as the capture ends', async (t) => {
  const s = d.source.services();
  t.same(
    s.map((x) => [x.key, x.conns, x.inPkts]),
    [
      ['TCP 198.18.0.100:80', 2, 4],
      ['TCP 198.18.0.100:8081', 1, 1],
      ['TCP 198.18.0.100:8082', 1, 1],
    ],
  );
  const c = d.source.connections(100);
  t.equal(c.length, 4);
  t.equal(c.find((x) => x.client === '198.51.100.7:40001')?.state, 'CLOSE');
  const h = d.history.rates;
  t.ok(h.t.length >= 2, `a point per second of capture time (${h.t.length})`);
  t.equal(h.t[0], 2000, 'the chart runs on the capture clock');
  t.equal(h.values['TCP 198.18.0.100:80 inPps']![0], 3, 'second 1: three packets to :80');
  const sum = (k: string) => h.values[k]!.reduce((a, b) => a + b, 0);
  t.equal(sum('TCP 198.18.0.100:80 inPps'), 4, 'every :80 packet is on the chart once');
  t.equal(sum('TCP 198.18.0.100:80 cps'), 2);
  t.equal(sum('TCP 198.18.0.100:80 -> 198.18.0.22:80 inPps'), 3, 'and each real server has its line: .22 got packets 1, 2 and 6');
  const e = d.source.explain({ proto: 6, src: '198.51.100.7', sport: 40001, dst: '198.18.0.100', dport: 80, tcpFlags: 0x10 })!;
  t.equal(e.state.before, 'CLOSE', "a typed flow is explained against the end state (the RST's CLOSE)");
});

t.test('the routes: /api/replay paged and filtered, /api/walk?packet=N', async (t) => {
  const srv = await startMetricsServer('127.0.0.1:0', new Registry(), {}, dashboardRoutes(d.source, d.history));
  t.teardown(() => srv.close());
  const base = `http://127.0.0.1:${srv.address.port}`;
  const get = async (u: string) => {
    const res = await fetch(base + u);
    return { status: res.status, body: await res.json() };
  };
  const st = await get('/api/state');
  t.same(st.body.replay, { file: 'capture.pcap', packets: 7, lastMs: 6000 });
  const page = await get('/api/replay?offset=2&limit=2');
  t.same(
    page.body.items.map((p: { n: number }) => p.n),
    [3, 4],
  );
  t.equal(page.body.total, 7);
  const f = await get(`/api/replay?q=${encodeURIComponent(':8082 [s]')}`);
  t.same(
    f.body.items.map((p: { n: number }) => p.n),
    [5],
    'filter words: port and flags',
  );
  const w = await get('/api/walk?packet=2');
  t.equal(w.status, 200);
  t.equal(w.body.packet, 2);
  t.equal(w.body.mode, 'nat');
  t.equal(w.body.hops.length, 4, 'client -> director -> real server -> director -> client');
  t.ok(w.body.hops[1].fields.some((x: { name: string; layer: string; changed: boolean }) => x.layer === 'ip' && x.name === 'dst' && x.changed));
  t.equal((await get('/api/walk?packet=99')).status, 404);
  t.equal((await get('/api/walk?packet=-1')).status, 400);
  t.equal((await fetch(`${base}/api/replay`, { method: 'POST' })).status, 405, 'GET only');
});

t.test('the command line: --listen needs --dashboard, --dashboard takes no --explain, no --out needed', async (t) => {
  t.throws(() => parseReplayArgs(['--rules', rules, '--in', pcap, '--listen', '127.0.0.1:0']), /--listen is the address of --dashboard/);
  t.throws(() => parseReplayArgs(['--rules', rules, '--in', pcap, '--dashboard', '--explain', '2']), /pick one/);
  t.equal(parseReplayArgs(['--rules', rules, '--in', pcap, '--dashboard']).out, '/dev/null');
});
