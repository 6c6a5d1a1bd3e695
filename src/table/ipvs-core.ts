/**
 * IPVS connection semantics over the shared table: ip_vs_in / ip_vs_out lookups, creation with
 * scheduling (ip_vs_schedule; persistence in persistence.ts), TCP/UDP state transitions
 * (set_tcp_state, in conn-step.ts), conn_reuse_mode and expire_nodest_conn (ip_vs_in), ICMP error lookups. Expiry and
 * the DoS defences are in conn-expiry.ts. One instance per thread; all shared state is in ConnTable /
 * DestStats.
 */
import type { ConnKey } from './conn-key.js';
import type { ConnTable } from './conn-table.js';
import type { CoreConfig, CoreService, ServiceResolver } from './core-types.js';
import type { DestStats } from './dest-stats.js';
import {
  E_CADDR,
  E_CONTROL,
  E_DADDR,
  E_DEST,
  E_EXPIRES,
  E_GEN,
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
import { NEW_CONN_TIMEOUT_MS, TCP_RST, TCP_SYN, TcpDir, TcpState } from './tcp-states.js';
import { isExpired } from './conn-expiry.js';
import { ConnStep, type ConnResult } from './conn-step.js';

export { ConnResult } from './conn-step.js';

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
const DROP_ENTRY_BUDGET = 1024;

/** One thread's IPVS connection logic over the shared table and dest stats. */
export class IpvsCore extends ConnStep {
  constructor(table: ConnTable, stats: DestStats, cfg: CoreConfig) {
    super(table, stats, cfg);
  }

  // ================================================================= client -> director

  /**
   * Handles a packet in the client->director direction (`k` = its in-tuple, `fwmark` its mark):
   * finds or creates the connection, applies the state transition and counts it. ip_vs_in.
   */
  inPacket(k: ConnKey, tcpFlags: number, bytes: number, fwmark: number, nowMs: number, services: ServiceResolver, r: ConnResult, retried = false): ConnStatus {
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
        const dest = cfg.destBySlot[e[o + E_DEST]! >>> 16];
        let resched = false;
        if (cfg.expireNodestConn && dest !== undefined && dest.weight === 0) resched = true;
        else if (cfg.connReuseMode !== 0 && e[o + E_CONTROL] === 0) {
          const st = (e[o + E_META]! >>> 8) & 0xff;
          resched =
            st === TcpState.TimeWait ||
            st === TcpState.Close ||
            ((cfg.connReuseMode & 2) !== 0 && st === TcpState.FinWait && ((e[o + E_META]! >>> 16) & ConnFlag.NoOutput) !== 0);
        }
        if (resched) {
          head = this.killLocked(head, idx);
          idx = -1;
        }
      }
      if (idx >= 0 && cfg.destBySlot[e[o + E_DEST]! >>> 16] === undefined) {
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

  private newConn(
    k: ConnKey,
    svc: CoreService,
    dest: NonNullable<CoreConfig['destBySlot'][number]>,
    control: number,
    onePacket: boolean,
    head: number,
    nowMs: number,
    r: ConnResult,
  ): ConnStatus {
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
}
