/**
 * Listing the connection table (`ulvsadm -L -c`, /proc/net/ip_vs_conn): a lock-free pass over the
 * records that re-reads each record's generation to skip ones changed mid-read. Control path only.
 */
import type { ConnTable } from './conn-table.js';
import { formatAddrWords } from './addr.js';
import { E_CADDR, E_CONTROL, E_DADDR, E_DEST, E_EXPIRES, E_GEN, E_INPKTS, E_META, E_PORTS, E_SVC, E_VADDR, ENTRY_WORDS, ConnFlag } from './layout.js';
import { TCP_STATE_NAMES, UDP_STATE_NAME } from './tcp-states.js';

/** One connection or persistence template as `ipvsadm -L -c` shows it. */
export interface ConnInfo {
  /** "TCP", "UDP", "SCTP", or "IP" for fwmark templates. */
  protocol: string;
  family: 4 | 6;
  template: boolean;
  client: string;
  clientPort: number;
  /** Virtual address ("" for fwmark templates, see fwmark). */
  virtual: string;
  virtualPort: number;
  /** fwmark of an fwmark template, else 0. */
  fwmark: number;
  dest: string;
  destPort: number;
  /** State name as the kernel prints it (ESTABLISHED, SYN_RECV, UDP, NONE...). */
  state: string;
  /** Remaining time in ms (0 when already due). */
  expiresMs: number;
  fwd: 'dr' | 'nat' | 'tun' | 'local';
  destSlot: number;
  serviceSlot: number;
  /** True when controlled by a persistence template. */
  controlled: boolean;
  inPkts: number;
}

const FWD = ['dr', 'nat', 'tun', 'local'] as const;

function protoName(p: number): string {
  return p === 6 ? 'TCP' : p === 17 ? 'UDP' : p === 132 ? 'SCTP' : p === 0 ? 'IP' : String(p);
}

/** Lists live records (up to `limit`), in record order. */
export function listConnections(t: ConnTable, nowMs: number, limit = Infinity): ConnInfo[] {
  const out: ConnInfo[] = [];
  const e = t.e;
  const hw = t.highWater();
  const now = nowMs >>> 0;
  const w = new Int32Array(ENTRY_WORDS);
  for (let i = 0; i < hw && out.length < limit; i++) {
    const o = i * ENTRY_WORDS;
    const gen = Atomics.load(e, o + E_GEN);
    if (((Atomics.load(e, o + E_META) >>> 16) & ConnFlag.InUse) === 0) continue;
    for (let j = 0; j < ENTRY_WORDS; j++) w[j] = e[o + j]!;
    if (Atomics.load(e, o + E_GEN) !== gen || ((w[E_META]! >>> 16) & ConnFlag.InUse) === 0) continue;
    const flags = w[E_META]! >>> 16;
    const proto = w[E_META]! & 0xff;
    const family: 4 | 6 = (flags & ConnFlag.Inet6) !== 0 ? 6 : 4;
    const template = (flags & ConnFlag.Template) !== 0;
    const st = (w[E_META]! >>> 8) & 0xff;
    const fwmarkTemplate = template && proto === 0;
    out.push({
      protocol: protoName(proto),
      family,
      template,
      client: formatAddrWords(w.subarray(E_CADDR, E_CADDR + 4), family),
      clientPort: w[E_PORTS]! & 0xffff,
      virtual: fwmarkTemplate ? '' : formatAddrWords(w.subarray(E_VADDR, E_VADDR + 4), family),
      virtualPort: w[E_PORTS]! >>> 16,
      fwmark: fwmarkTemplate ? w[E_VADDR]! >>> 0 : 0,
      dest: formatAddrWords(w.subarray(E_DADDR, E_DADDR + 4), family),
      destPort: w[E_DEST]! & 0xffff,
      state: template ? 'NONE' : proto === 6 ? TCP_STATE_NAMES[st]! : UDP_STATE_NAME,
      expiresMs: Math.max(0, (w[E_EXPIRES]! - now) | 0),
      fwd: FWD[(w[E_SVC]! >>> 16) & 3]!,
      destSlot: w[E_DEST]! >>> 16,
      serviceSlot: w[E_SVC]! & 0xffff,
      controlled: w[E_CONTROL] !== 0,
      inPkts: w[E_INPKTS]!,
    });
  }
  return out;
}
