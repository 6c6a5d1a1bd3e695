/**
 * Which VIPs a director may announce: a VIP is in service when the rules the data plane runs have a
 * virtual service on that address with at least one real server of weight > 0 (quorum loss, every real
 * server down, or a removed service take that away; a sorry server keeps it).
 */
import type { IpvsRules } from '../ipvs/types.js';

/** The host prefixes of `vips` ("a/32", "b/128") that `rules` serve. */
export function vipsInService(vips: readonly string[], rules: IpvsRules | undefined): string[] {
  if (!rules) return [];
  const serving = new Set<string>();
  for (const s of rules.services) if (s.key.kind === 'addr' && s.realServers.some((r) => r.weight > 0)) serving.add(s.key.address);
  return vips.filter((p) => serving.has(p.split('/')[0]!));
}
