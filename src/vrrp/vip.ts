/**
 * Adding and removing virtual addresses with ip(8), keepalived's virtual_ipaddress syntax
 * (`ADDR/LEN brd X dev IF scope S label L`; IPv6 VIPs are added with nodad like keepalived's
 * IFA_F_NODAD). Control plane only.
 */
import { run } from '../util/exec.js';
import { IpBatch } from './ip-batch.js';
import type { VipSpec } from './types.js';

/** The `ip addr add` argv of a VIP on its device (defaulting to `defaultDev`). */
export function vipAddArgv(v: VipSpec, defaultDev: string): string[] {
  const argv = ['ip', v.family === 6 ? '-6' : '-4', 'addr', 'add', `${v.address}/${v.prefixLen}`];
  if (v.broadcast !== undefined && v.family === 4) argv.push('brd', v.broadcast);
  argv.push('dev', v.dev ?? defaultDev);
  if (v.scope) argv.push('scope', v.scope);
  if (v.label && v.family === 4) argv.push('label', v.label);
  if (v.family === 6) argv.push('nodad');
  return argv;
}

/** The `ip addr del` argv of a VIP. */
export function vipDelArgv(v: VipSpec, defaultDev: string): string[] {
  return ['ip', v.family === 6 ? '-6' : '-4', 'addr', 'del', `${v.address}/${v.prefixLen}`, 'dev', v.dev ?? defaultDev];
}

/** Adds the VIPs (an address already present is fine); returns one message per failure. */
export async function addVips(vips: VipSpec[], defaultDev: string): Promise<string[]> {
  const errors: string[] = [];
  for (const v of vips) {
    const r = await run(vipAddArgv(v, defaultDev), { timeoutMs: 5000 });
    if (r.code !== 0 && !/File exists|already assigned/i.test(r.stderr))
      errors.push(`adding ${v.address}/${v.prefixLen} on ${v.dev ?? defaultDev}: ${r.stderr.trim()}`);
  }
  return errors;
}

/** Removes the VIPs (an absent address is fine); returns one message per failure. */
export async function removeVips(vips: VipSpec[], defaultDev: string): Promise<string[]> {
  const errors: string[] = [];
  for (const v of vips) {
    const r = await run(vipDelArgv(v, defaultDev), { timeoutMs: 5000 });
    if (r.code !== 0 && !/Cannot assign requested address|not found|No such/i.test(r.stderr))
      errors.push(`removing ${v.address}/${v.prefixLen} from ${v.dev ?? defaultDev}: ${r.stderr.trim()}`);
  }
  return errors;
}

let shared: IpBatch | undefined;

/** The `ip -batch` line (no leading `ip` or family flag) of an argv built above. */
function batchLine(argv: string[]): string {
  return argv.slice(2).join(' ');
}

/** Adds the VIPs through the shared persistent `ip -batch` (fast path); an existing address is fine. */
export async function addVipsFast(vips: VipSpec[], defaultDev: string): Promise<string[]> {
  shared ??= new IpBatch();
  const errs = await shared.run(vips.map((v) => batchLine(vipAddArgv(v, defaultDev))));
  return errs.filter((e) => !/File exists|already assigned/i.test(e));
}

/** Removes the VIPs through the shared persistent `ip -batch`; an absent address is fine. */
export async function removeVipsFast(vips: VipSpec[], defaultDev: string): Promise<string[]> {
  shared ??= new IpBatch();
  const errs = await shared.run(vips.map((v) => batchLine(vipDelArgv(v, defaultDev))));
  return errs.filter((e) => !/Cannot assign requested address|not found|No such/i.test(e));
}

/** Ends the shared `ip -batch` process (at daemon stop). */
export function closeIpBatch(): void {
  shared?.close();
  shared = undefined;
}
