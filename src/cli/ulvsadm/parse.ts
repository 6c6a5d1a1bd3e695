/**
 * ipvsadm 1.31's command line (parse_options, process_options, generic_opt_check in ipvsadm.c):
 * popt-style options (the command first, bundled short options, --long[=value]), the same checks in
 * the same order and the same messages and exit codes (2 for a bad value, 255 for popt errors).
 */
import { isIP } from 'node:net';
import { readFileSync } from 'node:fs';
import type { Family, Protocol, RealServerSpec, ServiceKey, TunnelType, VirtualServiceSpec } from '../../ipvs/types.js';
import type { RuleOp } from '../../control/rule-table.js';
import { listFormat, type ListFormat } from './format.js';
import { tryHelp } from './usage.js';

/** A parse failure: print `message` to stderr and exit with `exitCode`. */
export class IpvsadmExit extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

/** What one ipvsadm command line asks for. */
export type IpvsadmCommand =
  | { cmd: 'list'; format: ListFormat; service?: ServiceKey; connection: boolean; timeout: boolean; daemon: boolean }
  | { cmd: 'save'; format: ListFormat }
  | { cmd: 'restore' }
  | { cmd: 'op'; op: RuleOp }
  | { cmd: 'help' }
  | { cmd: 'version' }
  | { cmd: 'sync-daemon'; start: boolean };

const CMDS = ['add-service', 'edit-service', 'delete-service', 'flush', 'list', 'add-server', 'delete-server', 'edit-server', 'set', 'start-daemon', 'stop-daemon', 'restore', 'save', 'zero'] as const;
const OPTNAMES = ['numeric', 'connection', 'service-address', 'scheduler', 'persistent', 'netmask', 'real-server', 'forwarding-method', 'weight', 'u-threshold', 'l-threshold', 'mcast-interface', 'timeout', 'daemon', 'stats', 'rate', 'thresholds', 'persistent-conn', 'nosort', 'syncid', 'exact', 'ops', 'pe', 'sched-flags', 'mcast-group', 'mcast-port', 'mcast-ttl', 'sync-maxlen', 'tun-info', 'tun-type', 'tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum'];
// commands_v_options: one row per command, one column per option ('+' needed, 'x' illegal, '1' exclusive).
const TABLE = [
  'xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx',
  'xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx',
  'xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  ' 11xxxxxxxxx11       xxxxxxx xxxxx',
  'xx+xxx+    xxxxxxxxxxxxxxxxxx     ',
  'xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxx',
  'xx+xxx+    xxxxxxxxxxxxxxxxxx     ',
  'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  'xxxxxxxxxxx xxxxxxx xxxx    xxxxxx',
  'xxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxx',
  'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  ' xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  'xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
];
const O = Object.fromEntries(OPTNAMES.map((n, i) => [n, i])) as Record<string, number>;
const MAX_TIMEOUT = 86400 * 31;

type ArgKind = 'none' | 'req' | 'opt';
interface OptDef { long: string; short?: string; arg: ArgKind }
const OPTS: OptDef[] = [
  ['add-service', 'A'], ['edit-service', 'E'], ['delete-service', 'D'], ['clear', 'C'], ['list', 'L'], ['list', 'l'], ['zero', 'Z'],
  ['add-server', 'a'], ['edit-server', 'e'], ['delete-server', 'd'], ['set'], ['help', 'h'], ['version', 'v'], ['restore', 'R'], ['save', 'S'],
  ['start-daemon', , 'req'], ['stop-daemon', , 'req'], ['tcp-service', 't', 'req'], ['udp-service', 'u', 'req'], ['sctp-service', , 'req'],
  ['fwmark-service', 'f', 'req'], ['scheduler', 's', 'req'], ['persistent', 'p', 'opt'], ['netmask', 'M', 'req'], ['real-server', 'r', 'req'],
  ['masquerading', 'm'], ['ipip', 'i'], ['gatewaying', 'g'], ['weight', 'w', 'req'], ['u-threshold', 'x', 'req'], ['l-threshold', 'y', 'req'],
  ['numeric', 'n'], ['connection', 'c'], ['mcast-interface', , 'req'], ['syncid', , 'req'], ['timeout'], ['daemon'], ['stats'], ['rate'],
  ['thresholds'], ['persistent-conn'], ['nosort'], ['sort'], ['exact', 'X'], ['ipv6', '6'], ['ops', 'o'], ['pe', , 'req'], ['sched-flags', 'b', 'req'],
  ['mcast-group', , 'req'], ['mcast-port', , 'req'], ['mcast-ttl', , 'req'], ['sync-maxlen', , 'req'], ['tun-info'], ['tun-type', , 'req'],
  ['tun-port', , 'req'], ['tun-nocsum'], ['tun-csum'], ['tun-remcsum'],
].map(([long, short, arg]) => ({ long: long!, short, arg: (arg ?? 'none') as ArgKind }));

