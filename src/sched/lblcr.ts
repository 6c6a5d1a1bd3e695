/**
 * lblcr — locality-based least connection with replication (net/netfilter/ipvs/ip_vs_lblcr.c).
 * Per destination address a *set* of dests (newest first). On a hit: lastuse = now; choose the
 * weighted-least-loaded member (skipping OVERLOAD, needing weight > 0 and AVAILABLE); if the set
 * has more than one member and was last modified more than lblcr_expiration ago, erase its
 * weighted-most-loaded member; if the chosen dest is NULL or lblc-overloaded, run wlc over the
 * whole service and add the result to the set. On a miss: wlc, then a new entry with a one-member
 * set. GC as lblc. The table lives in the shared state.
 * Deviation: set members whose dest is deleted are dropped at once (the kernel keeps them,
 * unavailable, until they are erased as the most loaded member or the entry expires).
 */
import type { DestChange, DestView, FlowKey, Scheduler } from './types.js';
import { type SchedState, stateBytes, type SchedulerShared } from './shared-state.js';
import { DEFAULT_EXPIRATION_MS, DEFAULT_TABLE_CAPACITY, LocalityTable, localityBytes } from './locality-table.js';
import { wlcOverhead as oh, wlcPick } from './wlc.js';
import { lblcOverloaded, lookupLocality } from './lblc.js';
import { mulGt, mulLt } from './exact.js';

/** Bytes of shared state for lblcr with `capacity` entries and 2 * capacity set members. */
export function lblcrStateBytes(capacity = DEFAULT_TABLE_CAPACITY): number {
  return Math.max(stateBytes(0), localityBytes(capacity, 2 * capacity));
}

/** The lblcr scheduler. */
export class LblcrScheduler implements Scheduler {
  readonly name = 'lblcr';
  readonly table: LocalityTable;
  private readonly expirationMs: number;

  constructor(
    private readonly st: SchedState,
    opts: SchedulerShared = {},
  ) {
    const cap = opts.tableCapacity ?? DEFAULT_TABLE_CAPACITY;
    this.table = new LocalityTable(st, cap, 2 * cap, opts.legacyHash ?? false);
    this.expirationMs = opts.expirationMs ?? DEFAULT_EXPIRATION_MS;
  }

  update(_d: DestView, change: DestChange): void {
    const t = this.table;
    this.st.lock();
    try {
      if (!this.st.claim(change.generation)) return;
      if (change.kind === 'init') return t.flush();
      if (change.kind === 'edit') return;
      const x = change.index;
      t.forEach((e) => {
        for (let s = t.setHead(e); s >= 0; ) {
          const next = t.elemNext(s);
          const dest = t.elemDest(s);
          if (change.kind === 'add') {
            if (dest >= x) t.setElemDest(s, dest + 1);
          } else if (dest === x) {
            const keep = t.lastmod(e);
            t.setErase(e, dest, keep);
          } else if (dest > x) t.setElemDest(s, dest - 1);
          s = next;
        }
      });
    } finally {
      this.st.unlock();
    }
  }

  /** ip_vs_dest_set_min. */
  private setMin(d: DestView, e: number): number {
    const t = this.table;
    const n = d.count;
    let s = t.setHead(e);
    let least = -1;
    for (; s >= 0; s = t.elemNext(s)) {
      const i = t.elemDest(s);
      if (i >= n || d.overloaded(i)) continue;
      if (d.weight(i) > 0 && d.available(i)) {
        least = i;
        break;
      }
    }
    if (least < 0) return -1;
    let loh = oh(d, least);
    for (s = t.elemNext(s); s >= 0; s = t.elemNext(s)) {
      const i = t.elemDest(s);
      if (i >= n || d.overloaded(i)) continue;
      const doh = oh(d, i);
      if (mulGt(loh, d.weight(i), doh, d.weight(least)) && d.available(i)) {
        least = i;
        loh = doh;
      }
    }
    return least;
  }

  /** ip_vs_dest_set_max. */
  private setMax(d: DestView, e: number): number {
    const t = this.table;
    const n = d.count;
    let s = t.setHead(e);
    let most = -1;
    for (; s >= 0; s = t.elemNext(s)) {
      const i = t.elemDest(s);
      if (i < n && d.weight(i) > 0) {
        most = i;
        break;
      }
    }
    if (most < 0) return -1;
    let moh = oh(d, most);
    for (s = t.elemNext(s); s >= 0; s = t.elemNext(s)) {
      const i = t.elemDest(s);
      if (i >= n) continue;
      const doh = oh(d, i);
      if (mulLt(moh, d.weight(i), doh, d.weight(most)) && d.weight(i) > 0) {
        most = i;
        moh = doh;
      }
    }
    return most;
  }

  schedule(d: DestView, flow: FlowKey, nowMs: number): number {
    const t = this.table;
    this.st.lock();
    try {
      const e = lookupLocality(t, flow, nowMs, this.expirationMs);
      if (e >= 0) {
        let dest = this.setMin(d, e);
        if (t.setSize(e) > 1 && nowMs > t.lastmod(e) + this.expirationMs) {
          const m = this.setMax(d, e);
          if (m >= 0) t.setErase(e, m, nowMs);
        }
        if (dest >= 0 && !lblcOverloaded(d, dest)) return dest;
        dest = wlcPick(d);
        if (dest < 0) return -1;
        t.setInsert(e, dest, true, nowMs);
        return dest;
      }
      const dest = wlcPick(d);
      if (dest < 0) return -1;
      const n = t.insert(flow.family, flow.daddr, nowMs);
      if (n >= 0) t.setInsert(n, dest, false, nowMs);
      return dest;
    } finally {
      this.st.unlock();
    }
  }
}
