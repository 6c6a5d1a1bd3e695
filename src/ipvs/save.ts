/**
 * `ipvsadm -S -n` (ipvsadm-save) output, byte for byte as ipvsadm 1.31 prints it
 * (print_service_entry with FMT_RULE, print_tunnel_rule): services sorted by libipvs
 * ipvs_cmp_services, dests by ipvs_cmp_dests (both compare with a wrapping int subtraction, which
 * we reproduce), unless noSort, which keeps the kernel's order (services as added, dests newest
 * first). Hosts and ports are always printed numerically (ulvs does no name lookups), so the output
 * equals `ipvsadm -S -n`. Timeouts and thresholds are not part of -S.
 */
import type { IpvsRules, Protocol, RealServerSpec, ServiceKey, VirtualServiceSpec } from './types.js';
import { addressWords, canonicalAddress } from './inet.js';
import { schedFlagBits, schedFlagNames } from './schedulers.js';

/** Options of formatSave. */
export interface SaveOptions {
  /** --nosort: kernel order instead of libipvs's sorting. */
  noSort?: boolean;
  /**
   * addrport_to_anyname for `-S` without `-n` (host and service names); default numeric:
   * "a.b.c.d:port" / "[v6]:port". `protocol` is the service's (tcp for fwmark services).
   */
  addrPort?: (address: string, port: number, protocol: Protocol) => string;
}

/** Names an address and port in a rule line. */
type AddrPortFn = (address: string, port: number, protocol: Protocol) => string;

const PROTO_NUM = { tcp: 6, udp: 17, sctp: 132 } as const;

/** (int)(a - b) for u32 operands, as the libipvs comparators compute it. */
function wrapSub(a: number, b: number): number {
  return ((a >>> 0) - (b >>> 0)) | 0;
}

/** libipvs ipvs_cmp_services. */
export function compareServices(a: ServiceKey, b: ServiceKey): number {
  const fa = a.kind === 'fwmark' ? a.fwmark : 0;
  const fb = b.kind === 'fwmark' ? b.fwmark : 0;
  let r = wrapSub(fa, fb);
  if (r) return r;
  r = (a.family === 6 ? 10 : 2) - (b.family === 6 ? 10 : 2);
  if (r) return r;
  r = (a.kind === 'addr' ? PROTO_NUM[a.protocol] : 6) - (b.kind === 'addr' ? PROTO_NUM[b.protocol] : 6);
  if (r) return r;
  const wa = a.kind === 'addr' ? addressWords(a.address) : [0, 0, 0, 0];
  const wb = b.kind === 'addr' ? addressWords(b.address) : [0, 0, 0, 0];
  const n = a.family === 6 ? 4 : 1;
  for (let i = 0; !r && i < n; i++) r = wrapSub(wa[i]!, wb[i]!);
  if (r) return r;
  return (a.kind === 'addr' ? a.port : 0) - (b.kind === 'addr' ? b.port : 0);
}

/** libipvs ipvs_cmp_dests. */
export function compareDests(a: RealServerSpec, b: RealServerSpec): number {
  const v6 = canonicalAddress(a.address)?.family === 6;
  const wa = addressWords(a.address);
  const wb = addressWords(b.address);
  let r = 0;
  for (let i = 0; !r && i < (v6 ? 4 : 1); i++) r = wrapSub(wa[i]!, wb[i]!);
  if (r) return r;
  return a.port - b.port;
}

/** addrport_to_anyname with FMT_NUMERIC: "a.b.c.d:port" or "[v6]:port". */
export function addrPort(address: string, port: number): string {
  const c = canonicalAddress(address);
  return c?.family === 6 ? `[${c.address}]:${port}` : `${c?.address ?? address}:${port}`;
}

/** The service part of a rule line: "-t 10.0.0.1:80", "-f 7", "-f 7 -6". */
export function ruleServiceName(k: ServiceKey, name: AddrPortFn = addrPort): string {
  if (k.kind === 'fwmark') return k.family === 6 ? `-f ${k.fwmark} -6` : `-f ${k.fwmark}`;
  const opt = k.protocol === 'tcp' ? '-t' : k.protocol === 'udp' ? '-u' : '--sctp-service';
  return `${opt} ${name(k.address, k.port, k.protocol)}`;
}

function serviceLine(s: VirtualServiceSpec, name: string): string {
  let line = `-A ${name} -s ${s.scheduler}`;
  if (s.persistenceTimeoutS > 0) {
    line += ` -p ${s.persistenceTimeoutS}`;
    if (s.key.family === 4 && s.netmask !== '255.255.255.255') line += ` -M ${s.netmask}`;
    if (s.key.family === 6 && s.netmask !== '128') line += ` -M ${s.netmask}`;
  }
  if (s.persistenceEngine) line += ` --pe ${s.persistenceEngine}`;
  if (s.onePacket) line += ' -o';
  const bits = schedFlagBits(s.schedFlags);
  if (bits) line += ` -b ${schedFlagNames(s.scheduler, bits).join(',')}`;
  return line;
}

function destLine(d: RealServerSpec, name: string, dname: string): string {
  const sw = d.forward === 'nat' ? '-m' : d.forward === 'tun' ? '-i' : '-g';
  const base = `-a ${name} -r ${dname} ${sw} -w ${d.weight}`;
  if (d.forward !== 'tun') return base;
  const csum = `--tun-${d.tunCsum ?? 'nocsum'}`;
  switch (d.tunType ?? 'ipip') {
    case 'gre':
      return `${base} --tun-type gre ${csum}`;
    case 'gue':
      return `${base} --tun-type gue --tun-port ${d.tunPort ?? 0} ${csum}`;
    default:
      return `${base} --tun-type ipip`;
  }
}

/** The text `ipvsadm -S -n` prints for these rules ("" when there are no services). */
export function formatSave(rules: IpvsRules, opts: SaveOptions = {}): string {
  const services = opts.noSort ? [...rules.services] : [...rules.services].sort((a, b) => compareServices(a.key, b.key));
  const anyName = opts.addrPort ?? addrPort;
  let out = '';
  for (const s of services) {
    const name = ruleServiceName(s.key, anyName);
    out += serviceLine(s, name) + '\n';
    const dests = opts.noSort ? [...s.realServers].reverse() : [...s.realServers].sort(compareDests);
    const protocol = s.key.kind === 'addr' ? s.key.protocol : 'tcp';
    for (const d of dests) out += destLine(d, name, anyName(d.address, d.port, protocol)) + '\n';
  }
  return out;
}
