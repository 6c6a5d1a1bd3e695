/**
 * The IPVS schedulers, one file each, named as ipvsadm names them, and the one way to build them.
 *
 * Usage (data plane):
 *   const sched = createScheduler('wrr', [], { state });   // state: SharedArrayBuffer, see below
 *   sched.update(view, { kind: 'init', generation: 1 });   // after every dest add/del/edit
 *   const i = sched.schedule(view, flow, nowMs);            // index in view, or -1 (NULL)
 *
 * Dest order: `DestView` index 0 is the kernel's list head, i.e. the most recently added real
 * server (ip_vs_ctl.c adds with list_add_rcu = push-front). Schedulers walk that order, so picks
 * match the kernel's only if the view keeps it.
 *
 * Sharing across worker threads. Two workers that each hold a scheduler instance for the same
 * virtual service behave as one kernel scheduler when they are created over the same state:
 *   - The caller allocates `new SharedArrayBuffer(schedulerStateBytes(name))` once per service
 *     and hands it to every worker (all-zero memory is a valid initial state).
 *   - Mutable scheduler state lives only there: the rr pointer, wrr's cl/cw, the lblc/lblcr
 *     locality tables (fixed-capacity pools, timestamps in ms). Word 0 is a CAS spin lock taken
 *     with Atomics around one schedule()/update() call, never across a batch.
 *   - Tables derived purely from the configuration (dh/sh 256 buckets, mh 4093 slots, wrr's
 *     gcd/max) are rebuilt privately by each instance in update(); they agree because the input
 *     is the same. mh's last_weight history is tracked per instance unless the view supplies
 *     `lastWeight(i)`.
 *   - Every worker calls update() for every configuration change with the same
 *     `change.generation` (>= 1, increasing); the shared part of the change (e.g. moving the rr
 *     pointer when its dest is deleted) is applied by the first caller only. Without generations
 *     each call applies it, which is right for a single, unshared instance.
 *   - Stateless schedulers (lc wlc sed nq fo ovf twos) need no state; the counters they read come
 *     from the view (the connection table's shared per-dest counters).
 */
import type { DestView, Scheduler } from './types.js';
import { SchedState, stateBytes, type SchedulerShared } from './shared-state.js';
import { RrScheduler, RR_STATE_BYTES } from './rr.js';
import { WrrScheduler, WRR_STATE_BYTES } from './wrr.js';
import { LcScheduler } from './lc.js';
import { WlcScheduler } from './wlc.js';
import { SedScheduler } from './sed.js';
import { NqScheduler } from './nq.js';
import { FoScheduler } from './fo.js';
import { OvfScheduler } from './ovf.js';
import { TwosScheduler } from './twos.js';
import { DhScheduler } from './dh.js';
import { ShScheduler, SVC_F_SCHED1, SVC_F_SCHED2, SVC_F_SCHED3 } from './sh.js';
import { MhScheduler } from './mh.js';
import { LblcScheduler, lblcStateBytes } from './lblc.js';
import { LblcrScheduler, lblcrStateBytes } from './lblcr.js';

export type { SchedulerShared } from './shared-state.js';
export type { DestView, FlowKey, Scheduler, DestChange } from './types.js';
export { ArrayDestView } from './array-dest-view.js';

/** Every scheduler name ipvsadm accepts for -s, in ipvsadm's man-page order (twos: Linux >= 6.4). */
export const SCHEDULER_NAMES = [
  'rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'twos',
] as const;

/** A scheduler name as ipvsadm spells it. */
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];

/** ipvsadm's default scheduler. */
export const DEFAULT_SCHEDULER: SchedulerName = 'wlc';

/** The scheduler flag names ipvsadm accepts for -b, with their IP_VS_SVC_F_SCHED* bit. */
export const SCHED_FLAG_BITS: Readonly<Record<string, number>> = Object.freeze({
  'flag-1': SVC_F_SCHED1,
  'flag-2': SVC_F_SCHED2,
  'flag-3': SVC_F_SCHED3,
  'sh-fallback': SVC_F_SCHED1,
  'sh-port': SVC_F_SCHED2,
  'mh-fallback': SVC_F_SCHED1,
  'mh-port': SVC_F_SCHED2,
});

/** True when `name` is a scheduler ipvsadm knows. */
export function isSchedulerName(name: string): name is SchedulerName {
  return (SCHEDULER_NAMES as readonly string[]).includes(name);
}

