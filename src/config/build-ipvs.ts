/**
 * Raw virtual_server / real_server blocks -> IPVS services (src/ipvs/types.ts) and the health/policy spec
 * (src/health/types.ts), with keepalived's validate_check_config() checks (check_data.c): missing protocol,
 * scheduler or forwarding method, port 0 without persistence, ops without UDP, duplicate real servers,
 * port mismatches, quorum and hysteresis bounds, ha_suspend with fwmarks, virtual servers without real servers.
 * Scheduling options are read in build-vs-scheduling.ts, the health/policy spec in build-vs-health.ts.
 */
import type { DiagnosticSink, Pos } from './diagnostics.js';
import { posString } from './diagnostics.js';
import { at, fieldsOf, type RawBlock } from './keywords/table.js';
import { realServerTable, virtualServerTable } from './keywords/virtual-server.js';
import type { ForwardingValue } from './keywords/virtual-server.js';
import { scriptsOf, type ScriptUse } from './script-use.js';
import { buildCheckers, copy, scriptSpec } from './build-checker.js';
import { expandGroup, MAX_GROUP_SERVICES, parsePort } from './build-groups.js';
import type { VirtualServerGroupConfig } from './types.js';
import type { CheckerSpec, HealthRealServerSpec, HealthServiceSpec } from '../health/types.js';
import type { Family, Protocol, RealServerSpec, ServiceKey, VirtualServiceSpec } from '../ipvs/types.js';
import { canonicalIp, parseInteger } from './values.js';
import { serviceOptions } from './build-vs-scheduling.js';
import { buildHealthSpec } from './build-vs-health.js';

function serverAddr(words: string[], pos: Pos, sink: DiagnosticSink, what: string): { address: string; family: Family; port: number } | undefined {
  const ip = canonicalIp(words[0] ?? '');
  if (!ip) {
    sink.error(pos, 'bad-address', `${what} address '${words[0] ?? ''}' is not an IPv4 or IPv6 address.`);
    return undefined;
  }
  const port = words[1] === undefined ? 0 : parsePort(words[1], sink, pos, what);
  if (port === undefined) return undefined;
  if (words.length > 2) sink.warn(pos, 'extra-words', `${what}: '${words.slice(2).join(' ')}' after the port is ignored.`);
  return { ...ip, port };
}

/** What one virtual_server block yields: its IPVS services and its health/policy spec. */
export interface BuiltVirtualServer {
  services: VirtualServiceSpec[];
  health: HealthServiceSpec;
}

/** The port IPVS gets for a dest of `key`: NAT keeps its own (0 = the service's), DR/TUN cannot change ports. */
function destPort(rs: RealServerSpec, key: ServiceKey): number {
  if (key.kind === 'fwmark') return rs.forward === 'nat' ? rs.port : 0;
  return rs.forward === 'nat' && rs.port !== 0 ? rs.port : key.port;
}

/** The head of a virtual_server block: its service keys (one, or a group's members), family and id. */
export interface Head {
  keys: ServiceKey[];
  family: Family | undefined;
  id: string;
  /** Has address-based members (protocol and port rules apply). */
  addressBased: boolean;
  hasFwmark: boolean;
  group?: VirtualServerGroupConfig;
}

