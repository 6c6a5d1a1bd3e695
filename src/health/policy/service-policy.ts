/**
 * Policy of one virtual service (keepalived ipwrapper.c): turns real-server alive/dead and weight changes
 * into the desired IPVS state of each real server and of the sorry server, quorum transitions and the
 * notify scripts to run. Pure: it returns actions, the manager performs them. Desired state per real server:
 * alive -> in service with its effective weight (out while the sorry server is in); dead -> weight 0 with
 * inhibit_on_failure, else removed.
 */
import type { ScriptSpec } from '../types.js';
import type { ResolvedService } from '../resolve.js';
import { evaluateQuorum, initialQuorumUp, quorumThreshold } from './quorum.js';

/** Desired IPVS presence and weight of one destination. */
export interface DestOutput {
  inService: boolean;
  weight: number;
}

/** What the manager must do after a policy step. */
export type PolicyAction =
  | { kind: 'rs'; rsId: string; alive: boolean; out: DestOutput; reason: string }
  | { kind: 'quorum'; up: boolean; aliveWeight: number }
  | { kind: 'sorry'; active: boolean; out: DestOutput }
  | { kind: 'notify'; what: 'notify_up' | 'notify_down' | 'quorum_up' | 'quorum_down'; script: ScriptSpec; rsId?: string };

interface RsState {
  id: string;
  configuredWeight: number;
  effectiveWeight: number;
  inhibit: boolean;
  alive: boolean;
  notifyUp?: ScriptSpec;
  notifyDown?: ScriptSpec;
  lastOut: DestOutput | null;
  lastReason: string;
}

/** State carried from the previous configuration of the same service on reload. */
export interface PolicyCarry {
  quorumUp: boolean;
  sorryActive: boolean;
  sorryOut: DestOutput | null;
  rs: Map<string, { alive: boolean; configuredWeight: number; effectiveWeight: number; lastOut: DestOutput | null }>;
}

/** keepalived's view of a weight: negative effective weights count as 0. */
function realWeight(w: number): number {
  return w < 0 ? 0 : w;
}

/** The policy state machine of one virtual service. */
export class ServicePolicy {
  quorumUp: boolean;
  sorryActive = false;
  private sorryOut: DestOutput | null = null;
  private readonly rs = new Map<string, RsState>();

  /**
   * Builds the policy; `initialAlive` says which real servers start alive (no alpha checker, or state
   * carried over a reload). Call init() next and perform its actions.
   */
  constructor(
    readonly svc: ResolvedService,
    initialAlive: (rsId: string) => boolean,
    carry?: PolicyCarry,
  ) {
    for (const r of svc.realServers) {
      const prev = carry?.rs.get(r.id);
      this.rs.set(r.id, {
        id: r.id,
        configuredWeight: r.weight,
        // A misc_dynamic weight survives a reload unless the configured weight itself changed.
        effectiveWeight: prev && prev.configuredWeight === r.weight ? prev.effectiveWeight : r.weight,
        inhibit: r.inhibitOnFailure,
        alive: initialAlive(r.id),
        notifyUp: r.spec.notifyUp,
        notifyDown: r.spec.notifyDown,
        lastOut: prev?.lastOut ?? null,
        lastReason: 'initial',
      });
    }
    this.quorumUp = carry ? carry.quorumUp : initialQuorumUp(svc.quorum, svc.hysteresis, this.aliveWeight());
    if (carry && svc.spec.sorryServer) {
      this.sorryActive = carry.sorryActive;
      this.sorryOut = carry.sorryOut;
    }
  }

  /** Sum of effective weights of alive real servers (keepalived weigh_live_realservers). */
  aliveWeight(): number {
    let s = 0;
    for (const r of this.rs.values()) if (r.alive) s += realWeight(r.effectiveWeight);
    return s;
  }

  /** Whether a real server is alive now. */
  isAlive(rsId: string): boolean {
    return this.rs.get(rsId)?.alive ?? false;
  }

  /** Effective weight of a real server (configured, or set by misc_dynamic). */
  weightOf(rsId: string): number {
    return this.rs.get(rsId)?.effectiveWeight ?? 0;
  }

  /** Current desired output of a real server. */
  outputOf(rsId: string): DestOutput | null {
    return this.rs.get(rsId)?.lastOut ?? null;
  }

  /** Start (or post-reload) step: initial outputs, then keepalived's update_quorum_state(init=true). */
  init(): PolicyAction[] {
    const acts: PolicyAction[] = [];
    this.updateQuorum(true, acts);
    this.emitOutputs(acts);
    return acts;
  }

  /** A real server became alive (all checkers up) or dead (a checker went down). */
  setAlive(rsId: string, alive: boolean, reason: string): PolicyAction[] {
    const r = this.rs.get(rsId);
    if (!r || r.alive === alive) return [];
    const acts: PolicyAction[] = [];
    r.alive = alive;
    r.lastReason = reason;
    const script = alive ? r.notifyUp : r.notifyDown;
    if (script) acts.push({ kind: 'notify', what: alive ? 'notify_up' : 'notify_down', script, rsId });
    this.updateQuorum(false, acts);
    this.emitOutputs(acts, rsId);
    return acts;
  }

  /** First result of an alpha checker was a failure: keepalived runs notify_down once (state unchanged). */
  initialDownNotify(rsId: string): PolicyAction[] {
    const r = this.rs.get(rsId);
    return r?.notifyDown ? [{ kind: 'notify', what: 'notify_down', script: r.notifyDown, rsId }] : [];
  }

