/**
 * Builds what ipvsadm's listings show (IpvsListing) from the rule table, the data plane's counters
 * and the rate estimator: one place that joins rules with live numbers.
 */
import type { IpvsRules } from '../ipvs/types.js';
import type { ServiceCounters } from './ports.js';
import type { RateEstimator } from './rate-estimator.js';
import { serviceKeyText } from '../ipvs/service-key.js';
import { zeroStats, type IpvsListing, type IpvsStats, type ServiceEntry } from './types.js';

/** Id of a real server inside a service, for counters and rates. */
export function destKeyId(serviceId: string, address: string, port: number): string {
  return `${serviceId} -> ${address.includes(':') ? `[${address}]` : address}:${port}`;
}

/** All counter ids (services and real servers) with their stats, for the rate estimator. */
export function counterMap(counters: ServiceCounters[]): Map<string, IpvsStats> {
  const m = new Map<string, IpvsStats>();
  for (const c of counters) {
    const sid = serviceKeyText(c.key);
    m.set(sid, c.stats);
    for (const d of c.dests) m.set(destKeyId(sid, d.address, d.port), d.stats);
  }
  return m;
}

/** Joins rules, counters and rates into the listing. Real servers appear in kernel order (last added first). */
export function buildListing(rules: IpvsRules, counters: ServiceCounters[], rates: RateEstimator): IpvsListing {
  const bySvc = new Map(counters.map((c) => [serviceKeyText(c.key), c]));
  const services: ServiceEntry[] = rules.services.map((s) => {
    const sid = serviceKeyText(s.key);
    const c = bySvc.get(sid);
    const dests = [...s.realServers].reverse().map((d) => {
      const dc = c?.dests.find((x) => x.address === d.address && x.port === d.port);
      return {
        ...d,
        family: (d.address.includes(':') ? 6 : 4) as 4 | 6,
        activeConns: dc?.activeConns ?? 0,
        inactiveConns: dc?.inactiveConns ?? 0,
        persistConns: dc?.persistConns ?? 0,
        stats: dc?.stats ?? zeroStats(),
        rates: rates.rates(destKeyId(sid, d.address, d.port)),
      };
    });
    const { realServers: _r, ...spec } = s;
    return { spec, stats: c?.stats ?? zeroStats(), rates: rates.rates(sid), dests };
  });
  return { version: '1.2.1', connTabSize: 4096, services, timeouts: rules.timeouts, daemons: [] };
}
