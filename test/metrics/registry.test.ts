// /metrics: families read the source at scrape time; names and values as documented in src/metrics/README.md.
import t from 'tap';
import http from 'node:http';
import { createMetricsRegistry } from '../../src/metrics/registry.js';
import { parseListenAddress, startMetricsServer } from '../../src/metrics/server.js';
import type { MetricsSource, ServiceSample } from '../../src/metrics/source.js';

const stats = (n: number) => ({ conns: n, inPkts: 10 * n, outPkts: 9 * n, inBytes: 1000 * n, outBytes: 900 * n });
const rates = { cps: 3, inPps: 30, outPps: 27, inBps: 3000, outBps: 2700 };
let scrapes = 0;
let conns = 5;
const source: MetricsSource = {
  services: (): ServiceSample[] => {
    scrapes++;
    return [
      {
        service: 'TCP 10.0.0.1:80',
        stats: stats(conns),
        rates,
        dests: [{ realServer: '192.168.10.1:80', forward: 'nat', weight: 2, activeConns: 4, inactiveConns: 1, persistConns: 0, stats: stats(conns), rates }],
      },
    ];
  },
  vrrp: () => [
    {
      instance: 'VI_1',
      vrid: 51,
      state: 'MASTER',
      priority: 150,
      effectivePriority: 140,
      transitions: 2,
      advertsSent: 100,
      advertsReceived: 3,
      advertsDropped: { 'auth-failure': 4 },
    },
  ],
  health: () => [
    {
      service: 'TCP 10.0.0.1:80',
      realServer: '192.168.10.1:80',
      alive: true,
      inService: true,
      checks: 12,
      failures: 1,
      firstCheckPending: false,
      checkers: ['TCP_CHECK'],
    },
  ],
  dataPlane: () => ({
    dropsByReason: { 'no-dest': 7 },
    workers: [
      {
        worker: 0,
        packets: 1000,
        batches: 40,
        queueDrops: 2,
        batchSizeBuckets: [
          [1, 10],
          [64, 40],
        ],
      },
    ],
  }),
  reloads: () => ({ ok: 3, failed: 1, lastSuccessTimestampS: 1700000000 }),
  sync: () => [
    {
      state: 'backup',
      messagesSent: 0,
      entriesSent: 0,
      messagesReceived: 6,
      entriesReceived: 200,
      drops: { 'no-dest': 3, syncid: 1 },
      lastMessageMs: 1700000001500,
      lastFullSyncMs: 1700000000000,
      lagMs: 1500,
      caughtUp: false,
    },
  ],
};

t.test('families and values, read at scrape time', async (t) => {
  const reg = createMetricsRegistry(source, { defaultMetrics: false });
  const before = scrapes;
  const text = await reg.metrics();
  t.ok(scrapes > before, 'read at scrape time');
  for (const line of [
    'ulvs_virtual_service_connections_total{service="TCP 10.0.0.1:80"} 5',
    'ulvs_virtual_service_packets_total{service="TCP 10.0.0.1:80",direction="in"} 50',
    'ulvs_virtual_service_bytes_total{service="TCP 10.0.0.1:80",direction="out"} 4500',
    'ulvs_virtual_service_connections_per_second{service="TCP 10.0.0.1:80"} 3',
    'ulvs_real_server_active_connections{service="TCP 10.0.0.1:80",real_server="192.168.10.1:80"} 4',
    'ulvs_real_server_inactive_connections{service="TCP 10.0.0.1:80",real_server="192.168.10.1:80"} 1',
    'ulvs_real_server_weight{service="TCP 10.0.0.1:80",real_server="192.168.10.1:80"} 2',
    'ulvs_vrrp_state{instance="VI_1",vrid="51",state="MASTER"} 1',
    'ulvs_vrrp_state{instance="VI_1",vrid="51",state="BACKUP"} 0',
    'ulvs_vrrp_effective_priority{instance="VI_1",vrid="51"} 140',
    'ulvs_vrrp_adverts_dropped_total{instance="VI_1",vrid="51",reason="auth-failure"} 4',
    'ulvs_health_real_server_up{service="TCP 10.0.0.1:80",real_server="192.168.10.1:80"} 1',
    'ulvs_health_check_failures_total{service="TCP 10.0.0.1:80",real_server="192.168.10.1:80"} 1',
    'ulvs_dataplane_drops_total{reason="no-dest"} 7',
    'ulvs_worker_queue_drops_total{worker="0"} 2',
    'ulvs_worker_batches_by_size_total{worker="0",le="64"} 40',
    'ulvs_config_reloads_total{result="failed"} 1',
    'ulvs_sync_messages_total{state="backup",direction="received"} 6',
    'ulvs_sync_entries_total{state="backup",direction="received"} 200',
    'ulvs_sync_drops_total{state="backup",reason="no-dest"} 3',
    'ulvs_sync_drops_total{state="backup",reason="syncid"} 1',
    'ulvs_sync_last_message_timestamp_seconds{state="backup"} 1700000001',
    'ulvs_sync_last_full_sync_timestamp_seconds{state="backup"} 1700000000',
    'ulvs_sync_lag_seconds{state="backup"} 1.5',
    'ulvs_sync_caught_up{state="backup"} 0',
    'ulvs_config_last_reload_success_timestamp_seconds 1700000000',
  ])
    t.ok(text.includes(line + '\n'), line);
  conns = 8;
  t.match(await reg.metrics(), /ulvs_virtual_service_connections_total\{service="TCP 10\.0\.0\.1:80"\} 8\n/, 'new value on the next scrape');
});

t.test('HTTP endpoint: /metrics, /healthz, 404; default process metrics in the main thread', async (t) => {
  const srv = await startMetricsServer('127.0.0.1:0', createMetricsRegistry(source));
  t.teardown(() => srv.close());
  const get = (p: string) =>
    new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: srv.address.port, path: p }, (res) => {
          let body = '';
          res.on('data', (d) => {
            body += d;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
        })
        .on('error', reject);
    });
  const m = await get('/metrics');
  t.equal(m.status, 200);
  t.match(m.type, /text\/plain; version=0\.0\.4/);
  t.match(m.body, /# TYPE ulvs_real_server_connections_total counter/);
  t.match(m.body, /process_cpu_seconds_total/);
  t.equal((await get('/healthz')).status, 200);
  t.equal((await get('/nope')).status, 404);
});

t.test('listen address parsing', async (t) => {
  t.same(parseListenAddress('127.0.0.1:9406'), { host: '127.0.0.1', port: 9406 });
  t.same(parseListenAddress('[::1]:9406'), { host: '::1', port: 9406 });
  t.same(parseListenAddress(':9406'), { host: '127.0.0.1', port: 9406 });
  t.throws(() => parseListenAddress('9406'), /use HOST:PORT/);
});
