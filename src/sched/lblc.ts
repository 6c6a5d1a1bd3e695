/**
 * lblc — locality-based least connection (net/netfilter/ipvs/ip_vs_lblc.c), keyed on the packet's
 * destination address. A cached daddr -> dest entry is kept while its dest is AVAILABLE, has
 * weight > 0 and is not "lblc-overloaded" (activeconns > weight while some dest of the service has
 * activeconns * 2 < weight); the OVERLOAD flag is not checked on a hit. Otherwise the wlc choice
 * (which skips OVERLOAD) is cached (replacing the entry) and returned. Entries expire by the
 * kernel's periodic GC (see locality-table.ts), driven here by the `nowMs` of schedule().
 * The table lives in the shared state, so all workers see one cache.
 * Deviation: the kernel keeps entries that point at a deleted (trash) dest until they are next
 * looked up and found invalid; we drop them when the dest is deleted. Picks are the same, except
 * that a dest re-added from the trash does not get its old entries back.
 */
import type { DestChange, DestView, FlowKey, Scheduler } from './types.js';
import { type SchedState, stateBytes, type SchedulerShared } from './shared-state.js';
import { DEFAULT_EXPIRATION_MS, DEFAULT_TABLE_CAPACITY, E_DEST, LocalityTable, localityBytes } from './locality-table.js';
import { wlcPick } from './wlc.js';

/** Bytes of shared state for lblc with a table of `capacity` entries. */
export function lblcStateBytes(capacity = DEFAULT_TABLE_CAPACITY): number {
  return Math.max(stateBytes(0), localityBytes(capacity, 0));
}

/** is_overloaded() of lblc/lblcr: dest over its weight while another dest is under half of its own. */
export function lblcOverloaded(d: DestView, i: number): boolean {
  if (d.activeConns(i) > d.weight(i)) {
    for (let j = 0, n = d.count; j < n; j++) if (d.activeConns(j) * 2 < d.weight(j)) return true;
  }
  return false;
}

/**
 * The lookup of lblc and lblcr (ip_vs_lblc_get / ip_vs_lblcr_get after the due periodic GC): the entry
 * for the flow's destination address with its lastuse set to nowMs, or -1. Call with the state locked.
 */
export function lookupLocality(t: LocalityTable, flow: FlowKey, nowMs: number, expirationMs: number): number {
  t.runDueChecks(nowMs, expirationMs);
  const e = t.find(flow.family, flow.daddr);
  if (e >= 0) t.setLastuse(e, nowMs);
  return e;
}

/** Applies a dest add/delete to the dest indices stored in a locality table (lblc: one per entry). */
function remapEntries(t: LocalityTable, change: DestChange): void {
  if (change.kind === 'init') return t.flush();
  if (change.kind === 'edit') return;
  const x = change.index;
  t.forEach((e, b) => {
    const w = t.ew(e) + E_DEST;
    const dest = t.a[w]!;
    if (change.kind === 'add') {
      if (dest >= x) t.a[w] = dest + 1;
    } else if (dest === x) t.remove(e, b);
    else if (dest > x) t.a[w] = dest - 1;
  });
}

/** The lblc scheduler. */
export class LblcScheduler implements Scheduler {
  readonly name = 'lblc';
  readonly table: LocalityTable;
  private readonly expirationMs: number;

  constructor(
    private readonly st: SchedState,
    opts: SchedulerShared = {},
  ) {
    this.table = new LocalityTable(st, opts.tableCapacity ?? DEFAULT_TABLE_CAPACITY, 0, opts.legacyHash ?? false);
    this.expirationMs = opts.expirationMs ?? DEFAULT_EXPIRATION_MS;
  }

  update(_d: DestView, change: DestChange): void {
    this.st.lock();
    try {
      if (this.st.claim(change.generation)) remapEntries(this.table, change);
    } finally {
      this.st.unlock();
    }
  }

  schedule(d: DestView, flow: FlowKey, nowMs: number): number {
    const t = this.table;
    this.st.lock();
    try {
      const e = lookupLocality(t, flow, nowMs, this.expirationMs);
      if (e >= 0) {
        const dest = t.a[t.ew(e) + E_DEST]!;
        if (dest < d.count && d.available(dest) && d.weight(dest) > 0 && !lblcOverloaded(d, dest)) return dest;
      }
      const dest = wlcPick(d);
      if (dest < 0) return -1;
      // ip_vs_lblc_new: keep an entry already pointing at dest, else replace it.
      if (e >= 0) {
        if (t.a[t.ew(e) + E_DEST] === dest) return dest;
        t.remove(e, t.bucketOf(flow.family, flow.daddr));
      }
      const n = t.insert(flow.family, flow.daddr, nowMs);
      if (n >= 0) t.a[t.ew(n) + E_DEST] = dest;
      return dest;
    } finally {
      this.st.unlock();
    }
  }
}
