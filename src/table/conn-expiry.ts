/**
 * Connection lifetime over the shared table: per-batch defence level (drop_entry / drop_packet /
 * secure_tcp from the table fill, ip_vs_ctl.c update_defense_level), expiry (ip_vs_conn_expire: lazily on
 * lookup plus a bounded sweep per batch; templates that still control connections are re-armed 60 s),
 * and drop_entry (ip_vs_random_dropentry). Base of IpvsCore; one instance per thread.
 */
import { ConnKey } from './conn-key.js';
import type { ConnTable } from './conn-table.js';
import type { CoreConfig } from './core-types.js';
import type { DestStats } from './dest-stats.js';
import { E_CONTROL, E_DEST, E_EXPIRES, E_GEN, E_INPKTS, E_META, E_NCONTROL, E_TIMEOUT, ENTRY_WORDS, ConnFlag } from './layout.js';
import { TCP_TABLE_NORMAL, TCP_TABLE_SECURE, TcpState } from './tcp-states.js';

const IPPROTO_TCP = 6;
const TEMPLATE_REARM_MS = 60_000;
const DROP_ENTRY_IDLE_MS = 60_000;

/** Expired when `now` is at or past `expires` (both ms mod 2^32). */
export function isExpired(expires: number, now: number): boolean {
  return ((now - expires) | 0) >= 0;
}

/** Expiry, sweep and DoS defences of one thread (see the file comment). */
export abstract class ConnExpiry {
  /** Config of the current snapshot (swap between batches with setConfig). */
  cfg!: CoreConfig;
  protected tcpTable: Uint8Array = TCP_TABLE_NORMAL;
  protected dropRate = 0;
  protected dropCounter = 0;
  protected pressure = false;
  protected readonly sk = new ConnKey();
  protected readonly todrop = new Int32Array(9);

  constructor(
    readonly table: ConnTable,
    readonly stats: DestStats,
    cfg: CoreConfig,
  ) {
    this.setConfig(cfg);
  }

  /** Installs a new snapshot's config. */
  setConfig(cfg: CoreConfig): void {
    this.cfg = cfg;
    this.updateDefence();
  }

  /**
   * Per-batch housekeeping: recompute the defence level from the table fill and sweep up to
   * `sweepBudget` records for expiry (O(budget), never a full scan).
   */
  beginBatch(nowMs: number, sweepBudget: number): void {
    this.updateDefence();
    if (sweepBudget > 0) this.sweep(nowMs, sweepBudget);
    if (this.pressure && this.cfg.dropEntry > 0) this.dropEntries(nowMs, sweepBudget);
    else if (this.cfg.dropEntry === 3) this.dropEntries(nowMs, sweepBudget);
  }

  protected updateDefence(): void {
    const t = this.table;
    const max = t.maxConns;
    const avail = max - t.liveCount();
    const thresh = Math.max(1, max >>> 4); // the analogue of amemthresh: 1/16 of the table
    this.pressure = avail < thresh;
    const c = this.cfg;
    this.tcpTable = c.secureTcp === 3 || (c.secureTcp > 0 && this.pressure) ? TCP_TABLE_SECURE : TCP_TABLE_NORMAL;
    if (c.dropPacket === 3) this.dropRate = c.amDroprate;
    else if (c.dropPacket > 0 && this.pressure) this.dropRate = Math.floor(thresh / Math.max(1, thresh - Math.max(0, avail)));
    else this.dropRate = 0;
  }

  /** True while the table is within 1/16 of its bound (defences in automatic mode are on). */
  underPressure(): boolean {
    return this.pressure;
  }

