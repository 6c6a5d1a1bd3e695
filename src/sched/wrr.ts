/**
 * wrr — weighted round robin (net/netfilter/ipvs/ip_vs_wrr.c).
 * State {cl, cw} is shared; {mw, di} are derived from the weights on every change:
 * di = gcd of weights > 0 (1 if none), mw = max weight - (di - 1).
 * Pick: from the dest after cl, the first not-OVERLOAD dest with weight >= cw; at the end of the
 * list cw -= di, and when cw <= 0 it restarts at mw; the loop gives up (NULL) once every dest was
 * tried at the final threshold (the kernel's last_pass / restarted / stop logic, kept verbatim).
 * On add/del/edit (ip_vs_wrr_dest_changed): cl = head; cw = mw if cw > mw or cw == 0, else
 * cw = (cw / di) * di + 1 when di > 1.
 */
import type { DestChange, DestView, FlowKey, Scheduler } from './types.js';
import { type SchedState, stateBytes } from './shared-state.js';
import { gcd } from './exact.js';

const CL = 2; // current dest index + 1 (0 = list head)
const CW = 3; // current weight

/** Bytes of shared state wrr needs. */
export const WRR_STATE_BYTES = stateBytes(2);

/** The wrr scheduler over a (possibly shared) state buffer. */
export class WrrScheduler implements Scheduler {
  readonly name = 'wrr';
  private mw = 0;
  private di = 1;
  constructor(private readonly st: SchedState) {}

  update(d: DestView, change: DestChange): void {
    let g = 0;
    let max = 0;
    for (let i = 0; i < d.count; i++) {
      const w = d.weight(i);
      if (w > 0) g = g > 0 ? gcd(w, g) : w;
      if (w > max) max = w;
    }
    this.di = g || 1;
    this.mw = max - (this.di - 1);
    const st = this.st;
    st.lock();
    try {
      if (!st.claim(change.generation)) return;
      const a = st.i32;
      a[CL] = 0;
      const cw = a[CW]!;
      if (change.kind === 'init' || cw > this.mw || cw === 0) a[CW] = this.mw;
      else if (this.di > 1) a[CW] = Math.trunc(cw / this.di) * this.di + 1;
    } finally {
      st.unlock();
    }
  }

  schedule(d: DestView, _flow: FlowKey, _nowMs: number): number {
    const st = this.st;
    const a = st.i32;
    const n = d.count;
    const mw = this.mw;
    const di = this.di;
    st.lock();
    let dest = a[CL]! - 1;
    if (dest >= n) dest = -1;
    if (mw === 0) {
      a[CL] = dest + 1;
      st.unlock();
      return -1;
    }
    const last = dest;
    let stop = -2; // no stop dest yet
    let lastPass = false;
    let restarted = false;
    let cw = a[CW]!;
    let found = -1;
    search: for (;;) {
      for (dest = dest + 1; dest < n; dest++) {
        if (!d.overloaded(dest) && d.weight(dest) >= cw) {
          found = dest;
          break search;
        }
        if (dest === stop) break search; // err_over, cl = this dest
      }
      dest = -1; // back at the list head
      cw -= di;
      if (cw <= 0) {
        cw = mw;
        if (lastPass || last === -1) break; // err_over, cl = head
        restarted = true;
      }
      lastPass = cw <= di;
      if (lastPass && restarted && last !== -1) stop = last;
    }
    a[CW] = cw;
    a[CL] = dest + 1;
    st.unlock();
    return found;
  }
}
