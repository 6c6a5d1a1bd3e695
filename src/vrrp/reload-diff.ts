// A reload of vrrp_instances: the key an old and a new instance are matched by, and what a matched one adds and removes (VIPs, routes, rules).
import { canonicalIp } from './addr.js';
import { routeLine, ruleLine } from './routes.js';
import type { IpRouteSpec, IpRuleSpec, VipSpec, VrrpInstanceSpec } from './types.js';

/** The key keepalived's vrrp_exist matches instances by on reload. */
export function reloadKey(s: VrrpInstanceSpec): string {
  const uni = s.unicastPeers.length > 0;
  return [
    s.vrid,
    s.family,
    s.interface,
    uni ? 'u' : 'm',
    uni ? (s.srcIp ?? '') : (s.mcastGroup ?? ''),
    String(s.useVmac ?? ''),
    s.vmacXmitBase ? 'xb' : '',
  ].join('|');
}

/** What a reload of one instance changes (§6.3: the state stays, only these are touched). */
export interface InstanceReloadDiff {
  removed: VipSpec[];
  added: VipSpec[];
  goneRoutes: IpRouteSpec[];
  goneRules: IpRuleSpec[];
  newRoutes: IpRouteSpec[];
  newRules: IpRuleSpec[];
}

/** The VIPs, routes and rules in `old` but not in `spec` and the other way round (a VIP keyed by address, prefix and device). */
export function instanceReloadDiff(old: VrrpInstanceSpec, spec: VrrpInstanceSpec): InstanceReloadDiff {
  const key = (v: VipSpec): string => `${canonicalIp(v.address)}/${v.prefixLen}/${v.dev ?? spec.interface}`;
  const oldAll = [...old.vips, ...old.excludedVips];
  const newAll = [...spec.vips, ...spec.excludedVips];
  const removed = oldAll.filter((v) => !newAll.some((n) => key(n) === key(v)));
  const added = newAll.filter((v) => !oldAll.some((o) => key(o) === key(v)));
  const rk = (r: IpRouteSpec): string => routeLine(r, true);
  const uk = (r: IpRuleSpec): string => ruleLine(r, true);
  const goneRoutes = (old.virtualRoutes ?? []).filter((r) => !(spec.virtualRoutes ?? []).some((n) => rk(n) === rk(r)));
  const goneRules = (old.virtualRules ?? []).filter((r) => !(spec.virtualRules ?? []).some((n) => uk(n) === uk(r)));
  const newRoutes = (spec.virtualRoutes ?? []).filter((r) => !(old.virtualRoutes ?? []).some((o) => rk(o) === rk(r)));
  const newRules = (spec.virtualRules ?? []).filter((r) => !(old.virtualRules ?? []).some((o) => uk(o) === uk(r)));
  return { removed, added, goneRoutes, goneRules, newRoutes, newRules };
}
