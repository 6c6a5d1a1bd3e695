/**
 * rr — round robin (net/netfilter/ipvs/ip_vs_rr.c).
 * State: a pointer to the last chosen dest, initially the list head. A pick walks forward from
 * the dest after the pointer to the end of the list, then (second pass, only if the pointer was
 * not the head) from the start up to and including the pointer itself; the first dest that is not
 * OVERLOAD and has weight > 0 wins. Deleting the pointed-to dest moves the pointer to its
 * predecessor (ip_vs_rr_del_dest); adding a dest does not move it.
 */
import type { DestChange, DestView, FlowKey, Scheduler } from './types.js';
import { type SchedState, stateBytes } from './shared-state.js';

const PTR = 2; // last chosen index + 1 (0 = list head)

/** Bytes of shared state rr needs. */
export const RR_STATE_BYTES = stateBytes(1);

/** The rr scheduler over a (possibly shared) state buffer. */
export class RrScheduler implements Scheduler {
  readonly name = 'rr';
  constructor(private readonly st: SchedState) {}

  update(_dests: DestView, change: DestChange): void {
    const st = this.st;
    st.lock();
    try {
      if (!st.claim(change.generation)) return;
      const a = st.i32;
      const p = a[PTR]! - 1;
      if (change.kind === 'init') a[PTR] = 0;
      else if (change.kind === 'del') {
        if (p === change.index)
          a[PTR] = p; // predecessor: (p - 1) + 1
        else if (p > change.index) a[PTR] = p;
      } else if (change.kind === 'add') {
        if (p >= change.index) a[PTR] = p + 2;
      }
    } finally {
      st.unlock();
    }
  }

  schedule(d: DestView, _flow: FlowKey, _nowMs: number): number {
    const st = this.st;
    const a = st.i32;
    const n = d.count;
    st.lock();
    let p = a[PTR]! - 1;
    if (p >= n) p = -1; // a worker still on an older dest list: restart at the head
    const last = p;
    let i = p;
    let found = -1;
    let pass = 0;
    outer: do {
      for (i = i + 1; i < n; i++) {
        if (!d.overloaded(i) && d.weight(i) > 0) {
          found = i;
          break outer;
        }
        if (i === last) break outer;
      }
      i = -1;
      pass++;
    } while (pass < 2 && p !== -1);
    if (found >= 0) a[PTR] = found + 1;
    st.unlock();
    return found;
  }
}
