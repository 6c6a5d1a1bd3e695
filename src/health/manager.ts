/**
 * HealthManager: the shell around the pure parts. It schedules every checker (warmup jitter, drift-free
 * delay_loop cadence, delay_before_retry retries), runs probes concurrently (a hung server only occupies its
 * own checker), feeds results to the dampener and the per-service policy, runs notify scripts, and emits
 * what the control plane applies. Runs in the main thread; never throws out of a timer.
 *
 * Events: 'change' (RealServerChange), 'quorum' (QuorumChange), 'sorry' (SorryServerChange),
 * 'attempt' (CheckAttempt, every probe result; only built when listened to), 'log' ({ level, message }).
 * start() and reload() emit the initial state of every new real server.
 */
import { EventEmitter } from 'node:events';
import { PROBES } from './checkers/index.js';
import { closePinger } from './checkers/pinger.js';
import { closeSpawner } from './spawner.js';
import { guardedProbe } from './probe-guard.js';
import type { CheckOutcome } from './checkers/outcome.js';
import { SystemClock, type Clock } from './clock.js';
import { initialCheckerState, migrateCheckerState, stepChecker, type CheckerState } from './policy/dampener.js';
import { ServicePolicy, type PolicyAction } from './policy/service-policy.js';
import { resolveService, type ResolvedChecker, type ResolvedRealServer, type ResolvedService } from './resolve.js';
import { runScript } from './script-run.js';
import { healthView, type CheckerRt, type RsRt, type SvcRt } from './checker-runtime.js';
import type { HealthServiceSpec, QuorumChange, RealServerChange, ScriptSpec, ServiceHealthView, SorryServerChange } from './types.js';

/** Options of a HealthManager (all optional; tests inject a ManualClock and a fake probe). */
export interface HealthManagerOptions {
  clock?: Clock;
  /** Replaces the real probes (tests, benchmarks). */
  probe?: (c: ResolvedChecker) => Promise<CheckOutcome>;
  /** Runs a notify/quorum script; default: runScript with a 30 s timeout, output discarded. */
  runNotify?: (script: ScriptSpec, what: string) => Promise<unknown> | void;
  /** Random number in [0,1) for warmup jitter. */
  random?: () => number;
  /** Initial VIP presence for ha_suspend; default: absent until setVipPresent(addr, true). */
  vipPresent?: (address: string) => boolean;
}

/** One probe result, for tracing, metrics and tests. */
export interface CheckAttempt {
  service: string;
  realServer: string;
  type: string;
  ok: boolean;
  reason: string;
  /** Checker state after this attempt. */
  up: boolean;
}

/** Schedules checkers, applies keepalived's policy and emits desired real-server state. */
export class HealthManager extends EventEmitter {
  private readonly clock: Clock;
  private readonly probe: (c: ResolvedChecker) => Promise<CheckOutcome>;
  private readonly customNotify?: (script: ScriptSpec, what: string) => Promise<unknown> | void;
  private readonly random: () => number;
  private readonly vipsPresent = new Set<string>();
  private services = new Map<string, SvcRt>();
  private running = false;

  constructor(opts: HealthManagerOptions = {}) {
    super();
    this.clock = opts.clock ?? new SystemClock();
    this.probe = opts.probe ?? ((c) => PROBES[c.type](c));
    this.customNotify = opts.runNotify;
    this.random = opts.random ?? Math.random;
    this.initialVip = opts.vipPresent;
  }

  private readonly initialVip?: (address: string) => boolean;

  /** Starts checking the given services (keepalived start-up: alpha real servers start dead). */
  start(specs: HealthServiceSpec[]): void {
    if (this.running) throw new Error('HealthManager already started');
    this.running = true;
    this.apply(specs, false);
  }

  /**
   * Applies a new configuration: retained real servers keep their checker state (keepalived
   * migrate_checkers), removed ones leave (notify_down if alive), new ones start as at start-up.
   */
  reload(specs: HealthServiceSpec[]): void {
    if (!this.running) return this.start(specs);
    this.apply(specs, true);
  }

