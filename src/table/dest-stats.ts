/**
 * Per-real-server ("dest") and per-virtual-service state in shared memory, stable per slot across
 * snapshots: connection counters used by the schedulers (active, inactive, persistent), the OVERLOAD
 * and AVAILABLE flags, thresholds and weight mirrors, and traffic counters (conns, in/out packets and
 * bytes).
 *
 * Connection counters are Int32 updated with Atomics by any worker (ip_vs_bind_dest /
 * ip_vs_unbind_dest semantics, incl. the -x/-y threshold rules of §2.5). The schedulers and the
 * threshold checks read them with plain loads, as the kernel's atomic_read() is a plain read: a count
 * another worker is changing may read one update old either way, and an aligned Int32 read never
 * tears. On Node 20 an Atomics.load is a builtin call of about 7 ns, a plain load well under 1 ns, and
 * wlc reads three words of every dest per new connection. Traffic counters are one
 * Float64 row per worker (single writer, exact to 2^53, summed by readers) so the hot path needs no
 * atomic read-modify-write.
 */

/** Int32 words per dest record. */
export const DEST_WORDS = 8;
/** Word offsets in a dest record. */
export const enum DestWord {
  Flags = 0,
  Active = 1,
  Inactive = 2,
  Persist = 3,
  UThreshold = 4,
  LThreshold = 5,
  Weight = 6,
  /** Slot owner marker: 1 while a configured (or still referenced) dest uses the slot. */
  InUse = 7,
}

/** Dest flags (IP_VS_DEST_F_*). */
export const enum DestFlag {
  Available = 1,
  Overload = 2,
}

/** Traffic counter fields per (worker, slot) row. */
export const enum Stat {
  Conns = 0,
  InPkts = 1,
  OutPkts = 2,
  InBytes = 3,
  OutBytes = 4,
}
/** Number of traffic counter fields. */
export const STAT_FIELDS = 5;

/** SharedArrayBuffers of the dest and service stats. */
export interface StatsBuffers {
  destWords: SharedArrayBuffer;
  destCounters: SharedArrayBuffer;
  serviceCounters: SharedArrayBuffer;
}

/** Traffic totals of one dest or service (what `ipvsadm -L --stats` prints). */
export interface TrafficTotals {
  conns: number;
  inPkts: number;
  outPkts: number;
  inBytes: number;
  outBytes: number;
}

/** Creates zeroed stats buffers for `maxDests` dests, `maxServices` services and `maxWorkers` writers. */
export function createStatsBuffers(maxDests: number, maxServices: number, maxWorkers: number): StatsBuffers {
  return {
    destWords: new SharedArrayBuffer(maxDests * DEST_WORDS * 4),
    destCounters: new SharedArrayBuffer(maxWorkers * maxDests * STAT_FIELDS * 8),
    serviceCounters: new SharedArrayBuffer(maxWorkers * maxServices * STAT_FIELDS * 8),
  };
}

/** One thread's view of the dest and service stats. */
export class DestStats {
  readonly w: Int32Array;
  readonly dc: Float64Array;
  readonly sc: Float64Array;
  readonly maxDests: number;
  readonly maxServices: number;
  readonly maxWorkers: number;
  private readonly dRow: number;
  private readonly sRow: number;

  constructor(
    readonly buffers: StatsBuffers,
    maxWorkers: number,
    readonly workerIndex: number,
  ) {
    this.w = new Int32Array(buffers.destWords);
    this.dc = new Float64Array(buffers.destCounters);
    this.sc = new Float64Array(buffers.serviceCounters);
    this.maxWorkers = maxWorkers;
    this.maxDests = this.w.length / DEST_WORDS;
    this.maxServices = this.sc.length / (maxWorkers * STAT_FIELDS);
    this.dRow = workerIndex * this.maxDests * STAT_FIELDS;
    this.sRow = workerIndex * this.maxServices * STAT_FIELDS;
  }

  /** ip_vs_bind_dest: count a new connection (inactive) or template (persistent) and apply -x. */
  bind(slot: number, template: boolean): void {
    const w = this.w;
    const o = slot * DEST_WORDS;
    if (template) Atomics.add(w, o + DestWord.Persist, 1);
    else Atomics.add(w, o + DestWord.Inactive, 1);
    const u = w[o + DestWord.UThreshold]!;
    if (u !== 0 && w[o + DestWord.Active]! + w[o + DestWord.Inactive]! >= u) {
      Atomics.or(w, o + DestWord.Flags, DestFlag.Overload);
    }
  }

  /** ip_vs_unbind_dest: uncount a connection/template and clear OVERLOAD per the -y / 3/4 rule. */
  unbind(slot: number, template: boolean, inactive: boolean): void {
    const w = this.w;
    const o = slot * DEST_WORDS;
    if (template) Atomics.sub(w, o + DestWord.Persist, 1);
    else if (inactive) Atomics.sub(w, o + DestWord.Inactive, 1);
    else Atomics.sub(w, o + DestWord.Active, 1);
    const total = w[o + DestWord.Active]! + w[o + DestWord.Inactive]!;
    const l = w[o + DestWord.LThreshold]!;
    const u = w[o + DestWord.UThreshold]!;
    if (l !== 0) {
      if (total < l) Atomics.and(w, o + DestWord.Flags, ~DestFlag.Overload);
    } else if (u !== 0) {
      if (total * 4 < u * 3) Atomics.and(w, o + DestWord.Flags, ~DestFlag.Overload);
    } else {
      Atomics.and(w, o + DestWord.Flags, ~DestFlag.Overload);
    }
  }

