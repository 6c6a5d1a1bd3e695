/**
 * IPVS connection semantics over the shared table: ip_vs_in / ip_vs_out lookups, creation with
 * scheduling and persistence templates (ip_vs_schedule, ip_vs_sched_persist), TCP/UDP state
 * transitions (set_tcp_state), conn_reuse_mode and expire_nodest_conn (ip_vs_in), expiry
 * (ip_vs_conn_expire, lazily on lookup plus a bounded sweep per batch), and the DoS defences
 * drop_entry / drop_packet / secure_tcp (ip_vs_ctl.c update_defense_level, ip_vs_conn.c
 * ip_vs_random_dropentry). One instance per thread; all shared state is in ConnTable / DestStats.
 */
import { ConnKey } from './conn-key.js';
import type { ConnTable } from './conn-table.js';
import type { CoreConfig, CoreService, ServiceResolver } from './core-types.js';
import type { DestStats } from './dest-stats.js';
import {
  E_CADDR, E_CONTROL, E_DADDR, E_DEST, E_EXPIRES, E_GEN, E_INPKTS, E_META, E_NCONTROL, E_NEXT_IN, E_NEXT_OUT,
  E_PORTS, E_SVC, E_TIMEOUT, E_VADDR, ENTRY_WORDS, ConnFlag, Fwd,
} from './layout.js';
import {
  NEW_CONN_TIMEOUT_MS, TCP_RST, TCP_STATE_ACTIVE, TCP_SYN, TCP_TABLE_NORMAL, TCP_TABLE_SECURE, TcpDir, TcpState,
  nextTcpState,
} from './tcp-states.js';

/** Outcome of a lookup/creation for one packet. */
export const enum ConnStatus {
  /** A connection matched or was created: `ConnResult` is filled. */
  Hit = 0,
  /** No connection and no virtual service: not ours (Accept). */
  NotOurs = 1,
  /** A virtual service, but the packet may not create a connection (TCP without SYN): Accept. */
  NoConn = 2,
  /** The scheduler found no real server: ICMP port unreachable, drop. */
  NoDest = 3,
  /** The connection's real server was deleted and expire_nodest_conn=0: drop. */
  DestGone = 4,
  /** Connection table full even after drop_entry: drop. */
  TableFull = 5,
  /** drop_packet defence dropped this new connection. */
  Defence = 6,
}

const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const FTP_PORT = 21;
const TEMPLATE_REARM_MS = 60_000;
const DROP_ENTRY_IDLE_MS = 60_000;
const DROP_ENTRY_BUDGET = 1024;

/** Filled by lookups: a copy of what the pipeline needs after the bucket lock is released. */
export class ConnResult {
  idx = -1;
  destSlot = 0;
  svcSlot = 0;
  fwd: Fwd = Fwd.Dr;
  state = 0;
  cport = 0;
  vport = 0;
  dport = 0;
  /** True when this packet created the connection. */
  created = false;
  readonly caddr = new Int32Array(4);
  readonly vaddr = new Int32Array(4);
  readonly daddr = new Int32Array(4);
}

/** Expired when `now` is at or past `expires` (both ms mod 2^32). */
function isExpired(expires: number, now: number): boolean {
  return ((now - expires) | 0) >= 0;
}

/** One thread's IPVS connection logic over the shared table and dest stats. */
export class IpvsCore {
  /** Config of the current snapshot (swap between batches with setConfig). */
  cfg!: CoreConfig;
  private tcpTable: Uint8Array = TCP_TABLE_NORMAL;
  private dropRate = 0;
  private dropCounter = 0;
  private pressure = false;
  private readonly tk = new ConnKey();
  private readonly sk = new ConnKey();
  private readonly todrop = new Int32Array(9);

