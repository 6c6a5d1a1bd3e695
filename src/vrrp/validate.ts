/**
 * validate(config): the checks keepalived makes when it completes an instance (vrrp.c
 * vrrp_complete_instance) that refuse a configuration, plus warnings. Problems carry the index
 * of the offending spec so the config parser can report file:line.
 */
import { isIP } from 'node:net';
import type { VrrpConfig, VrrpProblem } from './types.js';

/** Returns every problem of the VRRP part of a configuration (empty = fine). */
export function validate(config: VrrpConfig): VrrpProblem[] {
  const out: VrrpProblem[] = [];
  const err = (index: number, keyword: string, message: string, kind: VrrpProblem['kind'] = 'instance'): void => {
    out.push({ kind, index, keyword, message, severity: 'error' });
  };
  const warn = (index: number, keyword: string, message: string): void => {
    out.push({ kind: 'instance', index, keyword, message, severity: 'warning' });
  };
  const seen = new Map<string, number>();
  const names = new Map<string, number>();
  const scripts = new Set(config.scripts.map((s) => s.name));
  config.instances.forEach((s, i) => {
    const where = s.source ? ` (${s.source})` : '';
    const id = `vrrp_instance ${s.name}${where}`;
    if (names.has(s.name)) err(i, 'vrrp_instance', `${id}: the name is already used by another vrrp_instance; rename one.`);
    names.set(s.name, i);
    if (!Number.isInteger(s.vrid) || s.vrid < 1 || s.vrid > 255) err(i, 'virtual_router_id', `${id}: virtual_router_id ${s.vrid} is out of range; use 1-255.`);
    if (!Number.isInteger(s.priority) || s.priority < 1 || s.priority > 255) err(i, 'priority', `${id}: priority ${s.priority} is out of range; use 1-255.`);
    if (s.version !== 2 && s.version !== 3) err(i, 'version', `${id}: version ${String(s.version)} is not supported; use 2 or 3.`);
    if (s.version === 2 && s.family === 6) err(i, 'version', `${id}: VRRPv2 cannot carry IPv6 addresses; use 'version 3' (keepalived forces v3 for IPv6).`);
    if (s.version === 2 && (s.advertIntMs < 1000 || s.advertIntMs > 255000 || s.advertIntMs % 1000 !== 0))
      err(i, 'advert_int', `${id}: advert_int ${s.advertIntMs / 1000} s is not valid for VRRPv2; use a whole number of seconds 1-255.`);
    if (s.version === 3 && (s.advertIntMs < 10 || s.advertIntMs > 40950))
      err(i, 'advert_int', `${id}: advert_int ${s.advertIntMs / 1000} s is out of range for VRRPv3; use 0.01-40.95.`);
    if (!s.interface) err(i, 'interface', `${id}: no interface given; add 'interface IF'.`);
    if (s.downTimerAdverts < 1 || s.downTimerAdverts > 100)
      err(i, 'down_timer_adverts', `${id}: down_timer_adverts ${s.downTimerAdverts} is out of range; use 1-100.`);
    const fams = new Set(s.vips.map((v) => v.family));
    if (fams.size > 1) err(i, 'virtual_ipaddress', `${id}: virtual_ipaddress mixes IPv4 and IPv6; move one family to virtual_ipaddress_excluded.`);
    if (s.vips.some((v) => v.family !== s.family)) err(i, 'virtual_ipaddress', `${id}: virtual_ipaddress family does not match the instance family.`);
    for (const v of [...s.vips, ...s.excludedVips]) {
      if (isIP(v.address) !== v.family) err(i, 'virtual_ipaddress', `${id}: '${v.address}' is not a valid IPv${v.family} address.`);
      if (v.prefixLen < 0 || v.prefixLen > (v.family === 4 ? 32 : 128))
        err(i, 'virtual_ipaddress', `${id}: prefix /${v.prefixLen} of ${v.address} is out of range.`);
    }
    if (s.vips.length > 255)
      err(i, 'virtual_ipaddress', `${id}: more than 255 virtual_ipaddress entries do not fit in an advert; move some to virtual_ipaddress_excluded.`);
    for (const p of s.unicastPeers)
      if (isIP(p.address) !== s.family) err(i, 'unicast_peer', `${id}: unicast_peer '${p.address}' is not an IPv${s.family} address.`);
    if (s.srcIp && isIP(s.srcIp) !== s.family) err(i, 'unicast_src_ip', `${id}: source address '${s.srcIp}' is not an IPv${s.family} address.`);
    if (s.authentication && s.version === 3) warn(i, 'authentication', `${id}: authentication is ignored with VRRPv3.`);
    if (s.nopreempt && s.priority === 255) warn(i, 'nopreempt', `${id}: nopreempt is ignored for the address owner (priority 255).`);
    if (s.initialState === 'MASTER' && s.nopreempt) warn(i, 'nopreempt', `${id}: nopreempt needs 'state BACKUP' to have an effect.`);
    if (s.strict && s.unicastPeers.length) err(i, 'unicast_peer', `${id}: vrrp_strict does not allow unicast_peer; drop one of them.`);
    if (s.strict && s.authentication) err(i, 'authentication', `${id}: vrrp_strict does not allow authentication; drop one of them.`);
    if (s.useVmac && s.unicastPeers.length === 0 && s.family === 6) warn(i, 'use_vmac', `${id}: use_vmac with IPv6 is untested in ulvs.`);
    for (const r of s.trackScripts) if (!scripts.has(r.name)) err(i, 'track_script', `${id}: track_script '${r.name}' names no vrrp_script block.`);
    // keepalived refuses two instances with the same VRID on one interface and family (multicast or unicast alike).
    const key = `${s.interface}|${s.family}|${s.vrid}`;
    const other = seen.get(key);
    if (other !== undefined)
      err(
        i,
        'virtual_router_id',
        `${id}: virtual_router_id ${s.vrid} is already used on ${s.interface} by vrrp_instance ${config.instances[other].name}; use another VRID.`,
      );
    else seen.set(key, i);
  });
  config.syncGroups.forEach((g, gi) => {
    for (const n of g.instances) if (!names.has(n)) err(gi, 'group', `vrrp_sync_group ${g.name}: instance '${n}' does not exist.`, 'syncGroup');
    for (const r of g.trackScripts)
      if (!scripts.has(r.name)) err(gi, 'track_script', `vrrp_sync_group ${g.name}: track_script '${r.name}' names no vrrp_script block.`, 'syncGroup');
  });
  config.scripts.forEach((s, si) => {
    if (!s.script.trim()) err(si, 'script', `vrrp_script ${s.name}: no script given.`, 'script');
    if (s.rise < 1 || s.fall < 1) err(si, s.rise < 1 ? 'rise' : 'fall', `vrrp_script ${s.name}: rise and fall must be at least 1.`, 'script');
    if (s.weight < -253 || s.weight > 253) err(si, 'weight', `vrrp_script ${s.name}: weight ${s.weight} is out of range; use -253..253.`, 'script');
  });
  return out;
}
