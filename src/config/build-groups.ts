/**
 * virtual_server_group value lines -> entries (addresses, ranges a.b.c.d-N / a.b.c.d-e.f.g.h / IPv6 ::a-b,
 * CIDR blocks, fwmarks), and their expansion into IPVS service keys.
 */
import type { DiagnosticSink, Pos } from './diagnostics.js';
import { posString } from './diagnostics.js';
import type { NamedLines } from './keywords/table.js';
import type { VirtualServerGroupConfig, VirtualServerGroupEntry } from './types.js';
import type { Family, Protocol, ServiceKey } from '../ipvs/types.js';
import { canonicalIp, intToIpv4, ipv4ToInt, parseInteger } from './values.js';

/** Upper bound of services one group may expand to. */
export const MAX_GROUP_SERVICES = 4096;

/** Parses a port 0..65535; reports and returns undefined when invalid. */
export function parsePort(s: string | undefined, sink: DiagnosticSink, pos: Pos, what: string): number | undefined {
  const n = parseInteger(s);
  if (n === undefined || n > 65535) {
    sink.error(pos, 'bad-port', `${what} port '${s}' is not a number in 0..65535.`);
    return undefined;
  }
  return n;
}

/** Parses the virtual_server_group value lines into entries. */
export function buildGroups(raws: NamedLines[], sink: DiagnosticSink): VirtualServerGroupConfig[] {
  const out: VirtualServerGroupConfig[] = [];
  for (const g of raws) {
    const name = g.args[0];
    if (!name) {
      sink.error(g.pos, 'missing-name', 'virtual_server_group needs a name; the block is skipped.');
      continue;
    }
    const entries: VirtualServerGroupEntry[] = [];
    for (const l of g.lines) {
      const [first, second, ...rest] = l.words;
      if (first === 'fwmark') {
        const mark = parseInteger(second);
        if (mark === undefined || mark < 1 || mark > 0xffffffff) {
          sink.error(l, 'bad-value', `fwmark '${second ?? ''}' is not a number in 1..4294967295.`);
          continue;
        }
        const fam = rest[0] === 'inet6' ? 6 : rest[0] === 'inet' ? 4 : undefined;
        entries.push(fam ? { kind: 'fwmark', fwmark: mark, family: fam } : { kind: 'fwmark', fwmark: mark });
        continue;
      }
      const port = second === undefined ? 0 : parsePort(second, sink, l, 'group member');
      if (port === undefined) continue;
      const e = parseRange(first!);
      if (!e) {
        sink.error(l, 'bad-address', `'${first}' is not an address, a range (10.0.0.1-10) or a CIDR block (10.0.0.0/29).`);
        continue;
      }
      entries.push({ kind: 'addr', ...e, port });
    }
    if (entries.length === 0)
      sink.error(g.pos, 'empty-group', `virtual_server_group ${name} has no entries; keepalived drops it, and every virtual_server using it.`);
    out.push({ name, entries, source: posString(g.pos) });
  }
  return out;
}

function parseRange(s: string): { family: Family; first: string; last: string } | undefined {
  const cidr = /^(.+)\/(\d+)$/.exec(s);
  if (cidr) {
    const ip = canonicalIp(cidr[1]!);
    const len = Number(cidr[2]);
    if (!ip || ip.family !== 4 || len > 32) return ip && ip.family === 6 && len === 128 ? { family: 6, first: ip.address, last: ip.address } : undefined;
    const base = ipv4ToInt(ip.address) - (ipv4ToInt(ip.address) % 2 ** (32 - len));
    return { family: 4, first: intToIpv4(base), last: intToIpv4(base + 2 ** (32 - len) - 1) };
  }
  const dash = /^([^-]+)-(.+)$/.exec(s);
  if (dash) {
    const ip = canonicalIp(dash[1]!);
    if (ip?.family === 6) {
      const groups = expandV6(ip.address);
      const end = /^[0-9a-fA-F]{1,4}$/.test(dash[2]!) ? parseInt(dash[2]!, 16) : NaN;
      if (!(end >= groups[7]!)) return undefined;
      return { family: 6, first: ip.address, last: canonicalIp([...groups.slice(0, 7), end].map((g) => g.toString(16)).join(':'))!.address };
    }
    if (!ip || ip.family !== 4) return undefined;
    const endIp = canonicalIp(dash[2]!);
    if (endIp?.family === 4) return ipv4ToInt(endIp.address) >= ipv4ToInt(ip.address) ? { family: 4, first: ip.address, last: endIp.address } : undefined;
    const n = parseInteger(dash[2]);
    const parts = ip.address.split('.');
    if (n === undefined || n > 255 || n < Number(parts[3])) return undefined;
    return { family: 4, first: ip.address, last: [...parts.slice(0, 3), String(n)].join('.') };
  }
  const ip = canonicalIp(s);
  return ip ? { family: ip.family, first: ip.address, last: ip.address } : undefined;
}

/** The eight 16-bit groups of a canonical IPv6 address. */
export function expandV6(a: string): number[] {
  const [head, tail] = a.includes('::') ? (a.split('::') as [string, string]) : [a, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const mid = tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...mid, ...t].map((g) => parseInt(g, 16));
}

/** Expands a group's entries into service keys (at most MAX_GROUP_SERVICES; `truncated` when cut). */
export function expandGroup(g: VirtualServerGroupConfig, protocol: Protocol): { keys: ServiceKey[]; truncated: boolean } {
  const keys: ServiceKey[] = [];
  for (const e of g.entries) {
    if (keys.length >= MAX_GROUP_SERVICES) return { keys, truncated: true };
    if (e.kind === 'fwmark') {
      keys.push({ kind: 'fwmark', fwmark: e.fwmark, family: e.family ?? 4 });
      continue;
    }
    if (e.family === 6) {
      const first = expandV6(e.first);
      const last = expandV6(e.last)[7]!;
      for (let n = first[7]!; n <= last; n++) {
        if (keys.length >= MAX_GROUP_SERVICES) return { keys, truncated: true };
        keys.push({
          kind: 'addr',
          protocol,
          family: 6,
          address: canonicalIp([...first.slice(0, 7), n].map((x) => x.toString(16)).join(':'))!.address,
          port: e.port,
        });
      }
      continue;
    }
    for (let n = ipv4ToInt(e.first); n <= ipv4ToInt(e.last); n++) {
      if (keys.length >= MAX_GROUP_SERVICES) return { keys, truncated: true };
      keys.push({ kind: 'addr', protocol, family: 4, address: intToIpv4(n), port: e.port });
    }
  }
  return { keys, truncated: false };
}
