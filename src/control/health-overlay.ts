/**
 * What the health checkers decided, laid over the configured services: a real server that is down
 * leaves its service (or stays with weight 0 under inhibit_on_failure), a sorry server joins while
 * quorum is lost. The result is the rule set the configuration wants right now.
 */
import type { RealServerSpec, VirtualServiceSpec } from '../ipvs/types.js';
import type { HealthDecision } from './ports.js';
import { serviceKeyText } from '../ipvs/service-key.js';

interface Override {
  inService: boolean;
  weight: number;
  sorry?: RealServerSpec;
}

/** Health decisions per service and real server. */
export class HealthOverlay {
  private readonly overrides = new Map<string, Map<string, Override>>();

  /** Records one decision; returns true when it changes anything. */
  record(d: HealthDecision): boolean {
    let changed = false;
    for (const key of d.keys) {
      const sid = serviceKeyText(key);
      let m = this.overrides.get(sid);
      if (!m) this.overrides.set(sid, (m = new Map()));
      const id = `${d.address}|${d.port}`;
      const prev = m.get(id);
      const next: Override = { inService: d.inService, weight: d.weight };
      if (d.sorry) next.sorry = { address: d.address, port: d.port, forward: d.forward ?? 'dr', weight: d.weight, upperThreshold: 0, lowerThreshold: 0 };
      if (!prev || prev.inService !== next.inService || prev.weight !== next.weight || !!prev.sorry !== !!next.sorry) changed = true;
      m.set(id, next);
    }
    return changed;
  }

  /** The configured services with the decisions applied (input untouched). */
  apply(services: VirtualServiceSpec[]): VirtualServiceSpec[] {
    return services.map((s) => {
      const m = this.overrides.get(serviceKeyText(s.key));
      if (!m) return s;
      const dests: RealServerSpec[] = [];
      for (const d of s.realServers) {
        const o = m.get(`${d.address}|${d.port}`);
        if (!o) dests.push(d);
        else if (o.inService) dests.push({ ...d, weight: o.weight });
      }
      for (const o of m.values()) {
        if (o.sorry && o.inService && !dests.some((d) => d.address === o.sorry!.address && d.port === o.sorry!.port))
          dests.push({ ...o.sorry, weight: o.weight });
      }
      return { ...s, realServers: dests };
    });
  }

  /**
   * After a reload: forgets decisions about services no longer configured, and where a retained real
   * server's configured weight changed, a decision that merely carried the old configured weight takes
   * the new one (an inhibit weight 0 or a dynamic weight stays until the checker says otherwise).
   */
  retain(services: VirtualServiceSpec[], previous: VirtualServiceSpec[] = []): void {
    const keep = new Set(services.map((s) => serviceKeyText(s.key)));
    for (const id of this.overrides.keys()) if (!keep.has(id)) this.overrides.delete(id);
    const prevById = new Map(previous.map((s) => [serviceKeyText(s.key), s]));
    for (const s of services) {
      const m = this.overrides.get(serviceKeyText(s.key));
      const p = prevById.get(serviceKeyText(s.key));
      if (!m || !p) continue;
      for (const d of s.realServers) {
        const o = m.get(`${d.address}|${d.port}`);
        const old = p.realServers.find((x) => x.address === d.address && x.port === d.port);
        if (o && old && old.weight !== d.weight && o.weight === old.weight) o.weight = d.weight;
      }
    }
  }
}
