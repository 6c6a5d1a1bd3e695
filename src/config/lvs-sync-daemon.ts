/**
 * keepalived's `lvs_sync_daemon IFACE [inst] INSTANCE [id N] [maxlen N] [port N] [ttl N] [group ADDR]`
 * (global_defs), checked into LvsSyncDaemonConfig: the interface, the VRRP instance whose state picks
 * the role, and the options with keepalived's ranges (id 0..255, default the instance's VRID as
 * keepalived's; maxlen 1..65507, port 1..65535, ttl 1..255, group an IPv4 multicast address).
 * ulvs's own words, beyond keepalived (a kernel IPVS user sets the same with sysctls, which ulvs has not):
 * `peer ADDR` (unicast to that one director instead of multicast), `sync_threshold N [PERIOD]`,
 * `sync_refresh_period S`, `sync_retries N` with the kernel's meanings and ranges (sync/send-rules.ts).
 */
import { ipv4Pton, ipv6Pton } from '../core/addr.js';
import type { LvsSyncDaemonConfig } from './types.js';

/** Parses the words after the keyword; an error sentence names what is wrong and the fix. */
export function parseLvsSyncDaemon(
  words: readonly string[],
  instances: readonly string[],
  vridOf: (instance: string) => number | undefined = () => undefined,
): { ok: true; value: LvsSyncDaemonConfig } | { ok: false; error: string } {
  const all = words[1] === 'inst' ? [words[0]!, ...words.slice(2)] : [...words];
  const [iface, instance, ...rest] = all;
  const OPTS = ['id', 'maxlen', 'port', 'ttl', 'group', 'peer', 'sync_threshold', 'sync_refresh_period', 'sync_retries'];
  if (!iface) return { ok: false, error: "'lvs_sync_daemon' needs an interface and a VRRP instance: lvs_sync_daemon IFACE INSTANCE [id N] ..." };
  if (!instance || OPTS.includes(instance)) {
    return {
      ok: false,
      error: `'lvs_sync_daemon ${iface}' names no VRRP instance; ulvs needs one to pick the role (MASTER sends, BACKUP receives) — add the vrrp_instance name after the interface.`,
    };
  }
  if (!instances.includes(instance))
    return { ok: false, error: `'lvs_sync_daemon' follows vrrp_instance ${instance}, which is not defined; name one of: ${instances.join(', ') || '(none)'}.` };
  const v: LvsSyncDaemonConfig = { interface: iface, instance, syncId: vridOf(instance) ?? 0 };
  const ranges: Record<string, [number, number]> = {
    id: [0, 255],
    maxlen: [1, 65507],
    port: [1, 65535],
    ttl: [1, 255],
    sync_threshold: [0, 9999],
    sync_refresh_period: [0, 86400],
    sync_retries: [0, 3],
  };
  for (let i = 0; i < rest.length; i += 2) {
    const k = rest[i]!;
    const arg = rest[i + 1];
    if (arg === undefined) return { ok: false, error: `'lvs_sync_daemon ... ${k}' has no value; write '${k} VALUE'.` };
    if (k === 'group') {
      const a4 = ipv4Pton(arg);
      const a6 = a4 === null ? ipv6Pton(arg) : null;
      if (a6 !== null && a6[0]! >>> 8 === 0xff)
        return { ok: false, error: `'lvs_sync_daemon ... group ${arg}': ulvs syncs over IPv4 only; use an IPv4 group such as 224.0.0.81.` };
      if (a4 === null || a4 >>> 28 !== 0xe) return { ok: false, error: `'lvs_sync_daemon ... group ${arg}' is not a multicast address; use e.g. 224.0.0.81.` };
      v.group = arg;
      continue;
    }
    if (k === 'peer') {
      const a4 = ipv4Pton(arg);
      if (a4 === null || a4 >>> 28 === 0xe)
        return { ok: false, error: `'lvs_sync_daemon ... peer ${arg}' is not an IPv4 unicast address; name the other director, e.g. peer 192.0.2.2.` };
      v.peer = arg;
      continue;
    }
    const r = ranges[k];
    if (!r) return { ok: false, error: `'lvs_sync_daemon' has an unknown option '${k}'; the options are ${OPTS.join(', ')}.` };
    const n = /^\d+$/.test(arg) ? Number(arg) : NaN;
    if (!(n >= r[0] && n <= r[1])) return { ok: false, error: `'lvs_sync_daemon ... ${k} ${arg}' is out of range; use ${r[0]}..${r[1]}.` };
    if (k === 'id') v.syncId = n;
    else if (k === 'maxlen') v.maxLen = n;
    else if (k === 'port') v.port = n;
    else if (k === 'ttl') v.ttl = n;
    else if (k === 'sync_refresh_period') v.refreshPeriodS = n;
    else if (k === 'sync_retries') v.retries = n;
    else {
      // sync_threshold N [PERIOD], as the sysctl's two values: the period is optional (default 50).
      const period = /^\d+$/.test(rest[i + 2] ?? '') ? Number(rest[i + 2]) : undefined;
      if (period !== undefined) i++;
      if (period !== undefined && period > 9999) return { ok: false, error: `'lvs_sync_daemon ... sync_threshold ${arg} ${period}': the period is 0..9999.` };
      if (n >= (period ?? 50) && (period ?? 50) > 0)
        return { ok: false, error: `'lvs_sync_daemon ... sync_threshold ${arg}' must be below its period (${period ?? 50}), as the kernel's sysctl.` };
      v.threshold = n;
      if (period !== undefined) v.period = period;
    }
  }
  return { ok: true, value: v };
}