  /** Stops all checkers; with omega runs notify_down / quorum_down (waits at most 1 s for them). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    const pending: Array<Promise<unknown> | void> = [];
    for (const svc of this.services.values()) {
      this.killService(svc);
      for (const a of svc.policy.stop(true)) {
        if (a.kind === 'notify') pending.push(this.notify(a.script, a.what, 1000));
        else this.emitAction(svc, a);
      }
    }
    this.services.clear();
    closePinger();
    await Promise.all(pending);
    closeSpawner();
  }

  /** ha_suspend: tells the manager whether a VIP is configured locally (VRRP master) now. */
  setVipPresent(address: string, present: boolean): void {
    if (present) this.vipsPresent.add(address);
    else this.vipsPresent.delete(address);
    for (const svc of this.services.values()) svc.suspended = this.computeSuspended(svc.res);
  }

  /** Live state of every service, real server and checker (for ulvsadm -L and the API). */
  view(): ServiceHealthView[] {
    return healthView(this.services.values());
  }

  private computeSuspended(res: ResolvedService): boolean {
    if (!res.haSuspend) return false;
    return !res.spec.vips.some((v) => this.vipsPresent.has(v) || (this.initialVip?.(v) ?? false));
  }

  private apply(specs: HealthServiceSpec[], reload: boolean): void {
    const next = new Map<string, SvcRt>();
    for (const spec of specs) {
      if (next.has(spec.id)) continue;
      const res = resolveService(spec);
      for (const w of res.warnings) this.log('warning', w);
      const old = reload ? this.services.get(spec.id) : undefined;
      next.set(spec.id, old ? this.migrateService(old, res) : this.newService(res, reload));
    }
    if (reload) {
      for (const [id, old] of this.services) {
        if (next.has(id)) continue;
        this.killService(old);
        this.perform(old, old.policy.stop(false));
      }
    }
    this.services = next;
  }

  private newRs(svc: SvcRt, res: ResolvedRealServer, reload: boolean): RsRt {
    const rs: RsRt = { res, checkers: [], svc };
    for (const cfg of res.checkers) {
      const state = initialCheckerState(cfg.alpha, cfg.retry);
      if (reload) state.retryIt = 0;
      rs.checkers.push(this.newChecker(rs, cfg, state));
    }
    return rs;
  }

  private newChecker(rs: RsRt, cfg: ResolvedChecker, state: CheckerState): CheckerRt {
    return { cfg, state, timer: null, anchorMs: 0, running: false, retried: false, dead: false, lastError: '', lastCheckMs: 0, rs };
  }

  private newService(res: ResolvedService, reload: boolean): SvcRt {
    const svc = { res, rs: new Map<string, RsRt>(), suspended: this.computeSuspended(res) } as SvcRt;
    for (const r of res.realServers) svc.rs.set(r.id, this.newRs(svc, r, reload));
    svc.policy = new ServicePolicy(res, (id) => this.rsAllUp(svc.rs.get(id)!));
    this.perform(svc, svc.policy.init());
    for (const rs of svc.rs.values()) for (const c of rs.checkers) this.scheduleFirst(c);
    return svc;
  }