function parseHead(raw: RawBlock, groups: VirtualServerGroupConfig[], protocol: Protocol, sink: DiagnosticSink): Head | undefined {
  const a = raw.args;
  const fam = fieldsOf(virtualServerTable, raw).ipFamily;
  const explicitFamily: Family | undefined = fam === 'inet6' ? 6 : fam === 'inet' ? 4 : undefined;
  if (a[0] === 'fwmark') {
    const mark = parseInteger(a[1]);
    if (mark === undefined || mark < 1 || mark > 0xffffffff) {
      sink.error(raw.pos, 'bad-value', `virtual_server fwmark '${a[1] ?? ''}' is not a number in 1..4294967295; the virtual_server is skipped.`);
      return undefined;
    }
    return {
      keys: [{ kind: 'fwmark', fwmark: mark, family: explicitFamily ?? 4 }],
      family: explicitFamily,
      id: `FWM ${mark}`,
      addressBased: false,
      hasFwmark: true,
    };
  }
  if (a[0] === 'group') {
    const g = groups.find((x) => x.name === a[1]);
    if (!g) {
      sink.error(raw.pos, 'unknown-group', `virtual_server group '${a[1] ?? ''}' names no virtual_server_group; define it or fix the name.`);
      return undefined;
    }
    const { keys, truncated } = expandGroup(g, protocol);
    if (truncated)
      sink.error(
        raw.pos,
        'group-too-large',
        `virtual_server_group ${g.name} expands to more than ${MAX_GROUP_SERVICES} services; only the first ${MAX_GROUP_SERVICES} are used — use a fwmark for large ranges.`,
      );
    const addr = keys.find((k) => k.kind === 'addr');
    return {
      keys,
      family: addr?.family ?? explicitFamily,
      id: `group ${g.name}`,
      addressBased: addr !== undefined,
      hasFwmark: keys.some((k) => k.kind === 'fwmark'),
      group: g,
    };
  }
  const ip = serverAddr(a, raw.pos, sink, 'virtual_server');
  if (!ip) return undefined;
  const id = `${protocol.toUpperCase()} ${ip.family === 6 ? `[${ip.address}]` : ip.address}:${ip.port}`;
  return {
    keys: [{ kind: 'addr', protocol, family: ip.family, address: ip.address, port: ip.port }],
    family: ip.family,
    id,
    addressBased: true,
    hasFwmark: false,
  };
}

/** `persistence_engine NAME`: kept in the rules (ipvsadm --pe shows it); SIP Call-ID persistence is not run, so it warns. */
function persistenceEngine(raw: RawBlock, sink: DiagnosticSink): string {
  const pe = fieldsOf(virtualServerTable, raw).persistenceEngine;
  if (pe === undefined) return '';
  sink.warn(
    at(raw, 'persistenceEngine'),
    'not-implemented',
    `'persistence_engine ${pe}' has no effect in ulvs: connections are not kept together by SIP Call-ID; ${fieldsOf(virtualServerTable, raw).persistenceTimeoutS !== undefined ? 'persistence_timeout still keeps a client on one real server' : "add 'persistence_timeout' to keep a client on one real server"}.`,
  );
  return pe;
}

/** Builds one virtual_server; undefined when keepalived would ignore it (reported). */
export function buildVirtualServer(raw: RawBlock, groups: VirtualServerGroupConfig[], sink: DiagnosticSink, uses: ScriptUse[]): BuiltVirtualServer | undefined {
  const name = `virtual_server ${raw.args.join(' ')}`;
  const protoWord = fieldsOf(virtualServerTable, raw).protocol;
  // keepalived: no protocol on an address service means IPPROTO 0, which the kernel takes as UDP.
  const protocol = (protoWord?.toLowerCase() ?? 'udp') as Protocol;
  const head = parseHead(raw, groups, protocol, sink);
  if (!head) return undefined;
  if (head.addressBased && !protoWord)
    sink.error(raw.pos, 'no-protocol', `${name} has no 'protocol'; keepalived then uses UDP and reports it — add 'protocol TCP' (or UDP, SCTP).`);
  if (!head.addressBased && protoWord)
    sink.warn(
      at(raw, 'protocol'),
      'protocol-fwmark',
      `'protocol' has no effect on a firewall-mark service (keepalived warns too: "protocol specified for fwmark - protocol will be ignored"); remove it.`,
    );

  const vsForward = fieldsOf(virtualServerTable, raw).forwarding;
  const rs = buildRealServers(raw, head, vsForward, sink, uses);
  const { dests, healthRs } = rs;
  let missingForward = rs.missingForward;
  if (dests.length === 0) {
    sink.error(raw.pos, 'no-real-servers', `${name} has no real_server; keepalived ignores such a virtual server — add one.`);
    return undefined;
  }
  const family = rs.family ?? 4;
  let keys = head.keys;
  if (!head.group && keys[0]?.kind === 'fwmark' && !fieldsOf(virtualServerTable, raw).ipFamily) keys = [{ ...keys[0], family }];

  const o = serviceOptions(raw, name, head, keys, family, protocol, sink);
  const health = buildHealthSpec(raw, head, keys, dests, healthRs, sink, uses);
  if (addSorryServer(raw, head, keys, family, vsForward, health, healthRs, sink)) missingForward = true;
  if (missingForward)
    sink.error(
      raw.pos,
      'no-forwarding',
      `${name} has no 'lvs_method' (lb_kind) for some servers; keepalived uses NAT and reports it — add e.g. 'lvs_method DR'.`,
    );

  const services: VirtualServiceSpec[] = keys.map((key) => ({
    key,
    scheduler: o.scheduler,
    schedFlags: [...o.schedFlags],
    persistenceTimeoutS: o.persistenceTimeoutS,
    netmask: o.netmask,
    onePacket: o.onePacket && (key.kind === 'fwmark' || key.protocol === 'udp'),
    persistenceEngine: persistenceEngine(raw, sink),
    realServers: dests.map((d) => ({ ...d, port: destPort(d, key) })),
  }));
  return { services, health };
}

