/**
 * The number and name helpers every ulvsadm listing shares: print_largenum, printf padding,
 * protocol_name and addrport_to_anyname (names from /etc/hosts and /etc/services unless -n).
 */
import { readFileSync } from 'node:fs';
import { emptyFormat, type ListFormat } from '../../ipvs/command-types.js';
import type { Family, Protocol } from '../../ipvs/types.js';

/** A ListFormat (ipvsadm's FMT_* modifiers) with every flag off, overridden by `f`. */
export const listFormat: (f?: Partial<ListFormat>) => ListFormat = emptyFormat;

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

/** ipvsadm's protocol_name(): TCP, UDP, SCTP. */
export function protocolName(p: Protocol): string {
  return p.toUpperCase();
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
  } catch {
    /* no /etc/services: numbers only */
  }
  try {
    for (const line of readFileSync('/etc/hosts', 'utf8').split('\n')) {
      const f = line.replace(/#.*/, '').trim().split(/\s+/);
      if (f.length >= 2 && !hostsByAddr.has(f[0])) hostsByAddr.set(f[0], f[1]);
    }
  } catch {
    /* no /etc/hosts */
  }
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
