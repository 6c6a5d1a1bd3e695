/**
 * The daemon's MetricsSource: /metrics reads the listing (rules joined with the data plane's shared
 * counters), VRRP and health views at scrape time.
 */
import type { HealthSample, MetricsSource } from '../metrics/source.js';
import type { Daemon } from './daemon.js';
import { serviceKeyText } from '../ipvs/service-key.js';

/** The health checkers' views as the metrics and the dashboard show them, field by field (nothing else of a checker leaves). */
export function healthRows(d: Daemon): HealthSample[] {
  return (d.opts.health?.views() ?? []).map((h) => ({
    service: h.service,
    realServer: h.realServer,
    alive: h.alive,
    inService: h.inService,
    checks: h.checks,
    failures: h.failures,
    firstCheckPending: h.firstCheckPending,
    checkers: h.checkers,
  }));
}

/** Binds /metrics to a daemon. */
export function daemonMetricsSource(d: Daemon): MetricsSource {
  return {
    services: () =>
      d.listing().services.map((s) => {
        const sid = serviceKeyText(s.spec.key);
        return {
          service: sid,
          vip:
            s.spec.key.kind === 'fwmark'
              ? { proto: 'FWM', address: '', port: 0, mark: s.spec.key.fwmark }
              : { proto: s.spec.key.protocol.toUpperCase(), address: s.spec.key.address, port: s.spec.key.port, mark: 0 },
          stats: s.stats,
          rates: s.rates,
          dests: s.dests.map((x) => ({
            realServer: x.family === 6 ? `[${x.address}]:${x.port}` : `${x.address}:${x.port}`,
            address: x.address,
            port: x.port,
            forward: x.forward,
            weight: x.weight,
            activeConns: x.activeConns,
            inactiveConns: x.inactiveConns,
            persistConns: x.persistConns,
            stats: x.stats,
            rates: x.rates,
          })),
        };
      }),
    vrrp: () =>
      (d.opts.vrrp?.instances() ?? []).map((v) => ({
        instance: v.name,
        vrid: v.vrid,
        state: v.state,
        priority: v.priority,
        effectivePriority: v.effectivePriority,
        transitions: v.transitions,
        advertsSent: v.advertsSent,
        advertsReceived: v.advertsReceived,
        advertsDropped: v.advertsDropped,
        interface: v.interface,
        becomeMaster: v.becomeMaster,
        releaseMaster: v.releaseMaster,
        priorityZeroReceived: v.priorityZeroReceived,
        priorityZeroSent: v.priorityZeroSent,
      })),
    health: () => healthRows(d),
    dataPlane: () => d.opts.dataPlane.metrics?.(),
    sync: () => d.sync.counters(),
    reloads: () => ({ ok: d.reloadStats.ok, failed: d.reloadStats.failed, lastSuccessTimestampS: Math.floor(d.reloadStats.lastSuccessMs / 1000) }),
  };
}