interface Tok { def: OptDef; value?: string; text: string }

/** popt: splits argv into options (in order) and leftover arguments; throws popt's error for bad options. */
function tokenize(argv: string[], prog: string): { opts: Tok[]; args: string[] } {
  const opts: Tok[] = [];
  const args: string[] = [];
  const bad = (text: string, why: string): never => {
    throw new IpvsadmExit(opts.length === 0 ? tryHelp(prog) : `${text}: ${why}\n`, 255);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { args.push(...argv.slice(i + 1)); break; }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const def = OPTS.find((o) => o.long === name);
      if (!def) bad(a.slice(0, eq < 0 ? undefined : eq), 'unknown option');
      let value: string | undefined = eq >= 0 ? a.slice(eq + 1) : undefined;
      if (def!.arg === 'none' && value !== undefined) bad(a, 'option does not take an argument');
      if (def!.arg === 'req' && value === undefined) { if (i + 1 >= argv.length) bad(a, 'missing argument'); value = argv[++i]; }
      if (def!.arg === 'opt' && value === undefined && i + 1 < argv.length && !argv[i + 1].startsWith('-')) value = argv[++i];
      opts.push({ def: def!, value, text: a });
    } else if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const def = OPTS.find((o) => o.short === a[j]);
        if (!def) bad(`-${a[j]}`, 'unknown option');
        let value: string | undefined;
        if (def!.arg !== 'none') {
          if (j + 1 < a.length) value = a.slice(j + 1);
          else if (def!.arg === 'req') { if (i + 1 >= argv.length) bad(`-${a[j]}`, 'missing argument'); value = argv[++i]; }
          else if (i + 1 < argv.length && !argv[i + 1].startsWith('-')) value = argv[++i];
          opts.push({ def: def!, value, text: `-${a[j]}` });
          break;
        }
        opts.push({ def: def!, text: `-${a[j]}` });
      }
    } else args.push(a);
  }
  return { opts, args };
}

function fail(msg: string): never {
  throw new IpvsadmExit(msg + '\n', 2);
}

/** string_to_number: a decimal in [min, max], else -1. */
function toNumber(s: string, min: number, max: number): number {
  if (!/^[+-]?\d+$/.test(s.trim()) || /^\s/.test(s)) return -1;
  const n = Number(s);
  return n >= min && n <= max ? n : -1;
}

let services: Map<string, number> | undefined;
function serviceToPort(name: string, proto: Protocol): number {
  if (!services) {
    services = new Map();
    try {
      for (const line of readFileSync('/etc/services', 'utf8').split('\n')) {
        const m = /^([^#\s]+)\s+(\d+)\/(\w+)([^#]*)/.exec(line);
        if (!m) continue;
        for (const n of [m[1], ...m[4].trim().split(/\s+/).filter(Boolean)]) if (!services.has(`${n}/${m[3]}`)) services.set(`${n}/${m[3]}`, Number(m[2]));
      }
    } catch { /* none */ }
  }
  return services.get(`${name}/${proto}`) ?? -1;
}

/** inet_aton-style IPv4 (dotted quad only) or undefined. */
function ipv4(s: string): string | undefined {
  if (s === 'localhost') return '127.0.0.1';
  return isIP(s) === 4 ? s.split('.').map((x) => String(Number(x))).join('.') : undefined;
}

/** Canonical compressed IPv6 text of s (as inet_ntop prints it). */
function ipv6(s: string): string | undefined {
  if (isIP(s) !== 6) return undefined;
  return new URL(`http://[${s}]/`).hostname.slice(1, -1);
}

/** parse_service: host[:port] or [v6]:port; undefined when the address is bad. */
function parseService(buf: string, proto: Protocol): { family: Family; address: string; port?: number } | undefined {
  if (/^\d*$/.test(buf)) return undefined;
  let s = buf;
  let portText: string | undefined;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0 || s[close + 1] !== ':') return undefined;
    portText = s.slice(close + 2);
    s = s.slice(1, close);
  }
  let family: Family;
  let address: string | undefined = ipv6(s);
  if (address) family = 6;
  else {
    const c = s.lastIndexOf(':');
    if (c >= 0) { portText = s.slice(c + 1); s = s.slice(0, c); }
    address = ipv4(s);
    if (!address) return undefined;
    family = 4;
  }
  if (portText === undefined) return { family, address };
  let port = toNumber(portText, 0, 65535);
  if (port < 0) port = serviceToPort(portText, proto);
  if (port < 0) return undefined;
  return { family, address, port };
}

