/**
 * The prom-client registry of the daemon (main thread only): every family reads the MetricsSource in
 * its collect() at scrape time. Names are documented in README.md beside this file.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { defineExporterFamilies } from './exporter-compat.js';
import type { MetricsSource, MetricStats, MetricRates } from './source.js';

type Labels = Record<string, string | number>;
type Reader = (src: MetricsSource) => Array<[Labels, number]>;

/** Options of createMetricsRegistry(). */
export interface MetricsRegistryOptions {
  /** Also register prom-client's process/nodejs metrics (main thread only). Default true. */
  defaultMetrics?: boolean;
}

const VRRP_STATES = ['INIT', 'BACKUP', 'MASTER', 'FAULT'];

function statsPairs(labels: Labels, s: MetricStats, kind: 'packets' | 'bytes'): Array<[Labels, number]> {
  return kind === 'packets'
    ? [
        [{ ...labels, direction: 'in' }, s.inPkts],
        [{ ...labels, direction: 'out' }, s.outPkts],
      ]
    : [
        [{ ...labels, direction: 'in' }, s.inBytes],
        [{ ...labels, direction: 'out' }, s.outBytes],
      ];
}

function ratePairs(labels: Labels, r: MetricRates, kind: 'packets' | 'bytes'): Array<[Labels, number]> {
  return kind === 'packets'
    ? [
        [{ ...labels, direction: 'in' }, r.inPps],
        [{ ...labels, direction: 'out' }, r.outPps],
      ]
    : [
        [{ ...labels, direction: 'in' }, r.inBps],
        [{ ...labels, direction: 'out' }, r.outBps],
      ];
}

