/**
 * Connection sync on the shared table, both ends (control path on the main thread, never per packet):
 * the master reads each connection and template as a SyncEntry (scanSync), the backup inserts or
 * updates received entries as live records (SyncCore.install, after ip_vs_proc_conn), hashed exactly
 * as the workers' own — in-hash or template hash, and the out-hash for NAT — so that after a takeover
 * a worker finds the flow and forwards it to the same real server with the same rewrite.
 */
import { ConnKey } from './conn-key.js';
import { ConnExpiry, isExpired } from './conn-expiry.js';
import type { ConnTable } from './conn-table.js';
import {
  E_CADDR,
  E_CONTROL,
  E_DADDR,
  E_DEST,
  E_EXPIRES,
  E_INPKTS,
  E_META,
  E_NCONTROL,
  E_NEXT_IN,
  E_NEXT_OUT,
  E_PORTS,
  E_SVC,
  E_TIMEOUT,
  E_VADDR,
  ENTRY_WORDS,
  ConnFlag,
  Fwd,
} from './layout.js';
import { TCP_STATE_ACTIVE } from './tcp-states.js';

/** One connection or template in table terms (addresses as host-order words, IPv4 in word 0). */
export interface SyncEntry {
  /** IP protocol (0 for fwmark templates). */
  proto: number;
  v6: boolean;
  template: boolean;
  /** TCP state (IP_VS_TCP_S_*), 0 otherwise. */
  state: number;
  /** No reply seen through the director (DR/TUN, or NAT before the first reply). */
  noOutput: boolean;
  fwd: Fwd;
  cport: number;
  vport: number;
  dport: number;
  /** Remaining lifetime in ms (master: time to expiry; backup: the timeout to arm). */
  timeoutMs: number;
  /** The state's full timeout in ms (cp->timeout; master side, for sync_refresh_period). */
  stateTimeoutMs: number;
  /** Packets seen client->director (the master's sync_threshold check). */
  inPkts: number;
  /** Record index and generation (the master's change tracking; ignored by install). */
  idx: number;
  gen: number;
  /** Dest and service slots (master: its own; backup: resolved to its own before install). */
  destSlot: number;
  svcSlot: number;
  readonly caddr: Int32Array;
  readonly vaddr: Int32Array;
  readonly daddr: Int32Array;
}

/** A blank SyncEntry to fill (one per caller, reused). */
export function newSyncEntry(): SyncEntry {
  return {
    proto: 0,
    v6: false,
    template: false,
    state: 0,
    noOutput: false,
    fwd: Fwd.Dr,
    cport: 0,
    vport: 0,
    dport: 0,
    timeoutMs: 0,
    stateTimeoutMs: 0,
    inPkts: 0,
    idx: -1,
    gen: 0,
    destSlot: 0,
    svcSlot: 0,
    caddr: new Int32Array(4),
    vaddr: new Int32Array(4),
    daddr: new Int32Array(4),
  };
}

/**
 * Calls `fn` with every live (unexpired, hashed) connection and template of records from..to-1 (default
 * all), one reused SyncEntry; racy
 * plain reads, as `ipvsadm -L -c` reads (a record changing meanwhile is sent again next scan).
 */
export function scanSync(t: ConnTable, nowMs: number, fn: (s: SyncEntry) => void, s: SyncEntry = newSyncEntry(), from = 0, to = Infinity): number {
  const e = t.e;
  const hw = Math.min(t.highWater(), to);
  const now = nowMs >>> 0;
  let n = 0;
  for (let i = from; i < hw; i++) {
    const o = i * ENTRY_WORDS;
    const meta = e[o + E_META]!;
    const flags = meta >>> 16;
    if ((flags & ConnFlag.InUse) === 0 || (flags & ConnFlag.HashedIn) === 0) continue;
    const left = (e[o + E_EXPIRES]! - now) | 0;
    if (left <= 0) continue;
    s.idx = i;
    s.gen = Atomics.load(e, o);
    s.proto = meta & 0xff;
    s.state = (meta >>> 8) & 0xff;
    s.v6 = (flags & ConnFlag.Inet6) !== 0;
    s.template = (flags & ConnFlag.Template) !== 0;
    s.noOutput = (flags & ConnFlag.NoOutput) !== 0;
    s.cport = e[o + E_PORTS]! & 0xffff;
    s.vport = e[o + E_PORTS]! >>> 16;
    s.dport = e[o + E_DEST]! & 0xffff;
    s.destSlot = e[o + E_DEST]! >>> 16;
    s.svcSlot = e[o + E_SVC]! & 0xffff;
    s.fwd = ((e[o + E_SVC]! >>> 16) & 3) as Fwd;
    s.timeoutMs = left;
    s.stateTimeoutMs = e[o + E_TIMEOUT]!;
    s.inPkts = e[o + E_INPKTS]!;
    for (let j = 0; j < 4; j++) {
      s.caddr[j] = e[o + E_CADDR + j]!;
      s.vaddr[j] = e[o + E_VADDR + j]!;
      s.daddr[j] = e[o + E_DADDR + j]!;
    }
    fn(s);
    n++;
  }
  return n;
}

