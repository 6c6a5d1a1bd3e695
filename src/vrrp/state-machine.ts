/**
 * The VRRP state machine of one instance as a pure function: step(state, event, nowMs) returns the
 * next state and the actions the shell must carry out (send an advert, change state, send GARPs).
 * Follows RFC 3768 §6.4 / RFC 5798 §6.4 with keepalived's choices (vrrp.c vrrp_state_backup,
 * vrrp_state_master_rx, vrrp_state_leave_fault): owner 255 goes MASTER at once, priority 0 gives
 * a skew-only takeover, v3 backups adopt the master's interval, preempt_delay and nopreempt.
 */
import { compareIp } from './addr.js';
import { masterDownIntervalMs, skewTimeMs } from './timers.js';
import type { VrrpInstanceSpec, VrrpState, VrrpVersion } from './types.js';

/** The per-instance parameters the machine needs (derived from a VrrpInstanceSpec). */
export interface MachineParams {
  version: VrrpVersion;
  /** Our own advert_int. */
  advertIntMs: number;
  /** Configured (base) priority; 255 = address owner. */
  basePriority: number;
  nopreempt: boolean;
  preemptDelayMs: number;
  downTimerAdverts: number;
  /** Our primary (source) address, for the equal-priority tie-break. */
  primaryIp: string;
  /** Send one advert before yielding to a higher-priority master (keepalived higher_prio_send_advert). */
  higherPrioSendAdvert?: boolean;
  /** Don't answer a lower-priority advert with our own (keepalived lower_prio_no_advert). */
  lowerPrioNoAdvert?: boolean;
}

/** The machine parameters of a spec. */
export function machineParams(spec: VrrpInstanceSpec, primaryIp: string): MachineParams {
  return {
    version: spec.version,
    advertIntMs: spec.advertIntMs,
    basePriority: spec.priority,
    nopreempt: spec.nopreempt && spec.priority !== 255,
    preemptDelayMs: spec.preemptDelayMs,
    downTimerAdverts: spec.downTimerAdverts,
    primaryIp,
    higherPrioSendAdvert: spec.higherPrioSendAdvert,
    lowerPrioNoAdvert: spec.lowerPrioNoAdvert,
  };
}

/** The machine's whole state: plain data, copied on every step. */
export interface MachineState {
  params: MachineParams;
  state: VrrpState;
  /** Effective priority (base ± tracker weights; the shell computes it). */
  priority: number;
  /** True while an interface/script/sync-group fault holds the instance in FAULT. */
  fault: boolean;
  /** Master_Adver_Interval: ours as MASTER, the master's (v3) as BACKUP. */
  masterAdverIntMs: number;
  /** BACKUP: when the Master_Down_Timer fires. */
  masterDownAtMs?: number;
  /** MASTER: when the next advert is due. */
  adverAtMs?: number;
  /** preempt_delay: preemption of a lower-priority master is allowed from this time on. */
  preemptAtMs?: number;
  /** Last master heard (BACKUP). */
  masterIp?: string;
  masterPriority?: number;
  /**
   * Beyond keepalived: while true the instance does not preempt a lower-priority master, whatever its
   * own priority (the owner too starts BACKUP): connection sync holds it until it has the master's
   * full table. With no master heard, the Master_Down_Timer still makes it MASTER.
   */
  holdPreempt?: boolean;
}

/** What happens to the machine. */
export type MachineEvent =
  | { type: 'start' }
  | { type: 'advert'; priority: number; maxAdverIntMs: number; srcIp: string }
  | { type: 'tick' }
  | { type: 'priority'; priority: number }
  | { type: 'fault'; fault: boolean; reason?: string }
  | { type: 'force'; to: 'MASTER' | 'BACKUP'; reason: string }
  | { type: 'hold-preempt'; hold: boolean }
  | { type: 'shutdown' };

/** What the shell must do, in order. */
export type MachineAction =
  | { type: 'send-advert'; priority: number }
  | { type: 'transition'; from: VrrpState; to: VrrpState; reason: string }
  | { type: 'garp'; kind: 'master' | 'lower-prio' }
  | { type: 'rx-lower-prio'; srcIp: string; priority: number };