function netmaskV4(s: string): string | undefined {
  return ipv4(s);
}

/** Parses one ipvsadm command line (without the program name). */
export function parseIpvsadm(argv: string[], prog = 'ulvsadm'): IpvsadmCommand {
  const { opts, args } = tokenize(argv, prog);
  if (opts.length === 0) throw new IpvsadmExit(tryHelp(prog), 255);
  const first = opts[0].def.long;
  const cmdOf: Record<string, number> = { 'add-service': 0, 'edit-service': 1, 'delete-service': 2, clear: 3, list: 4, 'add-server': 5, 'delete-server': 6, 'edit-server': 7, set: 8, 'start-daemon': 9, 'stop-daemon': 10, restore: 11, save: 12, zero: 13 };
  if (first === 'help') return { cmd: 'help' };
  if (first === 'version') return { cmd: 'version' };
  if (!(first in cmdOf)) throw new IpvsadmExit(tryHelp(prog), 255);
  const cmd = cmdOf[first];
  if ((first === 'start-daemon' || first === 'stop-daemon') && !['master', 'backup'].includes(opts[0].value!)) fail(first === 'start-daemon' ? 'illegal start-daemon parameter specified' : 'illegal start_daemon specified');

  let options = 0n;
  const set = (name: string): void => {
    const bit = 1n << BigInt(O[name]);
    if (options & bit) fail(`multiple '${name}' options specified`);
    options |= bit;
  };
  const has = (name: string): boolean => (options & (1n << BigInt(O[name]))) !== 0n;
  const fmt = listFormat();
  let protocol: Protocol = 'tcp';
  let key: { kind: 'addr' | 'fwmark'; family: Family; address: string; port: number; fwmark: number } = { kind: 'addr', family: 4, address: '0.0.0.0', port: 0, fwmark: 0 };
  let scheduler = '';
  let persistent = 0;
  let netmask = '255.255.255.255';
  let onePacket = false;
  let pe = '';
  let schedFlagsArg = '';
  let dest: { family: Family; address: string; port: number } | undefined;
  let destPortGiven = false;
  let forward: RealServerSpec['forward'] = 'dr';
  let weight = 1;
  let upper = 0;
  let lower = 0;
  let tunType: TunnelType = 'ipip';

  for (const t of opts.slice(1)) {
    const v = t.value ?? '';
    switch (t.def.long) {
      case 'tcp-service': case 'udp-service': case 'sctp-service': {
        set('service-address');
        protocol = t.def.long === 'tcp-service' ? 'tcp' : t.def.long === 'udp-service' ? 'udp' : 'sctp';
        const p = parseService(v, protocol);
        if (!p) fail('illegal virtual server address[:port] specified');
        key = { kind: 'addr', family: p.family, address: p.address, port: p.port ?? 0, fwmark: 0 };
        if (p.family === 6) netmask = '128';
        break;
      }
      case 'fwmark-service': {
        set('service-address');
        const n = /^\d+$/.test(v) ? Number(v) : NaN;
        if (!(n > 0 && n <= 0xffffffff)) fail(`invalid fwmark value \`${v}' specified`);
        key = { kind: 'fwmark', family: 4, address: '0.0.0.0', port: 0, fwmark: n };
        protocol = 'tcp';
        break;
      }
      case 'scheduler': set('scheduler'); scheduler = v.slice(0, 15); break;
      case 'persistent':
        set('persistent');
        if (t.value === undefined) persistent = 300;
        else { persistent = toNumber(v, 1, MAX_TIMEOUT); if (persistent < 0) fail(`invalid timeout value \`${v}' specified`); }
        break;
      case 'netmask':
        set('netmask');
        if (key.family !== 6) { const m = netmaskV4(v); if (!m) fail('illegal virtual server persistent mask specified'); netmask = m; }
        else { const n = parseInt(v, 10) || 0; if (n < 1 || n > 128) fail('illegal ipv6 netmask specified'); netmask = String(n); }
        break;
      case 'real-server': {
        set('real-server');
        const p = parseService(v, protocol);
        if (!p) fail('illegal real server address[:port] specified');
        dest = { family: p.family, address: p.address, port: p.port ?? key.port };
        destPortGiven = p.port !== undefined;
        break;
      }
      case 'ipip': set('forwarding-method'); forward = 'tun'; break;
      case 'gatewaying': set('forwarding-method'); forward = 'dr'; break;
      case 'masquerading': set('forwarding-method'); forward = 'nat'; break;
      case 'weight': set('weight'); weight = toNumber(v, 0, 65535); if (weight < 0) fail('illegal weight specified'); break;
      case 'u-threshold': set('u-threshold'); upper = toNumber(v, 0, 2147483647); if (upper < 0) fail('illegal u_threshold specified'); break;
      case 'l-threshold': set('l-threshold'); lower = toNumber(v, 0, 2147483647); if (lower < 0) fail('illegal l_threshold specified'); break;
      case 'connection': set('connection'); break;
      case 'numeric': set('numeric'); fmt.numeric = true; break;
      case 'mcast-interface': set('mcast-interface'); break;
      case 'syncid': set('syncid'); if (toNumber(v, 0, 255) < 0) fail('illegal syncid specified'); break;
      case 'timeout': set('timeout'); break;
      case 'daemon': set('daemon'); break;
      case 'stats': set('stats'); fmt.stats = true; break;
      case 'rate': set('rate'); fmt.rate = true; break;
      case 'thresholds': set('thresholds'); fmt.thresholds = true; break;
      case 'persistent-conn': set('persistent-conn'); fmt.persistentConn = true; break;
      case 'nosort': set('nosort'); fmt.noSort = true; break;
      case 'sort': break;
      case 'exact': set('exact'); fmt.exact = true; break;
      case 'ipv6':
        if (key.fwmark) { key.family = 6; netmask = '128'; } else fail('-6 used before -f\n');
        break;
      case 'ops': set('ops'); onePacket = true; break;
      case 'pe': set('pe'); pe = v; break;
      case 'sched-flags': set('sched-flags'); schedFlagsArg = v; break;
      case 'mcast-group': set('mcast-group'); break;
      case 'mcast-port': set('mcast-port'); if (toNumber(v, 1, 65535) < 0) fail('illegal mcast-port specified'); break;
      case 'mcast-ttl': set('mcast-ttl'); if (toNumber(v, 1, 255) < 0) fail('illegal mcast-ttl specified'); break;
      case 'sync-maxlen': set('sync-maxlen'); if (toNumber(v, 1, 65535 - 20 - 8) < 0) fail('illegal sync-maxlen specified'); break;
      case 'tun-info': set('tun-info'); fmt.tunInfo = true; break;
      case 'tun-type': set('tun-type'); if (!['ipip', 'gue', 'gre'].includes(v)) fail('illegal tunnel type specified'); tunType = v as TunnelType; break;
      case 'tun-port': set('tun-port'); if (toNumber(v, 1, 65535) < 0) fail('illegal tunnel port specified'); break;
      case 'tun-nocsum': set('tun-nocsum'); break;
      case 'tun-csum': set('tun-csum'); break;
      case 'tun-remcsum': set('tun-remcsum'); break;
      default: fail(`invalid option \`${t.text}'`);
    }
  }

  let timeouts: number[] | undefined;
  let rest = args;
  if (cmd === 8) {
    if (args.length < 3) fail('--set option requires 3 timeout values');
    timeouts = args.slice(0, 3).map((a) => { const n = toNumber(a, 0, MAX_TIMEOUT); if (n < 0) fail(`invalid timeout value \`${a}' specified`); return n; });
    rest = args.slice(3);
  }
  if (rest.length) fail(`unexpected argument ${rest[0]}`);

  const schedFlags: string[] = [];
  if (schedFlagsArg) {
    const sched = scheduler || 'wlc';
    for (const f of schedFlagsArg.split(',').filter(Boolean)) {
      if (!['flag-1', 'flag-2', 'flag-3', 'sh-fallback', 'sh-port', 'mh-fallback', 'mh-port'].includes(f)) fail(`invalid scheduler flag \`${f}'`);
      if (f.startsWith('sh-') && sched !== 'sh') fail(`incompatible scheduler flag \`${f}'`);
      if (f.startsWith('mh-') && sched !== 'mh') fail(`incompatible scheduler flag \`${f}'`);
      if (!schedFlags.includes(f)) schedFlags.push(f);
    }
  }

  // generic_opt_check
  let last = -1;
  for (let j = 0; j < OPTNAMES.length; j++) {
    const c = TABLE[cmd][j];
    const on = (options & (1n << BigInt(j))) !== 0n;
    if (!on && c === '+') fail(`You need to supply the '${OPTNAMES[j]}' option for the '${CMDS[cmd]}' command`);
    if (on && c === 'x') fail(`Illegal '${OPTNAMES[j]}' option with the '${CMDS[cmd]}' command`);
    if (on && c === '1') {
      if (last < 0) last = j;
      else fail(`The option '${OPTNAMES[j]}' conflicts with the '${OPTNAMES[last]}' option in the '${CMDS[cmd]}' command`);
    }
  }

  const svcKey: ServiceKey = key.kind === 'fwmark' ? { kind: 'fwmark', fwmark: key.fwmark, family: key.family } : { kind: 'addr', protocol, family: key.family, address: key.address, port: key.port };
  const spec = (): Omit<VirtualServiceSpec, 'realServers'> => {
    if (key.kind === 'addr' && !key.port && !persistent) fail('Zero port specified for non-persistent service');
    if (onePacket && key.kind === 'addr' && protocol !== 'udp') fail('One-Packet Scheduling is only for UDP virtual services');
    return { key: svcKey, scheduler: scheduler || 'wlc', schedFlags, persistenceTimeoutS: persistent, netmask: persistent ? netmask : (key.family === 6 ? '128' : '255.255.255.255'), onePacket, persistenceEngine: pe };
  };
  const realServer = (): RealServerSpec => {
    const d = dest!;
    const port = key.kind === 'addr' && (forward === 'tun' || forward === 'dr') ? key.port : destPortGiven ? d.port : key.port;
    if (d.family !== key.family && forward !== 'tun') fail('Different address family is allowed only for tunneling servers');
    const tunOpts = has('tun-type') || has('tun-port') || has('tun-nocsum') || has('tun-csum') || has('tun-remcsum');
    if (tunOpts && forward !== 'tun') fail('Tunnel options conflict with forward method');
    // tunnel_opt_check: ipip takes no options, gue needs --tun-port, gre takes no port.
    if (tunType === 'ipip') for (const n of ['tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum']) if (has(n)) fail(`Illegal '${n}' option with the 'ipip' tunnel type`);
    if (tunType === 'gue' && !has('tun-port')) fail("You need to supply the 'tun-port' option for the 'gue' tunnel type");
    if (tunType === 'gre') for (const n of ['tun-port', 'tun-remcsum']) if (has(n)) fail(`Illegal '${n}' option with the 'gre' tunnel type`);
    const r: RealServerSpec = { address: d.address, port, forward, weight, upperThreshold: upper, lowerThreshold: lower };
    if (forward === 'tun') r.tunType = tunType;
    return r;
  };

  switch (cmd) {
    case 4: {
      if ((options & ((1n << BigInt(O.connection)) | (1n << BigInt(O.timeout)) | (1n << BigInt(O.daemon))) && (has('stats') || has('rate') || has('thresholds'))) ||
        ((has('timeout') || has('daemon')) && has('persistent-conn'))) fail('options conflicts in the list command');
      return { cmd: 'list', format: fmt, service: has('service-address') ? svcKey : undefined, connection: has('connection'), timeout: has('timeout'), daemon: has('daemon') };
    }
    case 0: return { cmd: 'op', op: { op: 'add-service', spec: spec() } };
    case 1: return { cmd: 'op', op: { op: 'edit-service', spec: spec() } };
    case 2: return { cmd: 'op', op: { op: 'del-service', key: svcKey } };
    case 3: return { cmd: 'op', op: { op: 'flush' } };
    case 5: return { cmd: 'op', op: { op: 'add-dest', key: svcKey, dest: realServer() } };
    case 7: return { cmd: 'op', op: { op: 'edit-dest', key: svcKey, dest: realServer() } };
    case 6: return { cmd: 'op', op: { op: 'del-dest', key: svcKey, address: dest!.address, port: dest!.port } };
    case 8: return { cmd: 'op', op: { op: 'set-timeouts', timeouts: { tcpS: timeouts![0], tcpFinS: timeouts![1], udpS: timeouts![2] } } };
    case 9: case 10: return { cmd: 'sync-daemon', start: cmd === 9 };
    case 11: return { cmd: 'restore' };
    case 12: return { cmd: 'save', format: { ...fmt, rule: true } };
    default: return { cmd: 'op', op: { op: 'zero', key: has('service-address') ? svcKey : undefined } };
  }
}
