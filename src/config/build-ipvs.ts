/**
 * Raw virtual_server / real_server / checker / virtual_server_group blocks -> VirtualServerConfig and
 * the IPVS rule model (src/ipvs/types.ts), defaulted as keepalived's check_data.c does (wlc, NAT, TCP,
 * weight 1, delay_loop 60 s, connect_timeout 5 s), with the LVS cross-checks.
 */
import type { DiagnosticSink, Pos } from './diagnostics.js';
import { posString } from './diagnostics.js';
import { at, get, type NamedLines, type RawBlock, type ScriptValue } from './keywords/table.js';
import type { ForwardingValue } from './keywords/virtual-server.js';
import { scriptsOf, type ScriptUse } from './build-vrrp.js';
import type { VirtualServerGroupConfig, VirtualServerGroupEntry } from './types.js';
import type { CheckerSpec, HealthRealServerSpec, HealthServiceSpec, ScriptSpec, UrlSpec } from '../health/types.js';
import type { Family, Protocol, RealServerSpec, ServiceKey, VirtualServiceSpec } from '../ipvs/types.js';
import { canonicalIp, intToIpv4, ipv4ToInt, parseInteger } from './values.js';

const MAX_GROUP_SERVICES = 4096;

function parsePort(s: string | undefined, sink: DiagnosticSink, pos: Pos, what: string): number | undefined {
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
    if (!name) { sink.error(g.pos, 'missing-name', 'virtual_server_group needs a name; the block is skipped.'); continue; }
    const entries: VirtualServerGroupEntry[] = [];
    for (const l of g.lines) {
      const [first, second, ...rest] = l.words;
      if (first === 'fwmark') {
        const mark = parseInteger(second);
        if (mark === undefined || mark < 1 || mark > 0xffffffff) { sink.error(l, 'bad-value', `fwmark '${second ?? ''}' is not a number in 1..4294967295.`); continue; }
        const fam = rest[0] === 'inet6' ? 6 : rest[0] === 'inet' ? 4 : undefined;
        entries.push(fam ? { kind: 'fwmark', fwmark: mark, family: fam } : { kind: 'fwmark', fwmark: mark });
        continue;
      }
      const port = second === undefined ? 0 : parsePort(second, sink, l, 'group member');
      if (port === undefined) continue;
      const e = parseRange(first!);
      if (!e) { sink.error(l, 'bad-address', `'${first}' is not an address, a range (10.0.0.1-10) or a CIDR block (10.0.0.0/29).`); continue; }
      entries.push({ kind: 'addr', ...e, port });
    }
    if (entries.length === 0) sink.error(g.pos, 'empty-group', `virtual_server_group ${name} has no entries; keepalived drops it, and every virtual_server using it.`);
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
function expandV6(a: string): number[] {
  const [head, tail] = a.includes('::') ? a.split('::') as [string, string] : [a, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const mid = tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...mid, ...t].map((g) => parseInt(g, 16));
}

/** Copies the fields of `raw` named in `fields` onto `out` when present (undefined = inherit, per the health contract). */
function copy(out: Record<string, unknown>, raw: RawBlock, fields: readonly string[]): void {
  for (const f of fields) {
    const v = raw.fields[f];
    if (v !== undefined) out[f] = v;
  }
}

const COMMON_FIELDS = ['connectIp', 'connectPort', 'bindTo', 'bindPort', 'bindIf', 'fwmark', 'connectTimeoutMs', 'retry',
  'delayBeforeRetryMs', 'delayLoopMs', 'warmupMs', 'alpha', 'logAllFailures'] as const;

function hexBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function buildChecker(raw: RawBlock, rsPort: number, sink: DiagnosticSink, uses: ScriptUse[]): CheckerSpec | undefined {
  const type = raw.table as CheckerSpec['type'];
  const common: Record<string, unknown> = { type, where: posString(raw.pos) };
  copy(common, raw, COMMON_FIELDS);
  if (type === 'HTTP_GET' || type === 'SSL_GET') {
    const urls: UrlSpec[] = [];
    for (const u of get<RawBlock[]>(raw, 'urls') ?? []) {
      const path = get<string>(u, 'path');
      if (!path) { sink.error(u.pos, 'missing-path', `url block of ${type} has no 'path'; keepalived drops it — add 'path /'.`); continue; }
      const url: UrlSpec = { path };
      const codes = get<Array<[number, number]>>(u, 'statusCodes');
      if (codes) url.statusCodes = codes.map(([lo, hi]) => ({ lo, hi }));
      const digest = get<string>(u, 'digest');
      if (digest !== undefined) {
        if (!/^[0-9a-fA-F]{32}$/.test(digest)) sink.error(at(u, 'digest'), 'bad-value', `digest '${digest}' is not 32 hex digits (an MD5 sum; genhash prints it).`);
        else url.digest = digest.toLowerCase();
      }
      const vh = get<string>(u, 'virtualhost');
      if (vh !== undefined) url.virtualhost = vh;
      if (get<string>(u, 'regex') !== undefined) sink.note(at(u, 'regex'), 'not-implemented', "'regex' is accepted but ulvs does not match response bodies against it.");
      urls.push(url);
    }
    if (urls.length === 0) sink.error(raw.pos, 'missing-url', `${type} needs at least one url { path ... } block; without one it checks nothing.`);
    copy(common, raw, ['virtualhost', 'httpProtocol', 'enableSni', 'sniName', 'fastRecovery']);
    common.urls = urls;
  } else if (type === 'MISC_CHECK') {
    const script = get<ScriptValue>(raw, 'miscPath');
    if (!script) { sink.error(raw.pos, 'missing-script', "MISC_CHECK needs 'misc_path \"/path/to/check args\"'; the checker is skipped."); return undefined; }
    uses.push({ script, keyword: 'misc_path' });
    const misc = scriptSpec(script)!;
    const user = get<string[]>(raw, 'user');
    if (user?.length) { misc.user = user[0]!; if (user[1]) misc.group = user[1]; }
    common.misc = misc;
    copy(common, raw, ['miscTimeoutMs', 'miscDynamic']);
  } else if (type === 'DNS_CHECK') {
    copy(common, raw, ['dnsType']);
    const name = get<string>(raw, 'dnsName');
    if (name !== undefined) common.name = name;
  } else if (type === 'UDP_CHECK') {
    copy(common, raw, ['minReplyLength', 'maxReplyLength']);
    const payload = get<string>(raw, 'payload');
    if (payload !== undefined) {
      if (!/^([0-9a-fA-F]{2})+$/.test(payload)) sink.error(at(raw, 'payload'), 'bad-value', `payload '${payload}' is not an even number of hex digits.`);
      else common.payload = hexBytes(payload);
    }
    const reply = get<string>(raw, 'requireReply');
    if (reply !== undefined) {
      common.requireReply = true;
      if (reply !== '') {
        if (!/^([0-9a-fA-FxX]{2})+$/.test(reply)) sink.error(at(raw, 'requireReply'), 'bad-value', `require_reply '${reply}' is not an even number of hex digits (X = any nibble).`);
        else common.requireReplyPattern = reply;
      }
    }
    const min = get<number>(raw, 'minReplyLength') ?? 0;
    const max = get<number>(raw, 'maxReplyLength') ?? 255;
    if (min > max) sink.error(raw.pos, 'bad-value', `min_reply_length ${min} exceeds max_reply_length ${max}.`);
  }
  const port = get<number>(raw, 'connectPort') ?? rsPort;
  if (type !== 'PING_CHECK' && type !== 'MISC_CHECK' && port === 0) {
    sink.error(raw.pos, 'missing-port', `${type} has no port to connect to (the real server has none); add 'connect_port N'.`);
  }
  return common as unknown as CheckerSpec;
}

/** Converts a parsed script line to the health contract's ScriptSpec. */
function scriptSpec(s: ScriptValue | undefined): ScriptSpec | undefined {
  if (!s) return undefined;
  const out: ScriptSpec = { argv: s.argv, where: posString(s.pos) };
  if (s.user) out.user = s.user;
  if (s.group) out.group = s.group;
  return out;
}

function serverAddr(words: string[], pos: Pos, sink: DiagnosticSink, what: string, defaultPort: number): { address: string; family: Family; port: number } | undefined {
  const ip = canonicalIp(words[0] ?? '');
  if (!ip) { sink.error(pos, 'bad-address', `${what} address '${words[0] ?? ''}' is not an IPv4 or IPv6 address.`); return undefined; }
  const port = words[1] === undefined ? defaultPort : parsePort(words[1], sink, pos, what);
  if (port === undefined) return undefined;
  return { ...ip, port };
}

/** What one virtual_server block yields: its IPVS services and its health/policy spec. */
export interface BuiltVirtualServer {
  services: VirtualServiceSpec[];
  health: HealthServiceSpec;
}

function serviceIdOf(a: string[], protocol: Protocol): string {
  if (a[0] === 'fwmark') return `FWM ${a[1]}`;
  if (a[0] === 'group') return `group ${a[1]}`;
  const ip = canonicalIp(a[0] ?? '');
  const host = ip?.family === 6 ? `[${ip.address}]` : ip?.address ?? a[0];
  return `${protocol.toUpperCase()} ${host}:${a[1] ?? 0}`;
}

/** Builds one virtual_server; returns undefined when its head line is unusable. */
export function buildVirtualServer(raw: RawBlock, groups: VirtualServerGroupConfig[], sink: DiagnosticSink, uses: ScriptUse[]): BuiltVirtualServer | undefined {
  const a = raw.args;
  const protocol = (get<string>(raw, 'protocol') ?? 'TCP').toLowerCase() as Protocol;
  let keys: ServiceKey[] = [];
  let vsPort = 0;
  let family: Family | undefined;
  const explicitFamily = get<string>(raw, 'ipFamily');
  if (a[0] === 'fwmark') {
    const mark = parseInteger(a[1]);
    if (mark === undefined || mark < 1 || mark > 0xffffffff) { sink.error(raw.pos, 'bad-value', `virtual_server fwmark '${a[1] ?? ''}' is not a number in 1..4294967295; the virtual_server is skipped.`); return undefined; }
    family = explicitFamily === 'inet6' ? 6 : explicitFamily === 'inet' ? 4 : undefined;
    keys = [{ kind: 'fwmark', fwmark: mark, family: family ?? 4 }];
    if (get<string>(raw, 'protocol') !== undefined) sink.note(at(raw, 'protocol'), 'ignored-protocol', "'protocol' has no effect on a fwmark virtual_server.");
  } else if (a[0] === 'group') {
    const g = groups.find((x) => x.name === a[1]);
    if (!g) { sink.error(raw.pos, 'unknown-group', `virtual_server group '${a[1] ?? ''}' names no virtual_server_group; define it or fix the name.`); return undefined; }
    for (const e of g.entries) {
      if (keys.length >= MAX_GROUP_SERVICES) { sink.error(raw.pos, 'group-too-large', `virtual_server_group ${g.name} expands to more than ${MAX_GROUP_SERVICES} services; use fwmark for large ranges.`); break; }
      if (e.kind === 'fwmark') { keys.push({ kind: 'fwmark', fwmark: e.fwmark, family: e.family ?? 4 }); continue; }
      if (e.family === 6) {
        const g = expandV6(e.first);
        const last = expandV6(e.last)[7]!;
        for (let n = g[7]!; n <= last && keys.length < MAX_GROUP_SERVICES; n++) {
          keys.push({ kind: 'addr', protocol, family: 6, address: canonicalIp([...g.slice(0, 7), n].map((x) => x.toString(16)).join(':'))!.address, port: e.port });
        }
        continue;
      }
      for (let n = ipv4ToInt(e.first); n <= ipv4ToInt(e.last) && keys.length < MAX_GROUP_SERVICES; n++) keys.push({ kind: 'addr', protocol, family: 4, address: intToIpv4(n), port: e.port });
    }
    family = keys.find((k) => k.kind === 'addr')?.family;
  } else {
    const vip = serverAddr(a, raw.pos, sink, 'virtual_server', 0);
    if (!vip) return undefined;
    vsPort = vip.port;
    family = vip.family;
    keys = [{ kind: 'addr', protocol, family: vip.family, address: vip.address, port: vip.port }];
    if (a.length > 2) sink.warn(raw.pos, 'extra-words', `virtual_server: '${a.slice(2).join(' ')}' after the port is ignored.`);
  }
  const vsForward = get<ForwardingValue>(raw, 'forwarding') ?? { forward: 'nat' };
  const vsWeight = get<number>(raw, 'weight') ?? 1;
  const dests: RealServerSpec[] = [];
  const healthRs: HealthRealServerSpec[] = [];
  const seen = new Map<string, Pos>();
  const implicitPort = new Set<RealServerSpec>();
  for (const r of get<RawBlock[]>(raw, 'realServers') ?? []) {
    const addr = serverAddr(r.args, r.pos, sink, 'real_server', vsPort);
    if (!addr) continue;
    const fwd = get<ForwardingValue>(r, 'forwarding') ?? vsForward;
    if (fwd.forward !== 'tun' && family !== undefined && addr.family !== family) {
      sink.error(r.pos, 'family-mismatch', `real_server ${addr.address} is IPv${addr.family} but the virtual server is IPv${family}; keepalived skips it — use the same family (or TUN).`);
      continue;
    }
    if (fwd.forward !== 'tun') family ??= addr.family;
    const id = `${addr.address}|${addr.port}`;
    const dup = seen.get(id);
    if (dup) { sink.error(r.pos, 'duplicate-real-server', `real_server ${addr.address} port ${addr.port} is listed twice in this virtual_server (first at line ${dup.line}); remove one.`); continue; }
    seen.set(id, r.pos);
    const weight = get<number>(r, 'weight') ?? vsWeight;
    const spec: RealServerSpec = {
      address: addr.address, port: addr.port, forward: fwd.forward, weight,
      upperThreshold: get<number>(r, 'upperThreshold') ?? 0, lowerThreshold: get<number>(r, 'lowerThreshold') ?? 0,
    };
    if (fwd.tunType) spec.tunType = fwd.tunType;
    if (r.args[1] === undefined) implicitPort.add(spec);
    const upper = spec.upperThreshold;
    if (upper > 0 && spec.lowerThreshold > upper) sink.error(at(r, 'lowerThreshold'), 'bad-value', `lthreshold ${spec.lowerThreshold} is above uthreshold ${upper}; lower it.`);
    dests.push(spec);
    scriptsOf(r, ['notifyUp', 'notifyDown'], uses);
    const checkers: CheckerSpec[] = [];
    for (const c of get<RawBlock[]>(r, 'checkers') ?? []) { const cc = buildChecker(c, addr.port, sink, uses); if (cc) checkers.push(cc); }
    const hr: HealthRealServerSpec = { address: addr.address, port: addr.port, weight, checkers, where: posString(r.pos) };
    copy(hr as unknown as Record<string, unknown>, r, ['inhibitOnFailure', 'alpha', 'retry', 'delayBeforeRetryMs', 'delayLoopMs', 'warmupMs', 'connectTimeoutMs', 'virtualhost']);
    const up = scriptSpec(get<ScriptValue>(r, 'notifyUp')); if (up) hr.notifyUp = up;
    const down = scriptSpec(get<ScriptValue>(r, 'notifyDown')); if (down) hr.notifyDown = down;
    healthRs.push(hr);
  }
  family ??= 4;
  if (a[0] === 'fwmark' && !explicitFamily) keys = keys.map((k) => ({ ...k, family: family! }));
  const persistenceTimeoutS = get<number>(raw, 'persistenceTimeoutS') ?? (get<string>(raw, 'persistenceGranularity') ? 360 : 0);
  const scheduler = get<string>(raw, 'scheduler') ?? 'wlc';
  const schedFlags: string[] = [];
  const flag = (f: string, name: string, only?: string): void => {
    if (!get<boolean>(raw, f)) return;
    if (only && scheduler !== only) { sink.error(at(raw, f), 'flag-scheduler', `'${name}' only applies to the ${only} scheduler (this one uses ${scheduler}); remove it.`); return; }
    schedFlags.push(name);
  };
  flag('flag1', 'flag-1'); flag('flag2', 'flag-2'); flag('flag3', 'flag-3');
  flag('shFallback', 'sh-fallback', 'sh'); flag('shPort', 'sh-port', 'sh'); flag('mhFallback', 'mh-fallback', 'mh'); flag('mhPort', 'mh-port', 'mh');
  let netmask = family === 6 ? '128' : '255.255.255.255';
  const gran = get<string>(raw, 'persistenceGranularity');
  if (gran !== undefined) {
    if (family === 6) {
      const n = parseInteger(gran);
      if (n === undefined || n < 1 || n > 128) sink.error(at(raw, 'persistenceGranularity'), 'bad-value', `persistence_granularity '${gran}' is not an IPv6 prefix length 1..128.`);
      else netmask = String(n);
    } else if (canonicalIp(gran)?.family !== 4) sink.error(at(raw, 'persistenceGranularity'), 'bad-value', `persistence_granularity '${gran}' is not an IPv4 netmask such as 255.255.255.0.`);
    else netmask = gran;
  }
  const onePacket = get<boolean>(raw, 'onePacket') ?? false;
  if (onePacket && protocol !== 'udp' && a[0] !== 'fwmark') sink.warn(at(raw, 'onePacket'), 'ops-not-udp', "'ops' (one-packet scheduling) only applies to UDP services; it is ignored here.");
  for (const k of keys) {
    if (k.kind === 'addr' && k.port === 0 && persistenceTimeoutS === 0) {
      sink.error(raw.pos, 'port-zero', `virtual_server ${k.address} has port 0 (all ports) without persistence_timeout; keepalived and IPVS only allow that for persistent services — add persistence_timeout or a port.`);
      break;
    }
  }
  const sorryWords = get<string[]>(raw, 'sorryServer');
  if (dests.length === 0 && !sorryWords) sink.warn(raw.pos, 'no-real-servers', `virtual_server ${a.join(' ')} has no real_server; it will drop all traffic.`);
  const services: VirtualServiceSpec[] = keys.map((key) => ({
    key, scheduler, schedFlags: [...schedFlags], persistenceTimeoutS, netmask, onePacket: onePacket && (key.kind === 'fwmark' || key.protocol === 'udp'),
    persistenceEngine: get<string>(raw, 'persistenceEngine') ?? '',
    realServers: dests.map((d) => ({ ...d, port: key.kind === 'addr' && implicitPort.has(d) && a[0] === 'group' ? key.port : d.port })),
  }));
  const health: HealthServiceSpec = {
    id: serviceIdOf(a, protocol), keys,
    vips: [...new Set(keys.flatMap((k) => (k.kind === 'addr' ? [k.address] : [])))],
    realServers: healthRs, where: posString(raw.pos),
  };
  copy(health as unknown as Record<string, unknown>, raw, ['delayLoopMs', 'alpha', 'omega', 'quorum', 'hysteresis', 'inhibitOnFailure', 'haSuspend',
    'virtualhost', 'connectTimeoutMs', 'retry', 'delayBeforeRetryMs', 'warmupMs']);
  scriptsOf(raw, ['quorumUp', 'quorumDown'], uses);
  const qu = scriptSpec(get<ScriptValue>(raw, 'quorumUp')); if (qu) health.quorumUp = qu;
  const qd = scriptSpec(get<ScriptValue>(raw, 'quorumDown')); if (qd) health.quorumDown = qd;
  if (sorryWords) {
    const s = serverAddr(sorryWords, at(raw, 'sorryServer'), sink, 'sorry_server', vsPort);
    const fwd = get<ForwardingValue>(raw, 'sorryServerForwarding');
    if (s && (fwd ?? vsForward).forward !== 'tun' && s.family !== family) sink.error(at(raw, 'sorryServer'), 'family-mismatch', `sorry_server ${s.address} is not the virtual server's address family; keepalived skips it.`);
    else if (s) health.sorryServer = { address: s.address, port: s.port, forward: (fwd ?? vsForward).forward as 'dr' | 'nat' | 'tun' };
    if (get<boolean>(raw, 'sorryServerInhibit')) health.sorryServerInhibit = true;
  } else if (get<boolean>(raw, 'sorryServerInhibit')) sink.error(at(raw, 'sorryServerInhibit'), 'no-sorry-server', "'sorry_server_inhibit' without a sorry_server; add the sorry_server or remove it.");
  return { services, health };
}