/** Result of step(). */
export interface StepResult {
  state: MachineState;
  actions: MachineAction[];
}

/** A fresh machine in INIT. */
export function initialMachine(params: MachineParams, priority = params.basePriority): MachineState {
  return { params, state: 'INIT', priority, fault: false, masterAdverIntMs: params.advertIntMs };
}

/** The priority used on the wire and in the formulas (owner stays 255). */
function prio(s: MachineState): number {
  return s.params.basePriority === 255 ? 255 : s.priority;
}

function downInterval(s: MachineState): number {
  return masterDownIntervalMs(s.params.version, prio(s), s.masterAdverIntMs, s.params.downTimerAdverts);
}

function toMaster(s: MachineState, now: number, reason: string, acts: MachineAction[]): void {
  const from = s.state;
  s.state = 'MASTER';
  s.masterAdverIntMs = s.params.advertIntMs;
  s.masterDownAtMs = undefined;
  s.adverAtMs = now + s.params.advertIntMs;
  s.masterIp = undefined;
  s.masterPriority = undefined;
  acts.push({ type: 'transition', from, to: 'MASTER', reason });
  acts.push({ type: 'send-advert', priority: prio(s) });
  acts.push({ type: 'garp', kind: 'master' });
}

function toBackup(s: MachineState, now: number, reason: string, acts: MachineAction[]): void {
  const from = s.state;
  s.state = 'BACKUP';
  s.adverAtMs = undefined;
  s.masterDownAtMs = now + downInterval(s);
  if (from !== 'BACKUP') acts.push({ type: 'transition', from, to: 'BACKUP', reason });
}

function toFault(s: MachineState, reason: string, acts: MachineAction[]): void {
  const from = s.state;
  if (from === 'MASTER') acts.push({ type: 'send-advert', priority: 0 });
  s.state = 'FAULT';
  s.adverAtMs = undefined;
  s.masterDownAtMs = undefined;
  s.masterAdverIntMs = s.params.advertIntMs;
  if (from !== 'FAULT') acts.push({ type: 'transition', from, to: 'FAULT', reason });
}

function onAdvertBackup(s: MachineState, ev: Extract<MachineEvent, { type: 'advert' }>, now: number): void {
  const p = s.params;
  if (ev.priority === 0) {
    // RFC 5798 §6.4.2: Set the Master_Down_Timer to Skew_Time.
    s.masterDownAtMs = now + skewTimeMs(p.version, prio(s), s.masterAdverIntMs);
    return;
  }
  const higherOrEqual = ev.priority >= prio(s);
  const inPreemptDelay = p.preemptDelayMs > 0 && (s.preemptAtMs === undefined || now < s.preemptAtMs);
  if (p.nopreempt || s.holdPreempt || higherOrEqual || inPreemptDelay) {
    if (!p.nopreempt && !higherOrEqual && p.preemptDelayMs > 0 && s.preemptAtMs === undefined) s.preemptAtMs = now + p.preemptDelayMs;
    if (higherOrEqual) s.preemptAtMs = undefined;
    if (p.version === 3) s.masterAdverIntMs = ev.maxAdverIntMs;
    s.masterIp = ev.srcIp;
    s.masterPriority = ev.priority;
    s.masterDownAtMs = now + downInterval(s);
  }
  // else: lower priority and we preempt: discard, the Master_Down_Timer runs out.
}