/** The real_server blocks of one virtual_server: IPVS dests, their health specs, the family they settle and whether any lacks a forwarding method. */
function buildRealServers(
  raw: RawBlock,
  head: Head,
  vsForward: ForwardingValue | undefined,
  sink: DiagnosticSink,
  uses: ScriptUse[],
): { dests: RealServerSpec[]; healthRs: HealthRealServerSpec[]; family: Family | undefined; missingForward: boolean } {
  let family = head.family;
  const vsWeight = fieldsOf(virtualServerTable, raw).weight ?? 1;
  const dests: RealServerSpec[] = [];
  const healthRs: HealthRealServerSpec[] = [];
  const seen = new Map<string, Pos>();
  let missingForward = false;
  for (const r of fieldsOf(virtualServerTable, raw).realServers ?? []) {
    const addr = serverAddr(r.args, r.pos, sink, 'real_server');
    if (!addr) continue;
    const fwd = fieldsOf(realServerTable, r).forwarding ?? vsForward ?? { forward: 'nat' as const };
    if (!fieldsOf(realServerTable, r).forwarding && !vsForward) missingForward = true;
    if (fwd.forward !== 'tun' && family !== undefined && addr.family !== family) {
      sink.error(
        r.pos,
        'family-mismatch',
        `real_server ${addr.address} is IPv${addr.family} but the virtual server is IPv${family}; keepalived skips it — use one family (or TUN).`,
      );
      continue;
    }
    if (fwd.forward !== 'tun') family ??= addr.family;
    const id = `${addr.address}|${addr.port}`;
    const dup = seen.get(id);
    if (dup) {
      sink.error(
        r.pos,
        'duplicate-real-server',
        `real_server ${addr.address} port ${addr.port} is listed twice in this virtual_server (first at line ${dup.line}); keepalived removes the second — remove it.`,
      );
      continue;
    }
    seen.set(id, r.pos);
    const weight = fieldsOf(realServerTable, r).weight ?? vsWeight;
    const spec: RealServerSpec = {
      address: addr.address,
      port: addr.port,
      forward: fwd.forward,
      weight,
      upperThreshold: fieldsOf(realServerTable, r).upperThreshold ?? 0,
      lowerThreshold: fieldsOf(realServerTable, r).lowerThreshold ?? 0,
    };
    if (fwd.tunType) spec.tunType = fwd.tunType;
    if (fwd.tunPort !== undefined) spec.tunPort = fwd.tunPort;
    if (fwd.tunCsum) spec.tunCsum = fwd.tunCsum;
    if (spec.upperThreshold > 0 && spec.lowerThreshold > spec.upperThreshold)
      sink.error(at(r, 'lowerThreshold'), 'bad-value', `lthreshold ${spec.lowerThreshold} is above uthreshold ${spec.upperThreshold}; lower it.`);
    checkPorts(spec, head, r.pos, 'real server', sink);
    if (!head.group && head.keys[0]) spec.port = destPort(spec, head.keys[0]);
    dests.push(spec);
    scriptsOf(realServerTable, r, ['notifyUp', 'notifyDown'], uses);
    const checkers: CheckerSpec[] = [];
    for (const c of fieldsOf(realServerTable, r).checkers ?? []) checkers.push(...buildCheckers(c, spec.port, sink, uses));
    const hr: HealthRealServerSpec = { address: spec.address, port: spec.port, weight, checkers, where: posString(r.pos) };
    copy(realServerTable, hr as unknown as Record<string, unknown>, r, [
      'inhibitOnFailure',
      'alpha',
      'retry',
      'delayBeforeRetryMs',
      'delayLoopMs',
      'warmupMs',
      'connectTimeoutMs',
      'virtualhost',
      'smtpAlert',
    ]);
    const up = scriptSpec(fieldsOf(realServerTable, r).notifyUp);
    if (up) hr.notifyUp = up;
    const down = scriptSpec(fieldsOf(realServerTable, r).notifyDown);
    if (down) hr.notifyDown = down;
    healthRs.push(hr);
  }
  return { dests, healthRs, family, missingForward };
}

