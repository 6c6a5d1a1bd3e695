/**
 * Persistence templates (ip_vs_sched_persist's template step, ip_vs_check_template): keyed by
 * <proto, caddr & netmask, 0, vaddr, vport> (FTP and port-0 services: vport 0; fwmark services:
 * <IPPROTO_IP, caddr & netmask, 0, fwmark, 0>), re-armed by every controlled connection, invalidated
 * (unhashed) when their real server is gone or quiesced with expire_quiescent_template.
 */
import { ConnKey } from './conn-key.js';
import type { CoreService } from './core-types.js';
import { ConnExpiry, isExpired } from './conn-expiry.js';
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
} from './layout.js';
import { TcpState } from './tcp-states.js';

const FTP_PORT = 21;

/** Template handling on top of ConnExpiry; base of IpvsCore. */
export abstract class PersistCore extends ConnExpiry {
  private readonly tk = new ConnKey();

  /**
   * ip_vs_sched_persist's template step: finds or creates the template of `k` on `svc`, adds one
   * controlled connection to it and re-arms it. Returns the template index, -1 (no dest) or -2 (full).
   */
  protected persistTemplate(k: ConnKey, svc: CoreService, nowMs: number): number {
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
      e[o + E_DEST] = (tk.vport === 0 ? 0 : dest.port !== 0 ? dest.port : k.vport) | (dest.slot << 16);
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
}