  private migrateService(old: SvcRt, res: ResolvedService): SvcRt {
    const svc = { res, rs: new Map<string, RsRt>(), suspended: this.computeSuspended(res) } as SvcRt;
    const carry = old.policy.carryOut();
    const fresh: CheckerRt[] = [];
    for (const r of res.realServers) {
      const oldRs = old.rs.get(r.id);
      if (!oldRs) {
        const rs = this.newRs(svc, r, true);
        svc.rs.set(r.id, rs);
        fresh.push(...rs.checkers);
        continue;
      }
      const rs: RsRt = { res: r, checkers: [], svc };
      const unused = new Set(oldRs.checkers);
      for (const cfg of r.checkers) {
        const match = [...unused].find((c) => c.cfg.key === cfg.key);
        if (match) {
          unused.delete(match);
          match.cfg = cfg;
          match.rs = rs;
          match.state = migrateCheckerState(match.state, cfg.retry);
          rs.checkers.push(match);
        } else {
          const c = this.newChecker(rs, cfg, { up: true, retryIt: 0, hasRun: false, failures: 0 });
          rs.checkers.push(c);
          fresh.push(c);
        }
      }
      for (const c of unused) this.killChecker(c);
      // keepalived: if a checker has failed (or nothing ran on a dead server), new alpha checkers start down.
      const anyFailed = rs.checkers.some((c) => c.state.hasRun && !c.state.up);
      const anyRun = rs.checkers.some((c) => c.state.hasRun);
      if (anyFailed || (!carry.rs.get(r.id)?.alive && !anyRun)) {
        for (const c of rs.checkers) {
          if (!c.state.hasRun) c.state = { ...c.state, up: !c.cfg.alpha, retryIt: c.cfg.retry };
        }
      }
      svc.rs.set(r.id, rs);
    }
    // Real servers that left the configuration.
    const removedActs: PolicyAction[] = [];
    for (const [id, oldRs] of old.rs) {
      if (svc.rs.has(id)) continue;
      for (const c of oldRs.checkers) this.killChecker(c);
      const wasAlive = old.policy.isAlive(id);
      if (wasAlive && oldRs.res.spec.notifyDown) removedActs.push({ kind: 'notify', what: 'notify_down', script: oldRs.res.spec.notifyDown, rsId: id });
      removedActs.push({ kind: 'rs', rsId: id, alive: false, out: { inService: false, weight: 0 }, reason: 'removed from configuration' });
      carry.rs.delete(id);
    }
    this.perform(old, removedActs);
    if (
      !res.spec.sorryServer ||
      !old.res.spec.sorryServer ||
      old.res.spec.sorryServer.address !== res.spec.sorryServer.address ||
      old.res.spec.sorryServer.port !== res.spec.sorryServer.port
    ) {
      if (old.res.spec.sorryServer && carry.sorryOut?.inService) this.perform(old, [{ kind: 'sorry', active: false, out: { inService: false, weight: 0 } }]);
      carry.sorryActive = false;
      carry.sorryOut = null;
    }
    svc.policy = new ServicePolicy(res, (id) => this.rsAllUp(svc.rs.get(id)!), carry);
    this.perform(svc, svc.policy.init());
    for (const c of fresh) this.scheduleFirst(c);
    return svc;
  }

  private rsAllUp(rs: RsRt): boolean {
    return rs.checkers.every((c) => c.state.up);
  }

  private killService(svc: SvcRt): void {
    for (const rs of svc.rs.values()) for (const c of rs.checkers) this.killChecker(c);
  }

  private killChecker(c: CheckerRt): void {
    c.dead = true;
    if (c.timer) this.clock.cancel(c.timer);
    c.timer = null;
  }

  private scheduleFirst(c: CheckerRt): void {
    const at = this.clock.nowMs() + (c.cfg.warmupMs > 0 ? Math.floor(this.random() * c.cfg.warmupMs) : 0);
    c.anchorMs = at;
    c.timer = this.clock.at(at, () => this.fire(c));
  }

  private fire(c: CheckerRt): void {
    c.timer = null;
    if (c.dead || !this.running) return;
    if (c.rs.svc.suspended) {
      c.anchorMs += c.cfg.delayLoopMs;
      c.timer = this.clock.at(Math.max(c.anchorMs, this.clock.nowMs()), () => this.fire(c));
      return;
    }
    c.running = true;
    const started = this.clock.nowMs();
    guardedProbe(this.clock, this.probe, c.cfg).then((o) => this.onResult(c, o, started));
  }

