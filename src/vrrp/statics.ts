/**
 * keepalived's `static_ipaddress`, `static_routes` and `static_rules`: installed when the daemon
 * starts, kept across VRRP transitions, diffed on reload and removed at stop (keepalived's
 * vrrp_dispatcher init / clear_diff_static_* / vrrp_terminate). An address without `dev` goes on
 * keepalived's default_interface, eth0.
 */
import { routeLine, ruleLine } from './routes.js';
import type { IpRouteSpec, IpRuleSpec, VipSpec, VrrpConfig } from './types.js';

/** keepalived's default_interface when global_defs does not set one. */
export const DEFAULT_INTERFACE = 'eth0';

/** What StaticSet needs to change the host. */
export interface StaticOps {
  addVips(vips: VipSpec[], dev: string): Promise<string[]>;
  removeVips(vips: VipSpec[], dev: string): Promise<string[]>;
  addRoutes(routes: readonly IpRouteSpec[], rules: readonly IpRuleSpec[]): Promise<string[]>;
  removeRoutes(routes: readonly IpRouteSpec[], rules: readonly IpRuleSpec[]): Promise<string[]>;
  log(msg: string): void;
}

function vipKey(v: VipSpec): string {
  return `${v.address}/${v.prefixLen}/${v.dev ?? DEFAULT_INTERFACE}`;
}

/** The static addresses, routes and rules currently installed by this daemon. */
export class StaticSet {
  private addrs: VipSpec[] = [];
  private routes: IpRouteSpec[] = [];
  private rules: IpRuleSpec[] = [];

  constructor(private readonly ops: StaticOps) {}

  /** Installs what `cfg` adds and removes what it no longer lists (first call: installs everything). */
  async apply(cfg: VrrpConfig): Promise<void> {
    const addrs = cfg.staticAddresses ?? [];
    const routes = cfg.staticRoutes ?? [];
    const rules = cfg.staticRules ?? [];
    const rk = (r: IpRouteSpec): string => routeLine(r, true);
    const uk = (r: IpRuleSpec): string => ruleLine(r, true);
    const goneAddrs = this.addrs.filter((a) => !addrs.some((b) => vipKey(a) === vipKey(b)));
    const goneRoutes = this.routes.filter((a) => !routes.some((b) => rk(a) === rk(b)));
    const goneRules = this.rules.filter((a) => !rules.some((b) => uk(a) === uk(b)));
    const newAddrs = addrs.filter((a) => !this.addrs.some((b) => vipKey(a) === vipKey(b)));
    const newRoutes = routes.filter((a) => !this.routes.some((b) => rk(a) === rk(b)));
    const newRules = rules.filter((a) => !this.rules.some((b) => uk(a) === uk(b)));
    await this.remove(goneAddrs, goneRoutes, goneRules);
    this.addrs = addrs;
    this.routes = routes;
    this.rules = rules;
    for (const e of await this.ops.addVips(newAddrs, DEFAULT_INTERFACE)) this.ops.log(`static_ipaddress: ${e}`);
    for (const e of await this.ops.addRoutes(newRoutes, newRules)) this.ops.log(`static_routes/rules: ${e}`);
  }

  /** Removes everything installed (at stop). */
  async clear(): Promise<void> {
    await this.remove(this.addrs, this.routes, this.rules);
    this.addrs = [];
    this.routes = [];
    this.rules = [];
  }

  private async remove(addrs: VipSpec[], routes: IpRouteSpec[], rules: IpRuleSpec[]): Promise<void> {
    if (routes.length || rules.length) for (const e of await this.ops.removeRoutes(routes, rules)) this.ops.log(`static_routes/rules: ${e}`);
    if (addrs.length) for (const e of await this.ops.removeVips(addrs, DEFAULT_INTERFACE)) this.ops.log(`static_ipaddress: ${e}`);
  }
}
