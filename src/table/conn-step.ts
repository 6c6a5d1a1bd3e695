/**
 * The per-packet state step of a connection record (ip_vs_set_state: set_tcp_state's transition, the
 * active/inactive counts, the timer re-armed) and the copy of a record into the ConnResult the
 * pipeline reads after the bucket lock is released. The base of IpvsCore's lookups (ipvs-core.ts).
 */
import type { CoreConfig } from './core-types.js';
import { E_CADDR, E_DADDR, E_DEST, E_EXPIRES, E_META, E_PORTS, E_SVC, E_TIMEOUT, E_VADDR, ConnFlag, Fwd } from './layout.js';
import { TCP_STATE_ACTIVE, TcpDir, nextTcpState } from './tcp-states.js';
import { PersistCore } from './persistence.js';

const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

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

/** One thread's connection state step and result copy over the shared table (see the file comment). */
export abstract class ConnStep extends PersistCore {
  // The last TCP step that left the record's meta word unchanged, by its inputs (see transition).
  private stepMeta = -1;
  private stepFlags = -1;
  private stepDir = -1;
  private stepTable: Uint8Array | null = null;
  private stepCfg: CoreConfig | null = null;
  private stepTimeout = 0;

  /** Applies one packet's state transition and re-arms the timer (record locked). */
  protected transition(o: number, proto: number, tcpFlags: number, dir: TcpDir, now: number): void {
    const e = this.table.e;
    const meta = e[o + E_META]!;
    let timeout: number;
    if (
      proto === IPPROTO_TCP &&
      meta === this.stepMeta &&
      tcpFlags === this.stepFlags &&
      dir === this.stepDir &&
      this.tcpTable === this.stepTable &&
      this.cfg === this.stepCfg
    ) {
      // The same step as the last one that changed nothing (an established flow's ACKs): same timeout.
      timeout = this.stepTimeout;
    } else if (proto === IPPROTO_TCP) {
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
      const next = (meta & 0xff) | (ns << 8) | (flags << 16);
      e[o + E_META] = next;
      timeout = this.cfg.tcpTimeoutsMs[ns]!;
      if (next === meta) {
        // Remember a step that changed neither state nor flags (so no counter either): its inputs give it again.
        this.stepMeta = meta;
        this.stepFlags = tcpFlags;
        this.stepDir = dir;
        this.stepTable = this.tcpTable;
        this.stepCfg = this.cfg;
        this.stepTimeout = timeout;
      }
    } else {
      timeout = proto === IPPROTO_UDP ? this.cfg.udpTimeoutMs : this.cfg.otherTimeoutMs;
    }
    e[o + E_TIMEOUT] = timeout;
    e[o + E_EXPIRES] = (now + timeout) | 0;
  }

  /** Copies the scalars the pipeline needs (addresses are copied by fillAddrs only where needed). */
  protected fill(o: number, idx: number, r: ConnResult): void {
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
  protected fillAddrs(o: number, r: ConnResult): void {
    const e = this.table.e;
    for (let j = 0; j < 4; j++) {
      r.caddr[j] = e[o + E_CADDR + j]!;
      r.vaddr[j] = e[o + E_VADDR + j]!;
      r.daddr[j] = e[o + E_DADDR + j]!;
    }
  }
}