function onAdvertMaster(s: MachineState, ev: Extract<MachineEvent, { type: 'advert' }>, now: number, acts: MachineAction[]): void {
  const p = s.params;
  if (ev.priority === 0) {
    // RFC 5798 §6.4.3: send an advert at once and reset the Adver_Timer.
    acts.push({ type: 'send-advert', priority: prio(s) });
    s.adverAtMs = now + p.advertIntMs;
    return;
  }
  const ours = prio(s);
  const yields = ev.priority > ours || (ev.priority === ours && compareIp(ev.srcIp, p.primaryIp) > 0);
  if (yields) {
    if (p.higherPrioSendAdvert) acts.push({ type: 'send-advert', priority: ours });
    if (p.version === 3) s.masterAdverIntMs = ev.maxAdverIntMs;
    s.masterIp = ev.srcIp;
    s.masterPriority = ev.priority;
    toBackup(s, now, `higher priority advert (${ev.priority}) from ${ev.srcIp}`, acts);
    return;
  }
  // Lower priority (split brain healing): keepalived answers with an advert and re-GARPs.
  acts.push({ type: 'rx-lower-prio', srcIp: ev.srcIp, priority: ev.priority });
  if (!p.lowerPrioNoAdvert) {
    acts.push({ type: 'send-advert', priority: ours });
    s.adverAtMs = now + p.advertIntMs;
  }
  acts.push({ type: 'garp', kind: 'lower-prio' });
}

function leaveFaultOrInit(s: MachineState, now: number, reason: string, acts: MachineAction[]): void {
  if (s.params.basePriority === 255 && !s.holdPreempt) toMaster(s, now, `${reason} (address owner)`, acts);
  else {
    s.masterAdverIntMs = s.params.advertIntMs;
    toBackup(s, now, reason, acts);
  }
}

/** Advances the machine by one event at time nowMs; never mutates `prev`. */
export function step(prev: MachineState, ev: MachineEvent, nowMs: number): StepResult {
  const s: MachineState = { ...prev };
  const acts: MachineAction[] = [];
  switch (ev.type) {
    case 'start':
      if (s.state !== 'INIT') break;
      if (s.params.preemptDelayMs > 0) s.preemptAtMs = nowMs + s.params.preemptDelayMs;
      if (s.fault) toFault(s, 'fault at start', acts);
      else leaveFaultOrInit(s, nowMs, 'start', acts);
      break;
    case 'advert':
      if (s.state === 'BACKUP') onAdvertBackup(s, ev, nowMs);
      else if (s.state === 'MASTER') onAdvertMaster(s, ev, nowMs, acts);
      break;
    case 'tick':
      if (s.state === 'MASTER' && s.adverAtMs !== undefined && nowMs >= s.adverAtMs) {
        acts.push({ type: 'send-advert', priority: prio(s) });
        s.adverAtMs = nowMs + s.params.advertIntMs;
      } else if (s.state === 'BACKUP' && s.masterDownAtMs !== undefined && nowMs >= s.masterDownAtMs) {
        toMaster(s, nowMs, 'master down timer expired', acts);
      }
      break;
    case 'priority':
      s.priority = Math.max(1, Math.min(s.params.basePriority === 255 ? 255 : 254, ev.priority));
      break;
    case 'fault':
      s.fault = ev.fault;
      if (ev.fault && s.state !== 'FAULT' && s.state !== 'INIT') toFault(s, ev.reason ?? 'fault', acts);
      else if (!ev.fault && s.state === 'FAULT') leaveFaultOrInit(s, nowMs, ev.reason ?? 'fault cleared', acts);
      break;
    case 'force':
      if (s.state === 'FAULT' || s.state === 'INIT' || s.state === ev.to) break;
      if (ev.to === 'MASTER') toMaster(s, nowMs, ev.reason, acts);
      else toBackup(s, nowMs, ev.reason, acts);
      break;
    case 'hold-preempt':
      // Released: the next advert of a lower-priority master is discarded and the Master_Down_Timer takes over.
      s.holdPreempt = ev.hold;
      break;
    case 'shutdown':
      if (s.state === 'MASTER') acts.push({ type: 'send-advert', priority: 0 });
      if (s.state !== 'INIT') acts.push({ type: 'transition', from: s.state, to: 'INIT', reason: 'shutdown' });
      s.state = 'INIT';
      s.adverAtMs = undefined;
      s.masterDownAtMs = undefined;
      break;
  }
  return { state: s, actions: acts };
}

/** The time of the next timer event (tick) the shell must schedule, or undefined. */
export function nextDeadlineMs(s: MachineState): number | undefined {
  if (s.state === 'MASTER') return s.adverAtMs;
  if (s.state === 'BACKUP') return s.masterDownAtMs;
  return undefined;
}
