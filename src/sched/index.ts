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
 *   - `{ kind: 'init' }` means "scheduler bound to the service" (ip_vs_bind_scheduler): send it once
 *     per service (per worker, same generation). A reload that keeps the service must not send
 *     'init' again (it resets the rr/wrr position and flushes lblc/lblcr); send the add/del/edit
 *     changes instead, or nothing. A scheduler change (-E -s) is a new instance with a fresh state.
 *   - If a worker dies while holding the lock (mid schedule()), the others spin: restart the
 *     service's state (new buffer) when a worker is replaced.
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
import { ShScheduler } from './sh.js';
import { checkSchedFlags, isSchedulerName, schedFlagBits } from '../ipvs/schedulers.js';
import { MhScheduler } from './mh.js';
import { LblcScheduler, lblcStateBytes } from './lblc.js';
import { LblcrScheduler, lblcrStateBytes } from './lblcr.js';

export type { SchedulerShared } from './shared-state.js';
export type { DestView, FlowKey, Scheduler, DestChange } from './types.js';
export { ArrayDestView } from './array-dest-view.js';
export { makeFlow, setFlowSource } from './flow.js';

export {
  SCHEDULER_NAMES,
  DEFAULT_SCHEDULER,
  SCHED_FLAG_BITS,
  isSchedulerName,
  checkSchedFlags,
  schedFlagBits,
  schedFlagNames,
  type SchedulerName,
} from '../ipvs/schedulers.js';

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