/** What install did with one entry. */
export type SyncInstallResult = 'new' | 'updated' | 'full';

/** The backup's writer: inserts or refreshes synced entries in the shared table (ip_vs_proc_conn). */
export class SyncCore extends ConnExpiry {
  private readonly k = new ConnKey();

  /**
   * Inserts `s` (slots already the backup's own) as a live record, or updates the existing one with
   * the same key: state (moving it between active and inactive), timeout; a record bound to another
   * real server is replaced. Never grows the table past its bound: 'full' when no record is free.
   */
  install(s: SyncEntry, nowMs: number): SyncInstallResult {
    const t = this.table;
    const e = t.e;
    const k = this.k;
    const now = nowMs >>> 0;
    k.proto = s.proto;
    k.v6 = s.v6;
    k.cport = s.cport;
    k.vport = s.vport;
    k.dport = s.dport;
    k.caddr.set(s.caddr);
    k.vaddr.set(s.vaddr);
    k.daddr.set(s.daddr);
    const b = s.template ? t.tmplBucket(k) : t.connBucket(k);
    let head = s.template ? t.lockTmpl(b) : t.lockConn(b);
    const unlock = (h: number): void => (s.template ? t.unlockTmpl(b, h) : t.unlockConn(b, h));
    let idx = t.findIn(head, k);
    if (idx >= 0) {
      const o = idx * ENTRY_WORDS;
      let same = e[o + E_DEST]! >>> 16 === s.destSlot && (e[o + E_DEST]! & 0xffff) === s.dport;
      for (let j = 0; j < 4 && same; j++) same = e[o + E_DADDR + j] === s.daddr[j];
      if (same && !isExpired(e[o + E_EXPIRES]!, now)) {
        this.update(o, s, now);
        unlock(head);
        return 'updated';
      }
      if (s.template) {
        if (Atomics.load(e, o + E_NCONTROL) === 0) {
          head = t.unlinkIn(head, idx);
          this.releaseRecord(idx);
        } else {
          head = t.unlinkIn(head, idx);
          Atomics.and(e, o + E_META, ~(ConnFlag.HashedIn << 16));
        }
      } else {
        head = this.killLocked(head, idx);
      }
    }
    idx = t.alloc();
    if (idx < 0) {
      unlock(head);
      return 'full';
    }
    const o = idx * ENTRY_WORDS;
    const active = !s.template && s.proto === 6 && TCP_STATE_ACTIVE[s.state] === 1;
    let flags = ConnFlag.InUse | ConnFlag.HashedIn;
    if (s.template) flags |= ConnFlag.Template;
    else if (!active) flags |= ConnFlag.Inactive;
    if (s.noOutput || (s.fwd !== Fwd.Nat && !s.template)) flags |= ConnFlag.NoOutput;
    if (s.v6) flags |= ConnFlag.Inet6;
    e[o + E_PORTS] = s.cport | (s.vport << 16);
    e[o + E_DEST] = s.dport | (s.destSlot << 16);
    e[o + E_SVC] = s.svcSlot | (s.fwd << 16);
    e[o + E_TIMEOUT] = s.timeoutMs;
    e[o + E_EXPIRES] = (now + s.timeoutMs) | 0;
    e[o + E_CONTROL] = 0; // ip_vs_proc_conn: a synced connection is not bound to a template
    e[o + E_NCONTROL] = 0;
    e[o + E_INPKTS] = 0;
    for (let j = 0; j < 4; j++) {
      e[o + E_CADDR + j] = s.caddr[j]!;
      e[o + E_VADDR + j] = s.vaddr[j]!;
      e[o + E_DADDR + j] = s.daddr[j]!;
    }
    e[o + E_NEXT_IN] = head;
    e[o + E_NEXT_OUT] = 0;
    if (!s.template && s.fwd === Fwd.Nat) {
      flags |= ConnFlag.HashedOut;
      const ob = t.outBucket(k);
      const oh = t.lockOut(ob);
      e[o + E_NEXT_OUT] = oh;
      t.unlockOut(ob, idx + 1);
    }
    e[o + E_META] = s.proto | (s.state << 8) | (flags << 16);
    this.stats.bind(s.destSlot, s.template);
    if (active) this.stats.setActive(s.destSlot, true);
    unlock(idx + 1);
    return 'new';
  }

  /** Refreshes state and timer of record `o` (bucket locked). */
  private update(o: number, s: SyncEntry, now: number): void {
    const e = this.table.e;
    const meta = e[o + E_META]!;
    let flags = meta >>> 16;
    if (!s.template && s.proto === 6) {
      const inactive = (flags & ConnFlag.Inactive) !== 0;
      const active = TCP_STATE_ACTIVE[s.state] === 1;
      if (inactive && active) {
        this.stats.setActive(s.destSlot, true);
        flags &= ~ConnFlag.Inactive;
      } else if (!inactive && !active) {
        this.stats.setActive(s.destSlot, false);
        flags |= ConnFlag.Inactive;
      }
      e[o + E_META] = (meta & 0xff) | (s.state << 8) | (flags << 16);
    }
    e[o + E_TIMEOUT] = s.timeoutMs;
    e[o + E_EXPIRES] = (now + s.timeoutMs) | 0;
  }
}
