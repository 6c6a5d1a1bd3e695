/**
 * The daemon's DashboardSource: the dashboard reads the listing (rules joined with the shared counters
 * and rates), VRRP and health views, the connection table and `explain` — field by field, so nothing of
 * the configuration beyond these (no auth_pass / auth_data) can reach a page.
 */
import type { DashboardSource, DashDest, DashService } from '../dashboard/source.js';
import type { Daemon } from './daemon.js';
import { healthRows } from './metrics-source.js';
import type { ServiceEntry } from './types.js';

const ep = (a: string, p: number): string => (a.includes(':') ? `[${a}]:${p}` : `${a}:${p}`);

function keyText(s: ServiceEntry): string {
  const k = s.spec.key;
  return k.kind === 'fwmark' ? `FWM ${k.fwmark}` : `${k.protocol.toUpperCase()} ${ep(k.address, k.port)}`;
}

/** Binds the dashboard to a daemon. */
export function daemonDashboardSource(d: Daemon): DashboardSource {
  const health = () => healthRows(d);
  return {
    services: (): DashService[] => {
      const hv = health();
      return d.listing().services.map((s) => {
        const k = s.spec.key;
        const vipText = k.kind === 'addr' ? ep(k.address, k.port) : '';
        return {
          key: keyText(s),
          scheduler: s.spec.scheduler,
          persistentS: s.spec.persistenceTimeoutS,
          conns: s.stats.conns,
          inPkts: s.stats.inPkts,
          rates: s.rates,
          dests: s.dests.map((x): DashDest => {
            const rs = ep(x.address, x.port);
            const h = hv.find(
              (v) =>
                (v.realServer === rs || v.realServer.endsWith(` ${rs}`)) &&
                (vipText === '' || v.service.includes(vipText.replace(':', ' ')) || v.service.includes(vipText)),
            );
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
              alive: h ? h.alive : null,
            };
          }),
        };
      });
    },
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
    health,
    connections: (limit) =>
      d.opts.dataPlane.connections(limit).map((c) => ({
        protocol: c.protocol.toUpperCase(),
        client: ep(c.clientAddress, c.clientPort),
        virtual: ep(c.virtualAddress, c.virtualPort),
        dest: ep(c.destAddress, c.destPort),
        state: c.state,
        expiresS: c.expiresS,
      })),
    explain: (flow) => d.opts.dataPlane.explain?.(flow),
    samples: () => d.opts.dataPlane.samples?.() ?? { rate: 0, samples: [] },
    explainSample: (seq) => d.opts.dataPlane.explainSample?.(seq),
  };
}
