/**
 * keepalived's `lvs_sync_daemon IFACE INSTANCE [id N] [maxlen N] [port N] [ttl N] [group ADDR]`
 * (global_defs), checked into LvsSyncDaemonConfig: the interface, the VRRP instance whose state picks
 * the role, and the options with keepalived's ranges (id 0..255, maxlen 1..65507, port 1..65535,
 * ttl 1..255, group an IPv4 or IPv6 multicast address).
 */
import { ipv4Pton, ipv6Pton } from '../core/addr.js';
import type { LvsSyncDaemonConfig } from './types.js';

/** Parses the words after the keyword; an error sentence names what is wrong and the fix. */
export function parseLvsSyncDaemon(
  words: readonly string[],
  instances: readonly string[],
): { ok: true; value: LvsSyncDaemonConfig } | { ok: false; error: string } {
  const [iface, instance, ...rest] = words;
  if (!iface) return { ok: false, error: "'lvs_sync_daemon' needs an interface and a VRRP instance: lvs_sync_daemon IFACE INSTANCE [id N] ..." };
  if (!instance || ['id', 'maxlen', 'port', 'ttl', 'group'].includes(instance)) {
    return {
      ok: false,
      error: `'lvs_sync_daemon ${iface}' names no VRRP instance; ulvs needs one to pick the role (MASTER sends, BACKUP receives) — add the vrrp_instance name after the interface.`,
    };
  }
  if (!instances.includes(instance))
    return { ok: false, error: `'lvs_sync_daemon' follows vrrp_instance ${instance}, which is not defined; name one of: ${instances.join(', ') || '(none)'}.` };
  const v: LvsSyncDaemonConfig = { interface: iface, instance, syncId: 0 };
  const ranges: Record<string, [number, number]> = { id: [0, 255], maxlen: [1, 65507], port: [1, 65535], ttl: [1, 255] };
  for (let i = 0; i < rest.length; i += 2) {
    const k = rest[i]!;
    const arg = rest[i + 1];
    if (arg === undefined) return { ok: false, error: `'lvs_sync_daemon ... ${k}' has no value; write '${k} VALUE'.` };
    if (k === 'group') {
      const a4 = ipv4Pton(arg);
      const a6 = a4 === null ? ipv6Pton(arg) : null;
      const mcast = a4 !== null ? a4 >>> 28 === 0xe : a6 !== null && a6[0]! >>> 8 === 0xff;
      if (!mcast) return { ok: false, error: `'lvs_sync_daemon ... group ${arg}' is not a multicast address; use e.g. 224.0.0.81.` };
      v.group = arg;
      continue;
    }
    const r = ranges[k];
    if (!r) return { ok: false, error: `'lvs_sync_daemon' has an unknown option '${k}'; the options are id, maxlen, port, ttl, group.` };
    const n = /^\d+$/.test(arg) ? Number(arg) : NaN;
    if (!(n >= r[0] && n <= r[1])) return { ok: false, error: `'lvs_sync_daemon ... ${k} ${arg}' is out of range; use ${r[0]}..${r[1]}.` };
    if (k === 'id') v.syncId = n;
    else if (k === 'maxlen') v.maxLen = n;
    else if (k === 'port') v.port = n;
    else v.ttl = n;
  }
  return { ok: true, value: v };
}
