/**
 * ipvsadm's listing format flags (FMT_* in ipvsadm.c) and the number and name helpers every listing
 * shares: print_largenum, addrport_to_anyname, the service/real-server sort of libipvs.
 */
import { readFileSync } from 'node:fs';
import type { Family, Protocol } from '../../ipvs/types.js';

/** Which listing ipvsadm prints and how (its FMT_* flags). */
export interface ListFormat {
  numeric: boolean;
  stats: boolean;
  rate: boolean;
  thresholds: boolean;
  persistentConn: boolean;
  noSort: boolean;
  exact: boolean;
  tunInfo: boolean;
  /** -S: restorable rules instead of a table. */
  rule: boolean;
}

/** A ListFormat with every flag off, overridden by `f`. */
export function listFormat(f: Partial<ListFormat> = {}): ListFormat {
  return { numeric: false, stats: false, rate: false, thresholds: false, persistentConn: false, noSort: false, exact: false, tunInfo: false, rule: false, ...f };
}

/** print_largenum: 9 columns, scaled to K/M/G/T past 10^8 unless exact (then width max(9, digits+1)). */
export function largeNum(n: number, exact: boolean): string {
  const v = BigInt(Math.max(0, Math.trunc(n)));
  if (exact) {
    const s = v.toString();
    return s.padStart(s.length <= 8 ? 9 : s.length + 1);
  }
  if (v < 100000000n) return v.toString().padStart(9);
  if (v < 1000000000n) return (v / 1000n).toString().padStart(8) + 'K';
  if (v < 100000000000n) return (v / 1000000n).toString().padStart(8) + 'M';
  if (v < 100000000000000n) return (v / 1000000000n).toString().padStart(8) + 'G';
  return (v / 1000000000000n).toString().padStart(8) + 'T';
}

/** printf("%-Ns") / ("%Ns"): pad to width, never cut. */
export function padEnd(s: string | number, width: number): string {
  return String(s).padEnd(width);
}

/** printf("%Nd"): right-aligned. */
export function padStart(s: string | number, width: number): string {
  return String(s).padStart(width);
}

/** IP protocol number as the kernel uses for sorting (TCP 6, UDP 17, SCTP 132). */
export function protocolNumber(p: Protocol): number {
  return p === 'tcp' ? 6 : p === 'udp' ? 17 : 132;
}

/** ipvsadm's protocol_name(): TCP, UDP, SCTP. */
export function protocolName(p: Protocol): string {
  return p.toUpperCase();
}

/** Four host-order u32 words of an address (IPv4 uses word 0 only), for libipvs's comparisons. */
export function addressWords(address: string, family: Family): number[] {
  if (family === 4) {
    const p = address.split('.').map(Number);
    return [(((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0), 0, 0, 0];
  }
  let s = address;
  let tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const w = addressWords(v4[1], 4)[0];
    tail = [w >>> 16, w & 0xffff];
    s = s.slice(0, -v4[1].length) + '0:0';
  }
  const [head, rest] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':').map((x) => parseInt(x, 16)) : [];
  const r = rest !== undefined && rest !== '' ? rest.split(':').map((x) => parseInt(x, 16)) : [];
  const groups = rest === undefined ? h : [...h, ...new Array(8 - h.length - r.length).fill(0), ...r];
  if (tail.length) { groups[6] = tail[0]; groups[7] = tail[1]; }
  const out: number[] = [];
  for (let i = 0; i < 4; i++) out.push((((groups[2 * i] ?? 0) << 16) | (groups[2 * i + 1] ?? 0)) >>> 0);
  return out;
}

/** C's `int r = a - b` on two u32 values (wraps like libipvs's comparators do). */
export function cDiff(a: number, b: number): number {
  return (a - b) | 0;
}

let servicesByPort: Map<string, string> | undefined;
let hostsByAddr: Map<string, string> | undefined;

function loadNames(): void {
  if (servicesByPort) return;
  servicesByPort = new Map();
  hostsByAddr = new Map();
  try {
    for (const line of readFileSync('/etc/services', 'utf8').split('\n')) {
      const m = /^([^#\s]+)\s+(\d+)\/(\w+)/.exec(line);
      if (m && !servicesByPort.has(`${m[2]}/${m[3]}`)) servicesByPort.set(`${m[2]}/${m[3]}`, m[1]);
    }
  } catch { /* no /etc/services: numbers only */ }
  try {
    for (const line of readFileSync('/etc/hosts', 'utf8').split('\n')) {
      const f = line.replace(/#.*/, '').trim().split(/\s+/);
      if (f.length >= 2 && !hostsByAddr.has(f[0])) hostsByAddr.set(f[0], f[1]);
    }
  } catch { /* no /etc/hosts */ }
}

/** addrport_to_anyname: "addr:port" ([addr]:port for IPv6); without numeric, names from /etc/hosts and /etc/services. */
export function addrPort(family: Family, address: string, port: number, protocol: Protocol, numeric: boolean): string {
  const [open, close] = family === 6 ? ['[', ']'] : ['', ''];
  if (numeric) return `${open}${address}${close}:${port}`;
  loadNames();
  const host = hostsByAddr!.get(address) ?? address;
  const svc = servicesByPort!.get(`${port}/${protocol}`) ?? String(port);
  return `${open}${host}${close}:${svc}`;
}