  /** Expires connection `idx` now (its conn bucket locked with chain `head`); returns the new head. */
  protected killLocked(head: number, idx: number): number {
    const t = this.table;
    const e = t.e;
    const o = idx * ENTRY_WORDS;
    head = t.unlinkIn(head, idx);
    const flags = e[o + E_META]! >>> 16;
    if ((flags & ConnFlag.HashedOut) !== 0) {
      t.loadKey(idx, this.sk);
      const ob = t.outBucket(this.sk);
      const oh = t.lockOut(ob);
      t.unlockOut(ob, t.unlinkOut(oh, idx));
    }
    this.releaseRecord(idx);
    return head;
  }

  /** Unbinds record `idx` from its dest and template, then frees it (already unlinked). */
  protected releaseRecord(idx: number, flags = this.table.e[idx * ENTRY_WORDS + E_META]! >>> 16): void {
    const e = this.table.e;
    const o = idx * ENTRY_WORDS;
    this.stats.unbind(e[o + E_DEST]! >>> 16, (flags & ConnFlag.Template) !== 0, (flags & ConnFlag.Inactive) !== 0);
    const control = e[o + E_CONTROL]!;
    if (control !== 0) Atomics.sub(e, (control - 1) * ENTRY_WORDS + E_NCONTROL, 1);
    this.table.free(idx);
  }

  /**
   * Expires record `i` if its time has come (called by the sweep): connections are unlinked and freed,
   * templates that still control connections are re-armed for 60 s (ip_vs_conn_expire).
   */
  expireIfDue(i: number, nowMs: number): boolean {
    const t = this.table;
    const e = t.e;
    const o = i * ENTRY_WORDS;
    const now = nowMs >>> 0;
    // Racy pre-check with plain reads; everything is re-checked under the bucket lock.
    const meta = e[o + E_META]!;
    const flags = meta >>> 16;
    if ((flags & ConnFlag.InUse) === 0) return false;
    // expire_nodest_conn=1: connections of a deleted real server are flushed (ip_vs_expire_nodest_conn_flush).
    const nodest = this.cfg.expireNodestConn && (flags & ConnFlag.Template) === 0 && this.cfg.destBySlot[e[o + E_DEST]! >>> 16] === undefined;
    if (!nodest && !isExpired(e[o + E_EXPIRES]!, now)) return false;
    const gen = Atomics.load(e, o + E_GEN);
    if ((flags & ConnFlag.Template) !== 0) {
      if ((flags & ConnFlag.HashedIn) === 0) {
        // Invalidated template: no bucket protects it; claim it by clearing META.
        if (Atomics.load(e, o + E_NCONTROL) !== 0) return false;
        if (Atomics.compareExchange(e, o + E_META, meta, meta & ~(ConnFlag.InUse << 16)) !== meta) return false;
        this.releaseRecord(i, flags);
        return true;
      }
      t.loadKey(i, this.sk);
      const tb = t.tmplBucket(this.sk);
      let head = t.lockTmpl(tb);
      let freed = false;
      if (e[o + E_GEN] === gen && ((e[o + E_META]! >>> 16) & ConnFlag.HashedIn) !== 0 && isExpired(e[o + E_EXPIRES]!, now)) {
        if (Atomics.load(e, o + E_NCONTROL) > 0) {
          e[o + E_TIMEOUT] = TEMPLATE_REARM_MS;
          e[o + E_EXPIRES] = (now + TEMPLATE_REARM_MS) | 0;
        } else {
          head = t.unlinkIn(head, i);
          this.releaseRecord(i);
          freed = true;
        }
      }
      t.unlockTmpl(tb, head);
      return freed;
    }
    t.loadKey(i, this.sk);
    const b = t.connBucket(this.sk);
    let head = t.lockConn(b);
    let freed = false;
    if (e[o + E_GEN] === gen && ((e[o + E_META]! >>> 16) & ConnFlag.HashedIn) !== 0 && (nodest || isExpired(e[o + E_EXPIRES]!, now))) {
      head = this.killLocked(head, i);
      freed = true;
    }
    t.unlockConn(b, head);
    return freed;
  }