  private onResult(c: CheckerRt, o: CheckOutcome, startedMs: number): void {
    c.running = false;
    if (c.dead || !this.running) return;
    try {
      const now = this.clock.nowMs();
      c.lastCheckMs = startedMs;
      c.lastError = o.ok ? '' : o.reason;
      const firstRun = !c.state.hasRun;
      const step = stepChecker(c.state, c.cfg, o.ok);
      c.state = step.state;
      const svc = c.rs.svc;
      const rsId = c.rs.res.id;
      if (!o.ok && c.cfg.spec.logAllFailures && !step.transition) this.log('info', `${c.cfg.type} on ${rsId} of ${svc.res.id} failed: ${o.reason}`);
      if (this.listenerCount('attempt') > 0) {
        const ev: CheckAttempt = { service: svc.res.id, realServer: rsId, type: c.cfg.type, ok: o.ok, reason: o.reason, up: c.state.up };
        this.safeEmit('attempt', ev);
      }
      if ((o.weight !== undefined && c.cfg.type === 'MISC_CHECK') || (o.weightDelta !== undefined && c.cfg.type === 'FILE_CHECK')) {
        const w = o.weightDelta !== undefined ? Math.max(0, c.rs.res.weight + o.weightDelta) : o.weight === 'reset' ? c.rs.res.weight : o.weight!;
        this.perform(svc, svc.policy.setWeight(rsId, w, `${c.cfg.type} ${o.reason}: weight ${w}`));
      }
      if (step.transition) {
        this.log('info', `${c.cfg.type} on ${rsId} of ${svc.res.id}: ${step.transition} (${o.reason})`);
        this.perform(svc, svc.policy.setAlive(rsId, this.rsAllUp(c.rs), `${c.cfg.type} ${step.transition}: ${o.reason}`));
      } else if (firstRun && c.cfg.alpha && !o.ok) {
        this.perform(svc, svc.policy.initialDownNotify(rsId));
      }
      let at: number;
      if (step.retrying) {
        c.retried = true;
        at = now + step.nextDelayMs;
      } else if (c.retried) {
        c.retried = false;
        at = now + step.nextDelayMs;
        c.anchorMs = at;
      } else {
        c.anchorMs += step.nextDelayMs;
        if (c.anchorMs < now) c.anchorMs = now;
        at = c.anchorMs;
      }
      c.timer = this.clock.at(at, () => this.fire(c));
    } catch (e) {
      this.log('error', `health manager: ${(e as Error)?.stack ?? e}`);
      c.timer = this.clock.at(this.clock.nowMs() + c.cfg.delayLoopMs, () => this.fire(c));
    }
  }

  private perform(svc: SvcRt, acts: PolicyAction[]): void {
    for (const a of acts) {
      if (a.kind === 'notify') void this.notify(a.script, a.what);
      else this.emitAction(svc, a);
    }
  }

  private emitAction(svc: SvcRt, a: Exclude<PolicyAction, { kind: 'notify' }>): void {
    if (a.kind === 'rs') {
      const rs = svc.rs.get(a.rsId)?.res;
      const [address, port] = rs ? [rs.address, rs.port] : splitId(a.rsId);
      const ev: RealServerChange = {
        service: svc.res.id,
        realServer: a.rsId,
        address,
        port,
        alive: a.alive,
        inService: a.out.inService,
        weight: a.out.weight,
        reason: a.reason,
      };
      this.safeEmit('change', ev);
    } else if (a.kind === 'quorum') {
      const ev: QuorumChange = { service: svc.res.id, up: a.up, aliveWeight: a.aliveWeight };
      this.log('info', `${a.up ? 'Gained' : 'Lost'} quorum for ${svc.res.id} (alive weight ${a.aliveWeight})`);
      this.safeEmit('quorum', ev);
    } else {
      const s = svc.res.spec.sorryServer!;
      const ev: SorryServerChange = {
        service: svc.res.id,
        active: a.active,
        address: s.address,
        port: s.port,
        inService: a.out.inService,
        weight: a.out.weight,
      };
      this.safeEmit('sorry', ev);
    }
  }

  private async notify(script: ScriptSpec, what: string, timeoutMs?: number): Promise<void> {
    try {
      await (this.customNotify ? this.customNotify(script, what) : runScript(script, timeoutMs ?? 30_000));
    } catch (e) {
      this.log('warning', `${what} script ${script.argv[0]} failed: ${(e as Error)?.message ?? e}`);
    }
  }

  private safeEmit(event: string, payload: unknown): void {
    try {
      this.emit(event, payload);
    } catch (e) {
      this.log('error', `health '${event}' listener threw: ${(e as Error)?.message ?? e}`);
    }
  }

  private log(level: 'info' | 'warning' | 'error', message: string): void {
    if (this.listenerCount('log') === 0) return;
    try {
      this.emit('log', { level, message });
    } catch {
      /* a throwing log listener must not break checking */
    }
  }
}

function splitId(id: string): [string, number] {
  const i = id.lastIndexOf(':');
  return [id.slice(0, i).replace(/^\[|\]$/g, ''), Number(id.slice(i + 1))];
}
