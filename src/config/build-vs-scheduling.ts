// A virtual_server's scheduling: lvs_sched and its flags, persistence timeout and granularity, one-packet scheduling.
import type { DiagnosticSink } from './diagnostics.js';
import { at, fieldsOf, type RawBlock } from './keywords/table.js';
import { virtualServerTable } from './keywords/virtual-server.js';
import type { Family, Protocol, ServiceKey } from '../ipvs/types.js';
import type { Head } from './build-ipvs.js';
import { canonicalIp, parseInteger } from './values.js';

/** keepalived's persistence timeout when persistence is implied (IPVS_SVC_PERSISTENT_TIMEOUT). */
const DEFAULT_PERSISTENCE_S = 360;

/** Scheduler, its flags, persistence (timeout, granularity) and one-packet scheduling of a virtual_server. */
export function serviceOptions(
  raw: RawBlock,
  name: string,
  head: Head,
  keys: ServiceKey[],
  family: Family,
  protocol: Protocol,
  sink: DiagnosticSink,
): { scheduler: string; schedFlags: string[]; persistenceTimeoutS: number; netmask: string; onePacket: boolean } {
  let scheduler = fieldsOf(virtualServerTable, raw).scheduler;
  if (!scheduler) {
    sink.error(raw.pos, 'no-scheduler', `${name} has no 'lvs_sched' (lb_algo); keepalived uses wlc and reports it — add e.g. 'lvs_sched wlc'.`);
    scheduler = 'wlc';
  }
  let persistenceTimeoutS =
    fieldsOf(virtualServerTable, raw).persistenceTimeoutS ?? (fieldsOf(virtualServerTable, raw).persistenceGranularity ? DEFAULT_PERSISTENCE_S : 0);
  if (persistenceTimeoutS === 0 && keys.some((k) => k.kind === 'addr' && k.port === 0)) {
    sink.error(
      raw.pos,
      'port-zero',
      `${name} uses port 0 (all ports) without persistence_timeout; keepalived and IPVS only allow that for persistent services (keepalived sets ${DEFAULT_PERSISTENCE_S} s) — add persistence_timeout or a port.`,
    );
    persistenceTimeoutS = DEFAULT_PERSISTENCE_S;
  }
  const schedFlags: string[] = [];
  const flag = (f: 'flag1' | 'flag2' | 'flag3' | 'shFallback' | 'shPort' | 'mhFallback' | 'mhPort', flagName: string, only?: string): void => {
    if (!fieldsOf(virtualServerTable, raw)[f]) return;
    if (only && scheduler !== only) {
      sink.error(at(raw, f), 'flag-scheduler', `'${flagName}' only applies to the ${only} scheduler (this one uses ${scheduler}); remove it.`);
      return;
    }
    schedFlags.push(flagName);
  };
  flag('flag1', 'flag-1');
  flag('flag2', 'flag-2');
  flag('flag3', 'flag-3');
  flag('shFallback', 'sh-fallback', 'sh');
  flag('shPort', 'sh-port', 'sh');
  flag('mhFallback', 'mh-fallback', 'mh');
  flag('mhPort', 'mh-port', 'mh');
  let netmask = family === 6 ? '128' : '255.255.255.255';
  const gran = fieldsOf(virtualServerTable, raw).persistenceGranularity;
  if (gran !== undefined) {
    if (family === 6) {
      const n = parseInteger(gran);
      if (n === undefined || n < 1 || n > 128)
        sink.error(at(raw, 'persistenceGranularity'), 'bad-value', `persistence_granularity '${gran}' is not an IPv6 prefix length 1..128.`);
      else netmask = String(n);
    } else if (canonicalIp(gran)?.family !== 4)
      sink.error(at(raw, 'persistenceGranularity'), 'bad-value', `persistence_granularity '${gran}' is not an IPv4 netmask such as 255.255.255.0.`);
    else netmask = gran;
  }
  let onePacket = fieldsOf(virtualServerTable, raw).onePacket ?? false;
  if (onePacket && head.addressBased && protocol !== 'udp') {
    sink.error(at(raw, 'onePacket'), 'ops-not-udp', `'ops' (one-packet scheduling) requires UDP; keepalived resets it — remove it or use 'protocol UDP'.`);
    onePacket = false;
  }
  return { scheduler, schedFlags, persistenceTimeoutS, netmask, onePacket };
}
