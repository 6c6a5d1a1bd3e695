// node_exporter's node_ipvs_* and the keepalived exporters' keepalived_* families: the names, labels and
// value conventions existing IPVS/keepalived dashboards query, computed from the same source as ulvs_*.
import t from 'tap';
import { createMetricsRegistry } from '../../src/metrics/registry.js';
import type { MetricsSource, VrrpSample } from '../../src/metrics/source.js';

const stats = (n: number) => ({ conns: n, inPkts: 10 * n, outPkts: 9 * n, inBytes: 1000 * n, outBytes: 900 * n });
const rates = { cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 };
const dest = (address: string, port: number, weight: number, active: number, inactive: number) => ({
  realServer: address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`,
  address,
  port,
  forward: 'route',
  weight,
  activeConns: active,
  inactiveConns: inactive,
  persistConns: 0,
  stats: stats(1),
  rates,
});
const source: MetricsSource = {
  services: () => [
    {
      service: 'TCP 10.0.0.1:80',
      vip: { proto: 'TCP', address: '10.0.0.1', port: 80, mark: 0 },
      stats: stats(5),
      rates,
      dests: [dest('192.168.10.1', 8080, 3, 4, 1)],
    },
    {
      service: 'UDP [2001:db8::1]:53',
      vip: { proto: 'UDP', address: '2001:db8::1', port: 53, mark: 0 },
      stats: stats(2),
      rates,
      dests: [dest('2001:db8:1::11', 53, 1, 0, 2)],
    },
    { service: 'FWM 7', vip: { proto: 'FWM', address: '', port: 0, mark: 7 }, stats: stats(1), rates, dests: [dest('192.168.10.2', 0, 0, 1, 0)] },
  ],
  vrrp: (): VrrpSample[] => [
    {
      instance: 'VI_1',
      vrid: 51,
      state: 'MASTER',
      priority: 150,
      effectivePriority: 150,
      transitions: 3,
      advertsSent: 100,
      advertsReceived: 7,
      advertsDropped: { ttl: 2, short: 1, 'ip-header': 1, auth: 5, 'auth-type': 1, interval: 3, 'addr-list': 4, type: 6 },
      interface: 'eth0',
      becomeMaster: 2,
      releaseMaster: 1,
      priorityZeroReceived: 1,
      priorityZeroSent: 0,
    },
    {
      instance: 'VI_2',
      vrid: 52,
      state: 'FAULT',
      priority: 100,
      effectivePriority: 100,
      transitions: 0,
      advertsSent: 0,
      advertsReceived: 0,
      advertsDropped: {},
      interface: 'eth1',
    },
  ],
  health: () => [],
  dataPlane: () => undefined,
  reloads: () => ({ ok: 1, failed: 0, lastSuccessTimestampS: 0 }),
};

t.test('node_exporter IPVS names: totals over every service, one backend series per real server', async (t) => {
  const text = await createMetricsRegistry(source, { defaultMetrics: false }).metrics();
  for (const line of [
    'node_ipvs_connections_total 8',
    'node_ipvs_incoming_packets_total 80',
    'node_ipvs_outgoing_packets_total 72',
    'node_ipvs_incoming_bytes_total 8000',
    'node_ipvs_outgoing_bytes_total 7200',
    'node_ipvs_backend_connections_active{local_address="10.0.0.1",local_port="80",remote_address="192.168.10.1",remote_port="8080",proto="TCP",local_mark=""} 4',
    'node_ipvs_backend_connections_inactive{local_address="10.0.0.1",local_port="80",remote_address="192.168.10.1",remote_port="8080",proto="TCP",local_mark=""} 1',
    'node_ipvs_backend_weight{local_address="10.0.0.1",local_port="80",remote_address="192.168.10.1",remote_port="8080",proto="TCP",local_mark=""} 3',
    'node_ipvs_backend_connections_inactive{local_address="2001:db8::1",local_port="53",remote_address="2001:db8:1::11",remote_port="53",proto="UDP",local_mark=""} 2',
    'node_ipvs_backend_connections_active{local_address="",local_port="0",remote_address="192.168.10.2",remote_port="0",proto="FWM",local_mark="7"} 1',
  ])
    t.ok(text.includes(line + '\n'), line);
  t.match(text, /# TYPE node_ipvs_connections_total counter/);
  t.match(text, /# TYPE node_ipvs_backend_weight gauge/);
});

t.test('keepalived exporter names: state numbered as keepalived does, stats and error counters per instance', async (t) => {
  const text = await createMetricsRegistry(source, { defaultMetrics: false }).metrics();
  for (const line of [
    'keepalived_up 1',
    'keepalived_vrrp_state{iname="VI_1",intf="eth0",vrid="51"} 2',
    'keepalived_vrrp_state{iname="VI_2",intf="eth1",vrid="52"} 3',
    'keepalived_advertisements_received_total{iname="VI_1",intf="eth0",vrid="51"} 7',
    'keepalived_advertisements_sent_total{iname="VI_1",intf="eth0",vrid="51"} 100',
    'keepalived_become_master_total{iname="VI_1",intf="eth0",vrid="51"} 2',
    'keepalived_release_master_total{iname="VI_1",intf="eth0",vrid="51"} 1',
    'keepalived_priority_zero_received_total{iname="VI_1",intf="eth0",vrid="51"} 1',
    'keepalived_ip_ttl_errors_total{iname="VI_1",intf="eth0",vrid="51"} 2',
    'keepalived_packet_length_errors_total{iname="VI_1",intf="eth0",vrid="51"} 2',
    'keepalived_authentication_failure_total{iname="VI_1",intf="eth0",vrid="51"} 5',
    'keepalived_authentication_mismatch_total{iname="VI_1",intf="eth0",vrid="51"} 1',
    'keepalived_advertisements_interval_errors_total{iname="VI_1",intf="eth0",vrid="51"} 3',
    'keepalived_address_list_errors_total{iname="VI_1",intf="eth0",vrid="51"} 4',
    'keepalived_invalid_type_received_total{iname="VI_1",intf="eth0",vrid="51"} 6',
    'keepalived_become_master_total{iname="VI_2",intf="eth1",vrid="52"} 0',
  ])
    t.ok(text.includes(line + '\n'), line);
  t.match(text, /# TYPE keepalived_vrrp_state gauge/);
  t.match(text, /# TYPE keepalived_become_master_total counter/);
});