  /** Sweeps `budget` records from the shared cursor, expiring those due. Returns how many were freed. */
  sweep(nowMs: number, budget: number): number {
    const t = this.table;
    const hw = t.highWater();
    if (hw === 0) return 0;
    const n = Math.min(budget, hw);
    const start = t.claimSweep(n);
    let freed = 0;
    for (let j = 0; j < n; j++) {
      let i = start + j;
      if (i >= hw) i -= hw;
      if (this.expireIfDue(i, nowMs)) freed++;
    }
    return freed;
  }

  /** Expires every record that is due (control plane / tests: a full O(table) pass). */
  expireAll(nowMs: number): number {
    const hw = this.table.highWater();
    let freed = 0;
    for (let i = 0; i < hw; i++) if (this.expireIfDue(i, nowMs)) freed++;
    return freed;
  }

  /**
   * drop_entry (ip_vs_random_dropentry): scans `budget` records and drops half-open TCP entries
   * (SYN_RECV, SYNACK) and idle (>= 60 s) low-traffic (1..8 packets, 1 in in_pkts) established TCP,
   * UDP and other entries. Never templates, never busy or recently used flows.
   */
  dropEntries(nowMs: number, budget: number): number {
    const t = this.table;
    const e = t.e;
    const hw = t.highWater();
    if (hw === 0) return 0;
    const n = Math.min(budget, hw);
    const start = t.claimSweep(n);
    const now = nowMs >>> 0;
    let dropped = 0;
    for (let j = 0; j < n; j++) {
      let i = start + j;
      if (i >= hw) i -= hw;
      const o = i * ENTRY_WORDS;
      const meta = Atomics.load(e, o + E_META);
      const flags = meta >>> 16;
      if ((flags & ConnFlag.InUse) === 0 || (flags & (ConnFlag.Template | ConnFlag.HashedIn)) !== ConnFlag.HashedIn) continue;
      if (this.expireIfDue(i, nowMs)) {
        dropped++;
        continue;
      }
      const proto = meta & 0xff;
      const st = (meta >>> 8) & 0xff;
      let drop: boolean;
      if (proto === IPPROTO_TCP) {
        if (st === TcpState.SynRecv || st === TcpState.SynAck) drop = true;
        else if (st === TcpState.Established) drop = this.todropEntry(o, now);
        else drop = false;
      } else {
        drop = this.todropEntry(o, now);
      }
      if (drop && this.dropNow(i)) dropped++;
    }
    return dropped;
  }

  protected todropEntry(o: number, now: number): boolean {
    const e = this.table.e;
    const timeout = Atomics.load(e, o + E_TIMEOUT);
    const remaining = (Atomics.load(e, o + E_EXPIRES) - now) | 0;
    if (timeout - remaining < DROP_ENTRY_IDLE_MS) return false; // used within the last 60 s
    const pk = Atomics.load(e, o + E_INPKTS);
    if (pk > 8 || pk < 1) return false;
    if (--this.todrop[pk]! > 0) return false;
    this.todrop[pk] = pk;
    return true;
  }

  /** Expires connection `i` immediately (ip_vs_conn_expire_now) if it is still a hashed connection. */
  dropNow(i: number): boolean {
    const t = this.table;
    const e = t.e;
    const o = i * ENTRY_WORDS;
    const gen = Atomics.load(e, o + E_GEN);
    const meta = Atomics.load(e, o + E_META);
    if (((meta >>> 16) & (ConnFlag.InUse | ConnFlag.Template)) !== ConnFlag.InUse) return false;
    t.loadKey(i, this.sk);
    const b = t.connBucket(this.sk);
    let head = t.lockConn(b);
    let ok = false;
    if (e[o + E_GEN] === gen && ((e[o + E_META]! >>> 16) & ConnFlag.HashedIn) !== 0) {
      head = this.killLocked(head, i);
      ok = true;
    }
    t.unlockConn(b, head);
    return ok;
  }
}
