/**
 * The IPVS rule table of one daemon: the current IpvsRules plus a generation counter. Every change
 * goes through the one ipvsadm rule model (ipvs/rules.ts applyCommand: the kernel's checks and
 * libipvs's messages, errno on the error), so the config applier (reload, health checks) and
 * ulvsadm change this one table, as keepalived and ipvsadm share the kernel's.
 */
import type { IpvsRules, ServiceKey, VirtualServiceSpec } from '../ipvs/types.js';
import type { RuleCommand } from '../ipvs/command-types.js';
import { applyCommand, emptyRules, findService } from '../ipvs/rules.js';

/** One rule change as ulvsadm sends it and the config applier builds it (an ipvsadm rule command). */
export type RuleOp = RuleCommand;

function copyService(s: VirtualServiceSpec): VirtualServiceSpec {
  return { ...s, key: { ...s.key }, schedFlags: [...s.schedFlags], realServers: s.realServers.map((d) => ({ ...d })) };
}

/** The rule table: services in the order added, each with its real servers in the order added. */
export class RuleTable {
  private current: IpvsRules = emptyRules();
  /** Bumped on every successful change that alters the rules (not on zero). */
  generation = 0;

  /** A deep copy of the rules (what -S prints and the data plane compiles). */
  rules(): IpvsRules {
    return { services: this.current.services.map(copyService), timeouts: { ...this.current.timeouts } };
  }

  /** The service with this key, or undefined. */
  get(key: ServiceKey): VirtualServiceSpec | undefined {
    const s = this.current.services[findService(this.current, key)];
    return s && copyService(s);
  }

  /** Puts back rules taken with rules() (a change the data plane could not install is rolled back). */
  restore(rules: IpvsRules): void {
    this.current = { services: rules.services.map(copyService), timeouts: { ...rules.timeouts } };
    this.generation++;
  }

  /** Applies one change with the kernel's checks; throws IpvsadmError (message, exit code, errno) on failure. */
  apply(o: RuleOp): void {
    const next = applyCommand(this.current, o);
    if (next === this.current) return;
    this.current = next;
    this.generation++;
  }
}