/**
 * Checks -b flags against a scheduler the way ipvsadm's parse_sched_flags does: returns null when
 * valid, else ipvsadm's message ("invalid scheduler flag `x'" / "incompatible scheduler flag `x'").
 */
export function checkSchedFlags(scheduler: string | undefined, flags: readonly string[]): string | null {
  for (const f of flags) {
    if (!(f in SCHED_FLAG_BITS)) return `invalid scheduler flag \`${f}'`;
    const owner = f.startsWith('sh-') ? 'sh' : f.startsWith('mh-') ? 'mh' : undefined;
    if (owner && scheduler && scheduler !== owner) return `incompatible scheduler flag \`${f}'`;
  }
  return null;
}

/** The IP_VS_SVC_F_SCHED* bits of a flag list (unknown names are ignored). */
export function schedFlagBits(flags: readonly string[]): number {
  let bits = 0;
  for (const f of flags) bits |= SCHED_FLAG_BITS[f] ?? 0;
  return bits;
}

/**
 * The kernel's flag names for a bit set, as ipvsadm prints them: for sh and mh SCHED1/2 read
 * "<sched>-fallback"/"<sched>-port", otherwise "flag-1".."flag-3"; SCHED3 is always "flag-3".
 */
export function schedFlagNames(scheduler: string, bits: number): string[] {
  const out: string[] = [];
  const named = scheduler === 'sh' || scheduler === 'mh';
  if (bits & SVC_F_SCHED1) out.push(named ? `${scheduler}-fallback` : 'flag-1');
  if (bits & SVC_F_SCHED2) out.push(named ? `${scheduler}-port` : 'flag-2');
  if (bits & SVC_F_SCHED3) out.push('flag-3');
  return out;
}

/** Bytes of shared state a scheduler instance needs (header only for stateless schedulers). */
export function schedulerStateBytes(name: string, shared: Pick<SchedulerShared, 'tableCapacity'> = {}): number {
  switch (name) {
    case 'rr':
      return RR_STATE_BYTES;
    case 'wrr':
      return WRR_STATE_BYTES;
    case 'lblc':
      return lblcStateBytes(shared.tableCapacity);
    case 'lblcr':
      return lblcrStateBytes(shared.tableCapacity);
    default:
      return stateBytes(0);
  }
}

/**
 * Builds a scheduler for one virtual service. `flags` are ipvsadm -b names (sh-port, ...);
 * `shared.state` is the service's shared state buffer (allocated privately when absent).
 * Throws a RangeError for an unknown name, flag, or a state buffer that is too small.
 */
export function createScheduler(name: string, flags: readonly string[] = [], shared: SchedulerShared = {}): Scheduler {
  if (!isSchedulerName(name)) throw new RangeError(`Scheduler not found: ${name}`);
  const bad = checkSchedFlags(name, flags);
  if (bad) throw new RangeError(bad);
  const bits = schedFlagBits(flags);
  const bytes = schedulerStateBytes(name, shared);
  const st = new SchedState(shared.state ?? new ArrayBuffer(bytes), bytes);
  switch (name) {
    case 'rr':
      return new RrScheduler(st);
    case 'wrr':
      return new WrrScheduler(st);
    case 'lc':
      return new LcScheduler();
    case 'wlc':
      return new WlcScheduler();
    case 'sed':
      return new SedScheduler();
    case 'nq':
      return new NqScheduler();
    case 'fo':
      return new FoScheduler();
    case 'ovf':
      return new OvfScheduler();
    case 'twos':
      return new TwosScheduler(shared.random);
    case 'dh':
      return new DhScheduler(shared.legacyHash);
    case 'sh':
      return new ShScheduler(bits, shared.legacyHash);
    case 'mh':
      return new MhScheduler(bits);
    case 'lblc':
      return new LblcScheduler(st, shared);
    case 'lblcr':
      return new LblcrScheduler(st, shared);
  }
}

/** Convenience for tools: the index `createScheduler(...).schedule` would pick, after an 'init' update. */
export function pickOnce(name: string, flags: readonly string[], dests: DestView, flow: import('./types.js').FlowKey, nowMs = 0): number {
  const s = createScheduler(name, flags);
  s.update(dests, { kind: 'init' });
  return s.schedule(dests, flow, nowMs);
}