  /** Moves one connection between inactive and active (TCP state change). */
  setActive(slot: number, active: boolean): void {
    const o = slot * DEST_WORDS;
    if (active) {
      Atomics.add(this.w, o + DestWord.Active, 1);
      Atomics.sub(this.w, o + DestWord.Inactive, 1);
    } else {
      Atomics.sub(this.w, o + DestWord.Active, 1);
      Atomics.add(this.w, o + DestWord.Inactive, 1);
    }
  }

  /** Counts a new connection on a dest and its service (ip_vs_conn_stats). */
  addConn(slot: number, svcSlot: number): void {
    this.dc[this.dRow + slot * STAT_FIELDS + Stat.Conns]! += 1;
    this.sc[this.sRow + svcSlot * STAT_FIELDS + Stat.Conns]! += 1;
  }

  /** Counts one client->real-server packet of `bytes` (ip_vs_in_stats). */
  addIn(slot: number, svcSlot: number, bytes: number): void {
    const d = this.dRow + slot * STAT_FIELDS;
    const s = this.sRow + svcSlot * STAT_FIELDS;
    this.dc[d + Stat.InPkts]! += 1;
    this.dc[d + Stat.InBytes]! += bytes;
    this.sc[s + Stat.InPkts]! += 1;
    this.sc[s + Stat.InBytes]! += bytes;
  }

  /** Counts one real-server->client packet of `bytes` (ip_vs_out_stats). */
  addOut(slot: number, svcSlot: number, bytes: number): void {
    const d = this.dRow + slot * STAT_FIELDS;
    const s = this.sRow + svcSlot * STAT_FIELDS;
    this.dc[d + Stat.OutPkts]! += 1;
    this.dc[d + Stat.OutBytes]! += bytes;
    this.sc[s + Stat.OutPkts]! += 1;
    this.sc[s + Stat.OutBytes]! += bytes;
  }

  /** Active connections of dest `slot`. */
  active(slot: number): number {
    return this.w[slot * DEST_WORDS + DestWord.Active]!;
  }

  /** Inactive connections of dest `slot`. */
  inactive(slot: number): number {
    return this.w[slot * DEST_WORDS + DestWord.Inactive]!;
  }

  /** Persistence templates pointing at dest `slot`. */
  persistent(slot: number): number {
    return this.w[slot * DEST_WORDS + DestWord.Persist]!;
  }

  /** True while dest `slot` is OVERLOAD (thresholds). */
  overloaded(slot: number): boolean {
    return (this.w[slot * DEST_WORDS + DestWord.Flags]! & DestFlag.Overload) !== 0;
  }

  /** Records (still) referring to dest `slot`: its slot may be reused only at 0 (control plane: Atomics reads). */
  refs(slot: number): number {
    const o = slot * DEST_WORDS;
    return Atomics.load(this.w, o + DestWord.Active) + Atomics.load(this.w, o + DestWord.Inactive) + Atomics.load(this.w, o + DestWord.Persist);
  }

  /** Control plane: writes weight and thresholds of dest `slot`, applying the kernel's edit rule for OVERLOAD. */
  configure(slot: number, weight: number, uThreshold: number, lThreshold: number, available: boolean): void {
    const w = this.w;
    const o = slot * DEST_WORDS;
    const oldU = w[o + DestWord.UThreshold]!;
    // __ip_vs_update_dest: clear OVERLOAD when the new upper threshold is 0 or above the old one.
    if (uThreshold === 0 || uThreshold > oldU) Atomics.and(w, o + DestWord.Flags, ~DestFlag.Overload);
    Atomics.store(w, o + DestWord.UThreshold, uThreshold);
    Atomics.store(w, o + DestWord.LThreshold, lThreshold);
    Atomics.store(w, o + DestWord.Weight, weight);
    Atomics.store(w, o + DestWord.InUse, 1);
    if (available) Atomics.or(w, o + DestWord.Flags, DestFlag.Available);
    else Atomics.and(w, o + DestWord.Flags, ~DestFlag.Available);
  }

  /** Control plane: marks slot `slot` free (no config, no references) and zeroes its counters. */
  release(slot: number): void {
    const o = slot * DEST_WORDS;
    for (let j = 0; j < DEST_WORDS; j++) Atomics.store(this.w, o + j, 0);
    this.zeroDest(slot);
  }

  /** Zeroes the traffic counters of dest `slot` in every worker row (ipvsadm -Z; slot reuse). */
  zeroDest(slot: number): void {
    for (let k = 0; k < this.maxWorkers; k++) this.dc.fill(0, (k * this.maxDests + slot) * STAT_FIELDS, (k * this.maxDests + slot + 1) * STAT_FIELDS);
  }

  /** Zeroes the traffic counters of service `slot` in every worker row. */
  zeroService(slot: number): void {
    for (let k = 0; k < this.maxWorkers; k++) this.sc.fill(0, (k * this.maxServices + slot) * STAT_FIELDS, (k * this.maxServices + slot + 1) * STAT_FIELDS);
  }

  /** Sums the traffic counters of dest `slot` over all workers. */
  destTotals(slot: number): TrafficTotals {
    return this.sum(this.dc, this.maxDests, slot);
  }

  /** Sums the traffic counters of service `slot` over all workers. */
  serviceTotals(slot: number): TrafficTotals {
    return this.sum(this.sc, this.maxServices, slot);
  }

  private sum(a: Float64Array, n: number, slot: number): TrafficTotals {
    const t = [0, 0, 0, 0, 0];
    for (let k = 0; k < this.maxWorkers; k++) {
      const o = (k * n + slot) * STAT_FIELDS;
      for (let f = 0; f < STAT_FIELDS; f++) t[f]! += a[o + f]!;
    }
    return { conns: t[0]!, inPkts: t[1]!, outPkts: t[2]!, inBytes: t[3]!, outBytes: t[4]! };
  }
}