/** `sorry_server` and `sorry_server_inhibit` into `health`; true when the sorry server has no forwarding method. */
function addSorryServer(
  raw: RawBlock,
  head: Head,
  keys: ServiceKey[],
  family: Family,
  vsForward: ForwardingValue | undefined,
  health: HealthServiceSpec,
  healthRs: HealthRealServerSpec[],
  sink: DiagnosticSink,
): boolean {
  let missingForward = false;
  const sorryWords = fieldsOf(virtualServerTable, raw).sorryServer;
  if (sorryWords) {
    const s = serverAddr(sorryWords, at(raw, 'sorryServer'), sink, 'sorry_server');
    const sfwd = fieldsOf(virtualServerTable, raw).sorryServerForwarding ?? vsForward;
    if (!sfwd) missingForward = true;
    const forward = (sfwd ?? { forward: 'nat' as const }).forward;
    if (s && forward !== 'tun' && s.family !== family)
      sink.error(at(raw, 'sorryServer'), 'family-mismatch', `sorry_server ${s.address} is not the virtual server's address family; keepalived skips it.`);
    else if (s) {
      const spec: RealServerSpec = { address: s.address, port: s.port, forward, weight: 1, upperThreshold: 0, lowerThreshold: 0 };
      checkPorts(spec, head, at(raw, 'sorryServer'), 'sorry server', sink);
      const port = !head.group && keys[0] ? destPort(spec, keys[0]) : s.port;
      health.sorryServer = { address: s.address, port, forward: forward as 'dr' | 'nat' | 'tun' };
      const inhibit = fieldsOf(virtualServerTable, raw).sorryServerInhibit ?? false;
      const same = healthRs.find((r) => r.address === s.address && r.port === port);
      if (same && (same.inhibitOnFailure ?? health.inhibitOnFailure ?? false) !== inhibit) {
        sink.error(
          at(raw, 'sorryServer'),
          'sorry-inhibit-mismatch',
          `sorry_server ${s.address}:${port} is also a real_server but their inhibit settings differ; keepalived makes them equal — set sorry_server_inhibit to match inhibit_on_failure.`,
        );
      }
    }
    if (fieldsOf(virtualServerTable, raw).sorryServerInhibit) health.sorryServerInhibit = true;
  } else if (fieldsOf(virtualServerTable, raw).sorryServerInhibit)
    sink.error(at(raw, 'sorryServerInhibit'), 'no-sorry-server', "'sorry_server_inhibit' without a sorry_server; add the sorry_server or remove it.");
  return missingForward;
}

/** keepalived's port rules for DR/TUN servers (they cannot change the port; fwmark services have none). */
function checkPorts(rs: RealServerSpec, head: Head, pos: Pos, what: string, sink: DiagnosticSink): void {
  if (rs.forward === 'nat' || rs.port === 0) return;
  if (head.group) {
    if (head.hasFwmark)
      sink.error(
        pos,
        'port-ignored',
        `${what} ${rs.address} has port ${rs.port}, which is ignored for the group's firewall marks (${rs.forward.toUpperCase()} cannot change ports).`,
      );
    for (const k of head.keys) {
      if (k.kind === 'addr' && k.port !== rs.port) {
        sink.error(
          pos,
          'port-mismatch',
          `${what} ${rs.address} port ${rs.port} does not match group member ${k.address} port ${k.port}; ${rs.forward.toUpperCase()} cannot change ports — drop the port or use NAT.`,
        );
        return;
      }
    }
    return;
  }
  const key = head.keys[0]!;
  if (key.kind === 'fwmark')
    sink.error(
      pos,
      'port-ignored',
      `${what} ${rs.address} has port ${rs.port}, which a firewall-mark service ignores with ${rs.forward.toUpperCase()}; keepalived clears it.`,
    );
  else if (key.port !== rs.port)
    sink.error(
      pos,
      'port-mismatch',
      `${what} ${rs.address} port ${rs.port} differs from the virtual server's port ${key.port}; ${rs.forward.toUpperCase()} cannot change ports, so keepalived resets it to ${key.port} — use NAT for port mapping.`,
    );
}