/** Creates the registry whose families read `source` at each scrape. */
export function createMetricsRegistry(source: MetricsSource, opts: MetricsRegistryOptions = {}): Registry {
  const registry = new Registry();
  const counter = (name: string, help: string, labelNames: string[], read: Reader): void => {
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const [l, v] of read(source)) this.inc(l, Math.max(0, v));
      },
    });
  };
  const gauge = (name: string, help: string, labelNames: string[], read: Reader): void => {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const [l, v] of read(source)) this.set(l, v);
      },
    });
  };
  const svc = ['service'];
  const rs = ['service', 'real_server'];
  counter('ulvs_virtual_service_connections_total', 'Connections scheduled by the virtual service.', svc, (s) =>
    s.services().map((x) => [{ service: x.service }, x.stats.conns]),
  );
  counter('ulvs_virtual_service_packets_total', 'Packets through the virtual service, by direction.', [...svc, 'direction'], (s) =>
    s.services().flatMap((x) => statsPairs({ service: x.service }, x.stats, 'packets')),
  );
  counter('ulvs_virtual_service_bytes_total', 'Bytes through the virtual service, by direction.', [...svc, 'direction'], (s) =>
    s.services().flatMap((x) => statsPairs({ service: x.service }, x.stats, 'bytes')),
  );
  gauge('ulvs_virtual_service_connections_per_second', 'Estimated new connections per second (2 s EWMA, as ipvsadm --rate).', svc, (s) =>
    s.services().map((x) => [{ service: x.service }, x.rates.cps]),
  );
  gauge('ulvs_virtual_service_packets_per_second', 'Estimated packets per second, by direction.', [...svc, 'direction'], (s) =>
    s.services().flatMap((x) => ratePairs({ service: x.service }, x.rates, 'packets')),
  );
  gauge('ulvs_virtual_service_bytes_per_second', 'Estimated bytes per second, by direction.', [...svc, 'direction'], (s) =>
    s.services().flatMap((x) => ratePairs({ service: x.service }, x.rates, 'bytes')),
  );
  const dests = (s: MetricsSource) => s.services().flatMap((x) => x.dests.map((d) => ({ l: { service: x.service, real_server: d.realServer }, d })));
  counter('ulvs_real_server_connections_total', 'Connections scheduled to the real server.', rs, (s) => dests(s).map(({ l, d }) => [l, d.stats.conns]));
  gauge('ulvs_real_server_active_connections', 'Active connections (ipvsadm ActiveConn).', rs, (s) => dests(s).map(({ l, d }) => [l, d.activeConns]));
  gauge('ulvs_real_server_inactive_connections', 'Inactive connections (ipvsadm InActConn).', rs, (s) => dests(s).map(({ l, d }) => [l, d.inactiveConns]));
  gauge('ulvs_real_server_persistent_connections', 'Persistence templates pointing at the real server (ipvsadm PersistConn).', rs, (s) =>
    dests(s).map(({ l, d }) => [l, d.persistConns]),
  );
  gauge('ulvs_real_server_weight', 'Current weight of the real server (0 = quiesced).', rs, (s) => dests(s).map(({ l, d }) => [l, d.weight]));
  counter('ulvs_real_server_packets_total', 'Packets through the real server, by direction.', [...rs, 'direction'], (s) =>
    dests(s).flatMap(({ l, d }) => statsPairs(l, d.stats, 'packets')),
  );
  counter('ulvs_real_server_bytes_total', 'Bytes through the real server, by direction.', [...rs, 'direction'], (s) =>
    dests(s).flatMap(({ l, d }) => statsPairs(l, d.stats, 'bytes')),
  );
  gauge('ulvs_real_server_connections_per_second', 'Estimated new connections per second to the real server.', rs, (s) =>
    dests(s).map(({ l, d }) => [l, d.rates.cps]),
  );

  const vi = ['instance', 'vrid'];
  gauge('ulvs_vrrp_state', 'VRRP instance state: 1 for the current state label, 0 for the others.', [...vi, 'state'], (s) =>
    s.vrrp().flatMap((v) => VRRP_STATES.map((st) => [{ instance: v.instance, vrid: v.vrid, state: st }, v.state === st ? 1 : 0] as [Labels, number])),
  );
  gauge('ulvs_vrrp_priority', 'Configured VRRP priority.', vi, (s) => s.vrrp().map((v) => [{ instance: v.instance, vrid: v.vrid }, v.priority]));
  gauge('ulvs_vrrp_effective_priority', 'VRRP priority after tracking adjustments.', vi, (s) =>
    s.vrrp().map((v) => [{ instance: v.instance, vrid: v.vrid }, v.effectivePriority]),
  );
  counter('ulvs_vrrp_transitions_total', 'VRRP state transitions.', vi, (s) => s.vrrp().map((v) => [{ instance: v.instance, vrid: v.vrid }, v.transitions]));
  counter('ulvs_vrrp_adverts_sent_total', 'VRRP adverts sent.', vi, (s) => s.vrrp().map((v) => [{ instance: v.instance, vrid: v.vrid }, v.advertsSent]));
  counter('ulvs_vrrp_adverts_received_total', 'VRRP adverts received and accepted.', vi, (s) =>
    s.vrrp().map((v) => [{ instance: v.instance, vrid: v.vrid }, v.advertsReceived]),
  );
  counter('ulvs_vrrp_adverts_dropped_total', 'VRRP adverts received and dropped, by reason.', [...vi, 'reason'], (s) =>
    s.vrrp().flatMap((v) => Object.entries(v.advertsDropped).map(([reason, n]) => [{ instance: v.instance, vrid: v.vrid, reason }, n] as [Labels, number])),
  );

  gauge('ulvs_health_real_server_up', 'Checker verdict: 1 when every checker of the real server succeeds.', rs, (s) =>
    s.health().map((h) => [{ service: h.service, real_server: h.realServer }, h.alive ? 1 : 0]),
  );
  gauge('ulvs_health_real_server_in_service', '1 when the real server is in its virtual service (after policy: inhibit, quorum, sorry server).', rs, (s) =>
    s.health().map((h) => [{ service: h.service, real_server: h.realServer }, h.inService ? 1 : 0]),
  );
  counter('ulvs_health_checks_total', 'Checks run against the real server.', rs, (s) =>
    s.health().map((h) => [{ service: h.service, real_server: h.realServer }, h.checks]),
  );
  counter('ulvs_health_check_failures_total', 'Checks that failed.', rs, (s) =>
    s.health().map((h) => [{ service: h.service, real_server: h.realServer }, h.failures]),
  );

  counter('ulvs_dataplane_drops_total', 'Packets the data plane dropped, by reason.', ['reason'], (s) =>
    Object.entries(s.dataPlane()?.dropsByReason ?? {}).map(([reason, n]) => [{ reason }, n]),
  );
  counter('ulvs_worker_packets_total', 'Packets handled by the worker.', ['worker'], (s) =>
    (s.dataPlane()?.workers ?? []).map((w) => [{ worker: w.worker }, w.packets]),
  );
  counter('ulvs_worker_batches_total', 'Batches handled by the worker.', ['worker'], (s) =>
    (s.dataPlane()?.workers ?? []).map((w) => [{ worker: w.worker }, w.batches]),
  );
  counter('ulvs_worker_queue_drops_total', "Packets the kernel dropped because the worker's queue or ring was full.", ['worker'], (s) =>
    (s.dataPlane()?.workers ?? []).map((w) => [{ worker: w.worker }, w.queueDrops]),
  );
  counter('ulvs_worker_batches_by_size_total', 'Batches with at most `le` packets (cumulative buckets).', ['worker', 'le'], (s) =>
    (s.dataPlane()?.workers ?? []).flatMap((w) => (w.batchSizeBuckets ?? []).map(([le, n]) => [{ worker: w.worker, le: String(le) }, n] as [Labels, number])),
  );

  counter('ulvs_config_reloads_total', 'Configuration reloads, by result.', ['result'], (s) => {
    const r = s.reloads();
    return [
      [{ result: 'ok' }, r.ok],
      [{ result: 'failed' }, r.failed],
    ];
  });
  counter('ulvs_sync_messages_total', 'Connection sync datagrams, by daemon state and direction.', ['state', 'direction'], (s) =>
    (s.sync?.() ?? []).flatMap(
      (d): Array<[Labels, number]> => [
        [{ state: d.state, direction: 'sent' }, d.messagesSent],
        [{ state: d.state, direction: 'received' }, d.messagesReceived],
      ],
    ),
  );
  counter('ulvs_sync_entries_total', 'Connection sync entries (connections and templates), by daemon state and direction.', ['state', 'direction'], (s) =>
    (s.sync?.() ?? []).flatMap(
      (d): Array<[Labels, number]> => [
        [{ state: d.state, direction: 'sent' }, d.entriesSent],
        [{ state: d.state, direction: 'received' }, d.entriesReceived],
      ],
    ),
  );
  counter('ulvs_sync_drops_total', 'Connection sync datagrams or entries dropped, by reason.', ['state', 'reason'], (s) =>
    (s.sync?.() ?? []).flatMap((d) => Object.entries(d.drops).map(([reason, n]): [Labels, number] => [{ state: d.state, reason }, n])),
  );
  gauge(
    'ulvs_sync_last_message_timestamp_seconds',
    'Time of the last sync datagram sent (master) or received (backup), seconds since the epoch.',
    ['state'],
    (s) => (s.sync?.() ?? []).map((d): [Labels, number] => [{ state: d.state }, Math.floor(d.lastMessageMs / 1000)]),
  );
  gauge(
    'ulvs_sync_last_full_sync_timestamp_seconds',
    'Time of the last full sync: master, its last whole-table send; backup, its last bulk sync completed; seconds since the epoch.',
    ['state'],
    (s) => (s.sync?.() ?? []).filter((d) => d.lastFullSyncMs).map((d): [Labels, number] => [{ state: d.state }, Math.floor(d.lastFullSyncMs! / 1000)]),
  );
  gauge('ulvs_sync_lag_seconds', 'Backup: seconds since its master was last heard (a master speaks at least once a second); master: 0.', ['state'], (s) =>
    (s.sync?.() ?? []).map((d): [Labels, number] => [{ state: d.state }, (d.lagMs ?? 0) / 1000]),
  );
  gauge(
    'ulvs_sync_caught_up',
    "Backup: 1 once it holds the master's whole table (bulk sync; until then lvs_sync_daemon holds VRRP preemption), else 0; master: 1.",
    ['state'],
    (s) => (s.sync?.() ?? []).map((d): [Labels, number] => [{ state: d.state }, d.caughtUp === false ? 0 : 1]),
  );
  gauge('ulvs_config_last_reload_success_timestamp_seconds', 'Time of the last successful (re)load, seconds since the epoch.', [], (s) => [
    [{}, s.reloads().lastSuccessTimestampS],
  ]);

  // node_exporter's node_ipvs_* and the keepalived exporters' keepalived_* names, for existing dashboards.
  defineExporterFamilies(counter, gauge);

  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  return registry;
}
