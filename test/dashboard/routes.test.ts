// The dashboard over HTTP (the metrics server's routes): the page, its script and uPlot from the npm
// package, the JSON it polls, connections paged and filtered, the walk's bad input; GET only, no body,
// bounded URL — and the history the timeline draws records each VRRP and health change once.
import t from 'tap';
import net from 'node:net';
import { Registry } from 'prom-client';
import { startMetricsServer } from '../../src/metrics/server.js';
import { dashboardRoutes, MAX_SCAN } from '../../src/dashboard/routes.js';
import { DashboardHistory } from '../../src/dashboard/history.js';
import type { DashboardSource, DashConn, DashVrrp } from '../../src/dashboard/source.js';

const rates = { cps: 1, inPps: 10, outPps: 0, inBps: 100, outBps: 0 };
const vrrp: DashVrrp[] = [{ name: 'VI_1', vrid: 51, interface: 'eth0', state: 'BACKUP', priority: 100, effectivePriority: 100, transitions: 0 }];
const alive = { v: true };
const asked = { limit: 0 };
const conns: DashConn[] = Array.from({ length: 120 }, (_, i) => ({
  protocol: 'TCP',
  client: `198.51.100.${i % 3}:${40000 + i}`,
  virtual: '198.18.0.100:80',
  dest: `198.18.0.1${i % 3}:80`,
  state: i % 2 ? 'ESTABLISHED' : 'FIN_WAIT',
  expiresS: 10,
}));
const src: DashboardSource = {
  services: () => [
    {
      key: 'TCP 198.18.0.100:80',
      scheduler: 'rr',
      persistentS: 0,
      conns: 5,
      inPkts: 50,
      rates,
      dests: [{ address: '198.18.0.11', port: 80, forward: 'nat', weight: 1, activeConns: 2, inactiveConns: 1, conns: 5, inPkts: 50, rates, alive: alive.v }],
    },
  ],
  vrrp: () => vrrp,
  health: () => [
    {
      service: 'TCP 198.18.0.100 80',
      realServer: '198.18.0.11:80',
      alive: alive.v,
      inService: alive.v,
      checks: 3,
      failures: 0,
      firstCheckPending: false,
      checkers: ['TCP_CHECK'],
    },
  ],
  connections: (limit: number) => {
    asked.limit = limit;
    return conns.slice(0, limit);
  },
  explain: () => undefined,
  samples: () => ({ rate: 0, samples: [] }),
  explainSample: () => undefined,
};

const history = new DashboardHistory(src);
const srv = await startMetricsServer('127.0.0.1:0', new Registry(), {}, dashboardRoutes(src, history));
t.teardown(() => srv.close());
const base = `http://127.0.0.1:${srv.address.port}`;

t.test('the page, its script and uPlot are served from the package', async (t) => {
  const page = await fetch(`${base}/`);
  t.equal(page.status, 200);
  t.match(page.headers.get('content-type'), /text\/html/);
  t.match(page.headers.get('content-security-policy'), /default-src 'self'/);
  t.match(await page.text(), /<script src="\/ui\/uPlot.iife.min.js">/);
  const up = await fetch(`${base}/ui/uPlot.iife.min.js`);
  t.equal(up.status, 200);
  t.match(await up.text(), /uPlot/);
  t.equal((await fetch(`${base}/ui/dashboard.js`)).status, 200);
  t.equal((await fetch(`${base}/ui/../package.json`)).status, 404, 'only the named files');
  t.equal((await fetch(`${base}/favicon.ico`)).status, 204, 'no icon, and no 404 in the console');
  t.equal((await fetch(`${base}/metrics`)).status, 200, '/metrics still there');
});

t.test('state, history, connections paged and filtered', async (t) => {
  const st = (await (await fetch(`${base}/api/state`)).json()) as { services: Array<{ dests: Array<{ activeConns: number }> }>; vrrp: DashVrrp[] };
  t.equal(st.services[0]!.dests[0]!.activeConns, 2);
  t.equal(st.vrrp[0]!.state, 'BACKUP');
  const page2 = (await (await fetch(`${base}/api/connections?offset=50&limit=50`)).json()) as { total: number; items: DashConn[] };
  t.equal(page2.total, 120);
  t.equal(asked.limit, MAX_SCAN, 'the table is listed up to MAX_SCAN entries only, never whole');
  t.equal((page2 as unknown as { capped: boolean }).capped, false);
  t.equal(page2.items.length, 50);
  t.equal(page2.items[0]!.client, '198.51.100.2:40050');
  const f = (await (await fetch(`${base}/api/connections?q=${encodeURIComponent('established 198.18.0.11:80')}`)).json()) as { total: number };
  t.equal(f.total, 20, 'every word of the filter must occur');
  const g = (await (await fetch(`${base}/api/connections?q=198.51.100.1:&limit=100000`)).json()) as { total: number; limit: number };
  t.equal(g.total, 40);
  t.equal(g.limit, 500, 'pages are capped');
  const w = await fetch(`${base}/api/walk?proto=icmp&client=1.2.3.4:1&vip=198.18.0.100:80`);
  t.equal(w.status, 400);
  t.match(((await w.json()) as { error: string }).error, /tcp, udp or sctp/);
  t.equal((await fetch(`${base}/api/walk?proto=tcp&client=1.2.3.4:1&vip=198.18.0.100:80`)).status, 409, 'no rules yet');
  t.equal((await fetch(`${base}/api/walk?sample=7`)).status, 404, 'a sample that is gone');
  t.equal((await fetch(`${base}/api/walk?sample=x`)).status, 400);
  t.same(await (await fetch(`${base}/api/samples`)).json(), { rate: 0, samples: [] });
});

t.test('history: one event per VRRP / health change, series per service', async (t) => {
  history.sample(1000);
  history.sample(2000);
  vrrp[0]!.state = 'MASTER';
  alive.v = false;
  history.sample(3000);
  const h = (await (await fetch(`${base}/api/history`)).json()) as {
    vrrp: Array<{ from: string; to: string; atMs: number }>;
    health: Array<{ alive: boolean }>;
    rates: { t: number[]; values: Record<string, number[]> };
  };
  t.same(
    h.vrrp.map((e) => [e.from, e.to, e.atMs]),
    [
      ['', 'BACKUP', 1000],
      ['BACKUP', 'MASTER', 3000],
    ],
  );
  t.same(
    h.health.map((e) => e.alive),
    [true, false],
  );
  t.same(h.rates.t, [1000, 2000, 3000]);
  t.same(h.rates.values['TCP 198.18.0.100:80 inPps'], [10, 10, 10]);
});

function raw(request: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(srv.address.port, '127.0.0.1', () => s.write(request));
    let out = '';
    s.on('data', (d) => {
      out += d.toString();
    });
    s.on('close', () => resolve(out));
    s.on('error', () => resolve(out));
    setTimeout(() => s.destroy(), 2000);
  });
}

t.test('read only and bounded: GET only, no body, no huge URL or headers', async (t) => {
  t.match(await raw('POST /api/state HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'), /^HTTP\/1.1 405/);
  t.match(await raw('GET /api/state HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello'), /^HTTP\/1.1 413/);
  t.match(await raw(`GET /api/connections?q=${'a'.repeat(5000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`), /^HTTP\/1.1 414/);
  t.match(await raw(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(10000)}\r\nConnection: close\r\n\r\n`), /^HTTP\/1.1 431|^$/);
});
