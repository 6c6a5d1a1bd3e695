/**
 * The daemon's DashboardSource: the dashboard reads the listing (rules joined with the shared counters
 * and rates), VRRP and health views, the connection table and `explain` — field by field, so nothing of
 * the configuration beyond these (no auth_pass / auth_data) can reach a page.
 */
import type { DashboardSource, DashConn, DashDest, DashService } from '../dashboard/source.js';
import { addrPortText, serviceKeyText } from '../ipvs/service-key.js';
import type { ServiceKey } from '../ipvs/types.js';
import type { Daemon } from './daemon.js';
import { healthRows } from './metrics-source.js';
import type { HealthView } from './ports.js';
import type { ConnectionEntry, ServiceEntry } from './types.js';

const sameKey = (a: ServiceKey, b: ServiceKey): boolean => serviceKeyText(a) === serviceKeyText(b);

/** The listing's services as the dashboard shows them; a real server's `alive` is its checkers' verdict from `health` (null: it has none). */
export function dashServices(services: ServiceEntry[], health: Pick<HealthView, 'keys' | 'realServer' | 'alive' | 'checkers'>[]): DashService[] {
  return services.map((s) => ({
    key: serviceKeyText(s.spec.key),
    scheduler: s.spec.scheduler,
    persistentS: s.spec.persistenceTimeoutS,
    conns: s.stats.conns,
    inPkts: s.stats.inPkts,
    rates: s.rates,
    dests: s.dests.map((x): DashDest => {
      // A checker's real server: the same address:port in one of the services of its virtual_server block (or group).
      const rs = addrPortText(x.address, x.port);
      const h = health.find((v) => v.realServer === rs && v.keys.some((k) => sameKey(k, s.spec.key)));
      return {
        address: x.address,
        port: x.port,
        forward: x.forward,
        weight: x.weight,
        activeConns: x.activeConns,
        inactiveConns: x.inactiveConns,
        conns: x.stats.conns,
        inPkts: x.stats.inPkts,
        rates: x.rates,
        alive: h && h.checkers.length > 0 ? h.alive : null,
      };
    }),
  }));
}

/** Connection entries as the dashboard's table shows them. */
export function dashConnections(entries: ConnectionEntry[]): DashConn[] {
  return entries.map((c) => ({
    protocol: c.protocol.toUpperCase(),
    client: addrPortText(c.clientAddress, c.clientPort),
    virtual: addrPortText(c.virtualAddress, c.virtualPort),
    dest: addrPortText(c.destAddress, c.destPort),
    state: c.state,
    expiresS: c.expiresS,
  }));
}

/** Binds the dashboard to a daemon. */
export function daemonDashboardSource(d: Daemon): DashboardSource {
  return {
    services: () => dashServices(d.listing().services, d.opts.health?.views() ?? []),
    vrrp: () =>
      (d.opts.vrrp?.instances() ?? []).map((v) => ({
        name: v.name,
        vrid: v.vrid,
        interface: v.interface,
        state: v.state,
        priority: v.priority,
        effectivePriority: v.effectivePriority,
        transitions: v.transitions,
      })),
    health: () => healthRows(d),
    connections: (limit) => dashConnections(d.opts.dataPlane.connections(limit)),
    explain: (flow) => d.opts.dataPlane.explain?.(flow),
    samples: () => d.opts.dataPlane.samples?.() ?? { rate: 0, samples: [] },
    explainSample: (seq) => d.opts.dataPlane.explainSample?.(seq),
  };
}