  /** misc_dynamic weight change (keepalived update_svr_wgt with quorum update). */
  setWeight(rsId: string, weight: number, reason: string): PolicyAction[] {
    const r = this.rs.get(rsId);
    if (!r || r.effectiveWeight === weight) return [];
    r.effectiveWeight = weight;
    r.lastReason = reason;
    const acts: PolicyAction[] = [];
    this.updateQuorum(false, acts);
    this.emitOutputs(acts, rsId);
    return acts;
  }

  /**
   * The service goes away: on shutdown (`stopping`) the notifiers run only with omega; when the service is
   * removed by a reload they always run (keepalived clear_service_vs). All destinations leave.
   */
  stop(stopping: boolean): PolicyAction[] {
    const acts: PolicyAction[] = [];
    const notify = !stopping || this.svc.omega;
    for (const r of this.rs.values()) {
      if (r.alive && notify && r.notifyDown) acts.push({ kind: 'notify', what: 'notify_down', script: r.notifyDown, rsId: r.id });
      r.alive = false;
      r.lastReason = stopping ? 'shutting down' : 'removed from configuration';
    }
    if (this.quorumUp || stopping) {
      this.quorumUp = false;
      acts.push({ kind: 'quorum', up: false, aliveWeight: 0 });
      if (notify && this.svc.spec.quorumDown) acts.push({ kind: 'notify', what: 'quorum_down', script: this.svc.spec.quorumDown });
    }
    for (const r of this.rs.values()) {
      r.lastOut = { inService: false, weight: 0 };
      acts.push({ kind: 'rs', rsId: r.id, alive: false, out: r.lastOut, reason: r.lastReason });
    }
    if (this.svc.spec.sorryServer) {
      this.sorryActive = false;
      this.sorryOut = { inService: false, weight: 0 };
      acts.push({ kind: 'sorry', active: false, out: this.sorryOut });
    }
    return acts;
  }

  /** State to carry into the next configuration of this service. */
  carryOut(): PolicyCarry {
    const rs: PolicyCarry['rs'] = new Map();
    for (const r of this.rs.values())
      rs.set(r.id, { alive: r.alive, configuredWeight: r.configuredWeight, effectiveWeight: r.effectiveWeight, lastOut: r.lastOut });
    return { quorumUp: this.quorumUp, sorryActive: this.sorryActive, sorryOut: this.sorryOut, rs };
  }

  private updateQuorum(init: boolean, acts: PolicyAction[]): void {
    const aliveWeight = this.aliveWeight();
    const hasSorry = !!this.svc.spec.sorryServer;
    const verdict = evaluateQuorum({ quorum: this.svc.quorum, hysteresis: this.svc.hysteresis, up: this.quorumUp, aliveWeight });
    if (verdict === 'gained') {
      this.quorumUp = true;
      if (hasSorry && this.sorryActive) this.sorryActive = false;
      acts.push({ kind: 'quorum', up: true, aliveWeight });
      if (this.svc.spec.quorumUp) acts.push({ kind: 'notify', what: 'quorum_up', script: this.svc.spec.quorumUp });
    } else if (verdict === 'lost' || (init && !this.quorumUp && hasSorry && !this.sorryActive)) {
      this.quorumUp = false;
      if (hasSorry) this.sorryActive = true;
      acts.push({ kind: 'quorum', up: false, aliveWeight });
      if (this.svc.spec.quorumDown) acts.push({ kind: 'notify', what: 'quorum_down', script: this.svc.spec.quorumDown });
    }
  }

  private desired(r: RsState): DestOutput {
    if (r.alive) return this.sorryActive ? { inService: false, weight: 0 } : { inService: true, weight: realWeight(r.effectiveWeight) };
    return r.inhibit ? { inService: true, weight: 0 } : { inService: false, weight: 0 };
  }

  private emitOutputs(acts: PolicyAction[], changedRs?: string): void {
    // Real servers leave before the sorry server enters and after it leaves, as keepalived orders it.
    const sorryFirst = !this.sorryActive;
    if (sorryFirst) this.emitSorry(acts);
    for (const r of this.rs.values()) {
      const d = this.desired(r);
      const prev = r.lastOut;
      // The changed real server is always reported, even without an IPVS change (alive while the sorry server is in).
      if (!prev || prev.inService !== d.inService || prev.weight !== d.weight || r.id === changedRs) {
        r.lastOut = d;
        acts.push({ kind: 'rs', rsId: r.id, alive: r.alive, out: d, reason: r.lastReason });
      }
    }
    if (!sorryFirst) this.emitSorry(acts);
  }

  private emitSorry(acts: PolicyAction[]): void {
    if (!this.svc.spec.sorryServer) return;
    const d: DestOutput = this.sorryActive
      ? { inService: true, weight: 1 }
      : this.svc.sorryServerInhibit
        ? { inService: true, weight: 0 }
        : { inService: false, weight: 0 };
    const prev = this.sorryOut;
    if (!prev || prev.inService !== d.inService || prev.weight !== d.weight) {
      this.sorryOut = d;
      acts.push({ kind: 'sorry', active: this.sorryActive, out: d });
    }
  }

  /** The current quorum threshold (for views and logs). */
  threshold(): number {
    return quorumThreshold({ quorum: this.svc.quorum, hysteresis: this.svc.hysteresis, up: this.quorumUp });
  }
}
