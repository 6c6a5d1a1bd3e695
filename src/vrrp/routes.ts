/**
 * Installing and removing keepalived's routes and rules (`virtual_routes`, `virtual_rules`,
 * `static_routes`, `static_rules`) with ip-route(8) / ip-rule(8), through one persistent
 * `ip -batch` per family (the words are already translated by src/config/build-routes.ts).
 * Order as keepalived's vrrp_state_become_master / leave_master: addresses, routes, rules on the
 * way up; rules, routes, addresses on the way down.
 */
import { IpBatch } from './ip-batch.js';
import type { IpRouteSpec, IpRuleSpec, VrrpFamily } from './types.js';

const batches = new Map<VrrpFamily, IpBatch>();

function batch(f: VrrpFamily): IpBatch {
  let b = batches.get(f);
  if (!b) batches.set(f, (b = new IpBatch(f === 6 ? ['-6'] : ['-4'])));
  return b;
}

/** The `ip route` line (without `ip`) that installs or removes a route. */
export function routeLine(r: IpRouteSpec, add: boolean): string {
  return `route ${add ? r.op : 'del'} ${r.args.join(' ')}`;
}

/** The `ip rule` line (without `ip`) that installs or removes a rule. */
export function ruleLine(r: IpRuleSpec, add: boolean): string {
  return `rule ${add ? 'add' : 'del'} ${r.args.join(' ')}`;
}

async function runByFamily<T extends { family: VrrpFamily }>(items: readonly T[], line: (x: T) => string): Promise<string[]> {
  const errs: string[] = [];
  for (const f of [4, 6] as const) {
    const mine = items.filter((x) => x.family === f);
    if (mine.length) errs.push(...(await batch(f).run(mine.map(line))));
  }
  return errs;
}

/** Installs routes then rules; an entry already present is fine. Returns one message per failure. */
export async function addRoutesAndRules(routes: readonly IpRouteSpec[], rules: readonly IpRuleSpec[]): Promise<string[]> {
  const errs = [...(await runByFamily(routes, (r) => routeLine(r, true))), ...(await runByFamily(rules, (r) => ruleLine(r, true)))];
  return errs.filter((e) => !/File exists/i.test(e));
}

/** Removes rules then routes; an entry already gone is fine. Returns one message per failure. */
export async function removeRoutesAndRules(routes: readonly IpRouteSpec[], rules: readonly IpRuleSpec[]): Promise<string[]> {
  const errs = [...(await runByFamily(rules, (r) => ruleLine(r, false))), ...(await runByFamily(routes, (r) => routeLine(r, false)))];
  return errs.filter((e) => !/No such|not found|Cannot find|No such process/i.test(e));
}

/** Ends the `ip -batch` processes (at daemon stop). */
export function closeRouteBatches(): void {
  for (const b of batches.values()) b.close();
  batches.clear();
}