  constructor(readonly table: ConnTable, readonly stats: DestStats, cfg: CoreConfig) {
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

  private updateDefence(): void {
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

  // ================================================================= client -> director

  /**
   * Handles a packet in the client->director direction (`k` = its in-tuple, `fwmark` its mark):
   * finds or creates the connection, applies the state transition and counts it. ip_vs_in.
   */
  inPacket(k: ConnKey, tcpFlags: number, bytes: number, fwmark: number, nowMs: number, services: ServiceResolver, r: ConnResult,
    retried = false): ConnStatus {
    const t = this.table;
    const e = t.e;
    const cfg = this.cfg;
    const now = nowMs >>> 0;
    const b = t.connBucket(k);
    let head = t.lockConn(b);
    let idx = t.findIn(head, k);
    if (idx >= 0) {
      const o = idx * ENTRY_WORDS;
      if (isExpired(e[o + E_EXPIRES]!, now)) {
        head = this.killLocked(head, idx);
        idx = -1;
      } else if (k.proto === IPPROTO_TCP && (tcpFlags & TCP_SYN) !== 0) {
        // ip_vs_in: a new-connection packet on an existing entry (conn_reuse_mode, expire_nodest_conn).
        const dest = cfg.destBySlot[(e[o + E_DEST]! >>> 16)];
        let resched = false;
        if (cfg.expireNodestConn && dest !== undefined && dest.weight === 0) resched = true;
        else if (cfg.connReuseMode !== 0 && e[o + E_CONTROL] === 0) {
          const st = (e[o + E_META]! >>> 8) & 0xff;
          resched = st === TcpState.TimeWait || st === TcpState.Close
            || ((cfg.connReuseMode & 2) !== 0 && st === TcpState.FinWait && ((e[o + E_META]! >>> 16) & ConnFlag.NoOutput) !== 0);
        }
        if (resched) {
          head = this.killLocked(head, idx);
          idx = -1;
        }
      }
      if (idx >= 0 && cfg.destBySlot[(e[o + E_DEST]! >>> 16)] === undefined) {
        // The real server is gone (not AVAILABLE).
        if (!cfg.expireNodestConn) {
          t.unlockConn(b, head);
          return ConnStatus.DestGone;
        }
        head = this.killLocked(head, idx);
        idx = -1;
      }
    }
    r.created = false;
    if (idx < 0) {
      if (k.proto === IPPROTO_TCP && ((tcpFlags & TCP_RST) !== 0 || ((tcpFlags & TCP_SYN) === 0 && !cfg.sloppyTcp))) {
        t.unlockConn(b, head);
        return services.findService(k, fwmark) === null ? ConnStatus.NotOurs : ConnStatus.NoConn;
      }
      const svc = services.findService(k, fwmark);
      if (svc === null) {
        t.unlockConn(b, head);
        return ConnStatus.NotOurs;
      }
      if (this.dropRate > 0) {
        // ip_vs_todrop: drop 1 of every `rate` new connections.
        if (--this.dropCounter <= 0) {
          this.dropCounter = this.dropRate;
          t.unlockConn(b, head);
          return ConnStatus.Defence;
        }
      }
      const st = this.create(k, svc, head, nowMs, r);
      if (st !== ConnStatus.Hit) {
        t.unlockConn(b, head);
        if (st === ConnStatus.TableFull && !retried) {
          // Full: run drop_entry (no lock held now) and try once more.
          this.dropEntries(nowMs, DROP_ENTRY_BUDGET);
          return this.inPacket(k, tcpFlags, bytes, fwmark, nowMs, services, r, true);
        }
        return st;
      }
      if (r.idx < 0) {
        // One-packet scheduling: never hashed, nothing to update.
        t.unlockConn(b, head);
        this.stats.addIn(r.destSlot, r.svcSlot, bytes);
        return ConnStatus.Hit;
      }
      idx = r.idx;
      head = idx + 1;
      r.created = true;
    }
    // ip_vs_set_state(INPUT) and ip_vs_in_stats.
    const o = idx * ENTRY_WORDS;
    this.transition(o, k.proto, tcpFlags, TcpDir.Input, now);
    e[o + E_INPKTS] = (e[o + E_INPKTS]! + 1) | 0;
    this.fill(o, idx, r);
    t.unlockConn(b, head);
    this.stats.addIn(r.destSlot, r.svcSlot, bytes);
    return ConnStatus.Hit;
  }

  /** Creates the connection (and template) for a new flow on `svc`, linking it at `head` (conn bucket locked). */
  private create(k: ConnKey, svc: CoreService, head: number, nowMs: number, r: ConnResult): ConnStatus {
    const cfg = this.cfg;
    const onePacket = svc.onePacket && k.proto === IPPROTO_UDP;
    let control = 0;
    if (svc.persistent) {
      const ti = this.persistTemplate(k, svc, nowMs);
      if (ti < 0) return ti === -1 ? ConnStatus.NoDest : ConnStatus.TableFull;
      control = ti + 1;
      const slot = this.table.e[ti * ENTRY_WORDS + E_DEST]! >>> 16;
      return this.newConn(k, svc, cfg.destBySlot[slot]!, control, onePacket, head, nowMs, r);
    }
    const destIdx = svc.schedule(k.syncFlow(), nowMs);
    if (destIdx < 0) return ConnStatus.NoDest;
    return this.newConn(k, svc, svc.dests[destIdx]!, 0, onePacket, head, nowMs, r);
  }

  private newConn(k: ConnKey, svc: CoreService, dest: NonNullable<CoreConfig['destBySlot'][number]>, control: number,
    onePacket: boolean, head: number, nowMs: number, r: ConnResult): ConnStatus {
    const t = this.table;
    const e = t.e;
    const dport = dest.port !== 0 ? dest.port : k.vport;
    this.stats.addConn(dest.slot, svc.slot);
    if (onePacket) {
      r.idx = -1;
      r.destSlot = dest.slot;
      r.svcSlot = svc.slot;
      r.fwd = dest.fwd;
      r.state = 0;
      r.cport = k.cport;
      r.vport = k.vport;
      r.dport = dport;
      r.caddr.set(k.caddr);
      r.vaddr.set(k.vaddr);
      r.daddr.set(dest.addr);
      if (control !== 0) Atomics.sub(e, (control - 1) * ENTRY_WORDS + E_NCONTROL, 1);
      return ConnStatus.Hit;
    }
    const idx = t.alloc();
    if (idx < 0) {
      if (control !== 0) Atomics.sub(e, (control - 1) * ENTRY_WORDS + E_NCONTROL, 1);
      return ConnStatus.TableFull;
    }
    const o = idx * ENTRY_WORDS;
    let flags = ConnFlag.InUse | ConnFlag.HashedIn | ConnFlag.Inactive;
    if (dest.fwd !== Fwd.Nat) flags |= ConnFlag.NoOutput;
    if (k.v6) flags |= ConnFlag.Inet6;
    e[o + E_PORTS] = k.cport | (k.vport << 16);
    e[o + E_DEST] = dport | (dest.slot << 16);
    e[o + E_SVC] = svc.slot | (dest.fwd << 16);
    e[o + E_TIMEOUT] = NEW_CONN_TIMEOUT_MS;
    e[o + E_EXPIRES] = ((nowMs >>> 0) + NEW_CONN_TIMEOUT_MS) | 0;
    e[o + E_CONTROL] = control;
    e[o + E_NCONTROL] = 0;
    e[o + E_INPKTS] = 0;
    for (let j = 0; j < 4; j++) {
      e[o + E_CADDR + j] = k.caddr[j]!;
      e[o + E_VADDR + j] = k.vaddr[j]!;
      e[o + E_DADDR + j] = dest.addr[j]!;
    }
    e[o + E_NEXT_IN] = head;
    e[o + E_NEXT_OUT] = 0;
    if (dest.fwd === Fwd.Nat) {
      flags |= ConnFlag.HashedOut;
      k.daddr.set(dest.addr);
      k.dport = dport;
      const ob = t.outBucket(k);
      const oh = t.lockOut(ob);
      e[o + E_NEXT_OUT] = oh;
      t.unlockOut(ob, idx + 1);
    }
    e[o + E_META] = k.proto | (TcpState.None << 8) | (flags << 16);
    this.stats.bind(dest.slot, false);
    r.idx = idx;
    return ConnStatus.Hit;
  }

  /**
   * ip_vs_sched_persist's template step: finds or creates the template of `k` on `svc`, adds one
   * controlled connection to it and re-arms it. Returns the template index, -1 (no dest) or -2 (full).
   */
  private persistTemplate(k: ConnKey, svc: CoreService, nowMs: number): number {
    const t = this.table;
    const e = t.e;
    const cfg = this.cfg;
    const now = nowMs >>> 0;
    const tk = this.tk;
    // Template key <proto, caddr & mask, 0, vaddr, vport> (fwmark: <IPPROTO_IP, caddr & mask, 0, fwmark, 0>).
    tk.words.fill(0);
    for (let j = 0; j < 4; j++) tk.caddr[j] = k.caddr[j]! & svc.netmask[j]!;
    tk.v6 = k.v6;
    tk.cport = 0;
    if (k.vport === svc.port && svc.fwmark === 0) {
      tk.proto = k.proto;
      tk.vaddr.set(k.vaddr);
      tk.vport = svc.port !== FTP_PORT ? k.vport : 0;
    } else if (svc.fwmark !== 0) {
      tk.proto = 0;
      tk.vaddr[0] = svc.fwmark;
      tk.vport = 0;
    } else {
      tk.proto = k.proto;
      tk.vaddr.set(k.vaddr);
      tk.vport = 0;
    }
    const tb = t.tmplBucket(tk);
    let head = t.lockTmpl(tb);
    let ti = t.findIn(head, tk);
    if (ti >= 0) {
      const o = ti * ENTRY_WORDS;
      const dest = cfg.destBySlot[e[o + E_DEST]! >>> 16];
      if (isExpired(e[o + E_EXPIRES]!, now) && Atomics.load(e, o + E_NCONTROL) === 0) {
        head = t.unlinkIn(head, ti);
        this.releaseRecord(ti);
        ti = -1;
      } else if (dest === undefined || (cfg.expireQuiescentTemplate && dest.weight === 0)) {
        // ip_vs_check_template: invalidate (unhash); it lives on only while it controls connections.
        head = t.unlinkIn(head, ti);
        if (Atomics.load(e, o + E_NCONTROL) === 0) this.releaseRecord(ti);
        else Atomics.and(e, o + E_META, ~(ConnFlag.HashedIn << 16));
        ti = -1;
      }
    }
    if (ti < 0) {
      const di = svc.schedule(k.syncFlow(), nowMs);
      if (di < 0) {
        t.unlockTmpl(tb, head);
        return -1;
      }
      const dest = svc.dests[di]!;
      ti = t.alloc();
      if (ti < 0) {
        t.unlockTmpl(tb, head);
        return -2;
      }
      const o = ti * ENTRY_WORDS;
      e[o + E_PORTS] = tk.cport | (tk.vport << 16);
      e[o + E_DEST] = (tk.vport === 0 ? 0 : (dest.port !== 0 ? dest.port : k.vport)) | (dest.slot << 16);
      e[o + E_SVC] = svc.slot | (dest.fwd << 16);
      e[o + E_TIMEOUT] = svc.persistTimeoutMs;
      e[o + E_CONTROL] = 0;
      e[o + E_NCONTROL] = 0;
      e[o + E_INPKTS] = 0;
      for (let j = 0; j < 4; j++) {
        e[o + E_CADDR + j] = tk.caddr[j]!;
        e[o + E_VADDR + j] = tk.vaddr[j]!;
        e[o + E_DADDR + j] = dest.addr[j]!;
      }
      e[o + E_NEXT_IN] = head;
      e[o + E_NEXT_OUT] = 0;
      const flags = ConnFlag.InUse | ConnFlag.HashedIn | ConnFlag.Template | (k.v6 ? ConnFlag.Inet6 : 0);
      e[o + E_META] = tk.proto | (TcpState.None << 8) | (flags << 16);
      this.stats.bind(dest.slot, true);
      head = ti + 1;
    }
    const o = ti * ENTRY_WORDS;
    Atomics.add(e, o + E_NCONTROL, 1);
    e[o + E_EXPIRES] = (now + e[o + E_TIMEOUT]!) | 0; // ip_vs_conn_put(ct) re-arms the template
    t.unlockTmpl(tb, head);
    return ti;
  }

  // ================================================================= real server -> client (NAT)

  /**
   * Handles a NAT reply (`k`: proto, daddr:dport = the packet's source, caddr:cport = its
   * destination): finds the connection, applies the OUTPUT transition and counts it. ip_vs_out.
   */
  outPacket(k: ConnKey, tcpFlags: number, bytes: number, nowMs: number, r: ConnResult): ConnStatus {
    const idx = this.findReply(k, nowMs);
    if (idx < 0) return ConnStatus.NotOurs;
    const t = this.table;
    const e = t.e;
    const o = idx * ENTRY_WORDS;
    // findReply returned with the conn bucket of idx locked: (bucket, head) in lockedB / lockedHead.
    this.transition(o, e[o + E_META]! & 0xff, tcpFlags, TcpDir.Output, nowMs >>> 0);
    this.fill(o, idx, r);
    this.fillAddrs(o, r);
    t.unlockConn(this.lockedB, this.lockedHead);
    this.stats.addOut(r.destSlot, r.svcSlot, bytes);
    return ConnStatus.Hit;
  }

  private lockedB = 0;
  private lockedHead = 0;

  /** Finds the live NAT connection of reply tuple `k` and returns it with its conn bucket locked, or -1. */
  private findReply(k: ConnKey, nowMs: number): number {
    const t = this.table;
    const e = t.e;
    const ob = t.outBucket(k);
    const oh = t.lockOut(ob);
    const idx = t.findOut(oh, k);
    if (idx < 0) {
      t.unlockOut(ob, oh);
      return -1;
    }
    const gen = e[idx * ENTRY_WORDS + E_GEN]!;
    t.loadKey(idx, this.sk);
    t.unlockOut(ob, oh);
    const b = t.connBucket(this.sk);
    let head = t.lockConn(b);
    const o = idx * ENTRY_WORDS;
    if (e[o + E_GEN] !== gen || ((e[o + E_META]! >>> 16) & ConnFlag.HashedIn) === 0) {
      t.unlockConn(b, head);
      return -1;
    }
    if (isExpired(e[o + E_EXPIRES]!, nowMs >>> 0)) {
      head = this.killLocked(head, idx);
      t.unlockConn(b, head);
      return -1;
    }
    this.lockedB = b;
    this.lockedHead = head;
    return idx;
  }

  /**
   * Finds the connection an ICMP error is about without changing its state (ip_vs_in_icmp /
   * ip_vs_out_icmp): `reply` = the quoted packet went real server -> client (NAT). Counts the error.
   */
  icmpLookup(k: ConnKey, reply: boolean, bytes: number, nowMs: number, r: ConnResult): ConnStatus {
    const t = this.table;
    const e = t.e;
    if (reply) {
      const idx = this.findReply(k, nowMs);
      if (idx < 0) return ConnStatus.NotOurs;
      this.fill(idx * ENTRY_WORDS, idx, r);
      this.fillAddrs(idx * ENTRY_WORDS, r);
      t.unlockConn(this.lockedB, this.lockedHead);
      this.stats.addOut(r.destSlot, r.svcSlot, bytes);
      return ConnStatus.Hit;
    }
    const b = t.connBucket(k);
    let head = t.lockConn(b);
    const idx = t.findIn(head, k);
    if (idx < 0) {
      t.unlockConn(b, head);
      return ConnStatus.NotOurs;
    }
    const o = idx * ENTRY_WORDS;
    if (isExpired(e[o + E_EXPIRES]!, nowMs >>> 0)) {
      head = this.killLocked(head, idx);
      t.unlockConn(b, head);
      return ConnStatus.NotOurs;
    }
    this.fill(o, idx, r);
    this.fillAddrs(o, r);
    t.unlockConn(b, head);
    this.stats.addIn(r.destSlot, r.svcSlot, bytes);
    return ConnStatus.Hit;
  }

  // ================================================================= state, expiry

  /** Applies one packet's state transition and re-arms the timer (record locked). */
  private transition(o: number, proto: number, tcpFlags: number, dir: TcpDir, now: number): void {
    const e = this.table.e;
    const meta = e[o + E_META]!;
    let timeout: number;
    if (proto === IPPROTO_TCP) {
      let flags = meta >>> 16;
      let d = dir;
      if ((flags & ConnFlag.NoOutput) !== 0) {
        if (dir === TcpDir.Output) flags &= ~ConnFlag.NoOutput;
        else d = TcpDir.InputOnly;
      }
      const st = (meta >>> 8) & 0xff;
      const ns = nextTcpState(this.tcpTable, d, tcpFlags, st);
      if (ns !== st) {
        const slot = e[o + E_DEST]! >>> 16;
        const inactive = (flags & ConnFlag.Inactive) !== 0;
        if (!inactive && TCP_STATE_ACTIVE[ns] === 0) {
          this.stats.setActive(slot, false);
          flags |= ConnFlag.Inactive;
        } else if (inactive && TCP_STATE_ACTIVE[ns] === 1) {
          this.stats.setActive(slot, true);
          flags &= ~ConnFlag.Inactive;
        }
      }
      e[o + E_META] = (meta & 0xff) | (ns << 8) | (flags << 16);
      timeout = this.cfg.tcpTimeoutsMs[ns]!;
    } else {
      timeout = proto === IPPROTO_UDP ? this.cfg.udpTimeoutMs : this.cfg.otherTimeoutMs;
    }
    e[o + E_TIMEOUT] = timeout;
    e[o + E_EXPIRES] = (now + timeout) | 0;
  }

  /** Copies the scalars the pipeline needs (addresses are copied by fillAddrs only where needed). */
  private fill(o: number, idx: number, r: ConnResult): void {
    const e = this.table.e;
    const dest = e[o + E_DEST]!;
    const svc = e[o + E_SVC]!;
    const ports = e[o + E_PORTS]!;
    r.idx = idx;
    r.destSlot = dest >>> 16;
    r.dport = dest & 0xffff;
    r.svcSlot = svc & 0xffff;
    r.fwd = (svc >>> 16) & 3;
    r.state = (e[o + E_META]! >>> 8) & 0xff;
    r.cport = ports & 0xffff;
    r.vport = ports >>> 16;
  }

  /** Also copies the three addresses (NAT replies, ICMP, tests). */
  private fillAddrs(o: number, r: ConnResult): void {
    const e = this.table.e;
    for (let j = 0; j < 4; j++) {
      r.caddr[j] = e[o + E_CADDR + j]!;
      r.vaddr[j] = e[o + E_VADDR + j]!;
      r.daddr[j] = e[o + E_DADDR + j]!;
    }
  }

  /** Expires connection `idx` now (its conn bucket locked with chain `head`); returns the new head. */
  private killLocked(head: number, idx: number): number {
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
  private releaseRecord(idx: number, flags = this.table.e[idx * ENTRY_WORDS + E_META]! >>> 16): void {
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
    const nodest = this.cfg.expireNodestConn && (flags & ConnFlag.Template) === 0
      && this.cfg.destBySlot[e[o + E_DEST]! >>> 16] === undefined;
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

  private todropEntry(o: number, now: number): boolean {
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

/** Chain-link words, re-exported for the listing code. */
export { E_NEXT_IN, E_NEXT_OUT };
