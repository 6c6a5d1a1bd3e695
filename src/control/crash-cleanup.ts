/**
 * What the supervisor removes after the daemon died uncleanly (kill -9, a crash), so a dead director
 * holds no VIP, answers no ARP for one and leaves no NFQUEUE rule: the data plane's netfilter rules,
 * routes, addresses and sysctls (from its state file), and every VRRP VIP the configuration names.
 * `ulvs cleanup -f FILE` runs the same after a crash of the whole service (the unit's ExecStopPost).
 */
import { teardownDirectorNet } from '../host/director.js';
import { removeVips } from '../vrrp/vip.js';
import type { VrrpConfig } from '../vrrp/types.js';
import type { ConfigLoader } from './config-source.js';

/** Which parts to leave in place (keepalived's -V --dont-release-vrrp, -I --dont-release-ipvs). */
export interface CleanupOptions {
  keepVrrp?: boolean;
  keepIpvs?: boolean;
}

/** Removes what a dead daemon of `configFile` installed in this network namespace; returns what was removed. */
export async function cleanupAfterCrash(configFile: string, load: ConfigLoader, opts: CleanupOptions = {}): Promise<string[]> {
  const removed: string[] = [];
  if (!opts.keepIpvs) removed.push(...(await teardownDirectorNet()));
  if (!opts.keepVrrp) {
    const cfg = await load(configFile).catch(() => undefined);
    const vrrp = (cfg?.model as { vrrp?: VrrpConfig } | undefined)?.vrrp;
    for (const i of vrrp?.instances ?? []) {
      const vips = [...i.vips, ...i.excludedVips];
      const errs = await removeVips(vips, i.interface);
      removed.push(...vips.map((v) => `VIP ${v.address}/${v.prefixLen} (${i.name})`));
      removed.push(...errs.map((e) => `failed: ${e}`));
    }
  }
  return removed;
}
