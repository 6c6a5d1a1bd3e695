/**
 * Applies ipvsadm commands to an IpvsRules value immutably, with the validation ipvsadm and the
 * kernel (ip_vs_ctl.c) perform and their messages (libipvs ipvs_strerror). On error an
 * IpvsadmError is thrown and nothing is applied: the input value is never modified.
 */
import { DEFAULT_TIMEOUTS, type IpvsRules, type RealServerSpec, type ServiceKey, type VirtualServiceSpec } from './types.js';
import type { IpvsCommand, ServiceAttrs } from './command-types.js';
import { MAX_TIMEOUT_S } from './command.js';
import { kernelFail, usageFail } from './errors.js';
import { canonicalAddress, ipv4Pton, ipv6Pton } from './inet.js';
import { checkSchedFlags, isSchedulerName } from './schedulers.js';

/** strerror(ERANGE), what ipvsadm prints for a weight or threshold the kernel rejects. */
export const ERANGE_MESSAGE = 'Numerical result out of range';
/** ipvs_strerror(EINVAL). */
export const EINVAL_MESSAGE = 'Invalid operation.  Possibly wrong module version, address not unicast, ...';
/** ipvs_strerror(ENOMEM). */
export const ENOMEM_MESSAGE = 'Memory allocation problem';
/** Persistence engines the kernel knows (ip_vs_pe_sip). */
export const PERSISTENCE_ENGINES: readonly string[] = ['sip'];

/** Limits that stand in for kernel memory: exceeding them fails with "Memory allocation problem". */
export interface RuleLimits {
  maxServices?: number;
  maxDestsPerService?: number;
}

/** An empty rule set with the kernel's default timeouts. */
export function emptyRules(): IpvsRules {
  return { services: [], timeouts: { ...DEFAULT_TIMEOUTS } };
}

/** True when two service keys name the same virtual service. */
export function sameServiceKey(a: ServiceKey, b: ServiceKey): boolean {
  if (a.kind === 'fwmark' || b.kind === 'fwmark') {
    return a.kind === 'fwmark' && b.kind === 'fwmark' && a.fwmark === b.fwmark && a.family === b.family;
  }
  return a.protocol === b.protocol && a.family === b.family && a.port === b.port && sameAddress(a.address, b.address);
}

function sameAddress(a: string, b: string): boolean {
  if (a === b) return true;
  const ca = canonicalAddress(a);
  const cb = canonicalAddress(b);
  return !!ca && !!cb && ca.family === cb.family && ca.address === cb.address;
}

/** Index of a service in the rules, or -1. */
export function findService(rules: IpvsRules, key: ServiceKey): number {
  return rules.services.findIndex((s) => sameServiceKey(s.key, key));
}

function findDest(svc: VirtualServiceSpec, address: string, port: number): number {
  return svc.realServers.findIndex((d) => d.port === port && sameAddress(d.address, address));
}

/** Kernel checks of a service's attributes (ip_vs_add_service / ip_vs_edit_service), plus ipvsadm's. */
function checkServiceAttrs(s: ServiceAttrs): void {
  const k = s.key;
  if (k.kind === 'addr') {
    if (!canonicalAddress(k.address)) usageFail('illegal virtual server address[:port] specified');
    if (!Number.isInteger(k.port) || k.port < 0 || k.port > 65535) usageFail('illegal virtual server address[:port] specified');
    if (!k.port && !s.persistenceTimeoutS) usageFail('Zero port specified for non-persistent service');
    if (s.onePacket && k.protocol !== 'udp') usageFail('One-Packet Scheduling is only for UDP virtual services');
  } else if (!Number.isInteger(k.fwmark) || k.fwmark <= 0 || k.fwmark > 0xffffffff) {
    usageFail(`invalid fwmark value \`${k.fwmark}' specified`);
  }
  if (s.persistenceTimeoutS !== 0 && (!Number.isInteger(s.persistenceTimeoutS) || s.persistenceTimeoutS < 1 || s.persistenceTimeoutS > MAX_TIMEOUT_S)) {
    usageFail(`invalid timeout value \`${s.persistenceTimeoutS}' specified`);
  }
  if (k.family === 6) {
    const n = Number(s.netmask);
    if (!/^\d+$/.test(s.netmask) || n < 1 || n > 128) usageFail('illegal ipv6 netmask specified');
  } else if (ipv4Pton(s.netmask) === null) {
    usageFail('illegal virtual server persistent mask specified');
  }
  const bad = checkSchedFlags(s.scheduler, s.schedFlags);
  if (bad) usageFail(bad);
}

/** The kernel's scheduler / persistence-engine lookup (ENOENT). */
function checkSchedulerExists(s: ServiceAttrs): void {
  if (!isSchedulerName(s.scheduler)) kernelFail('Scheduler or persistence engine not found', 'ENOENT');
  if (s.persistenceEngine && !PERSISTENCE_ENGINES.includes(s.persistenceEngine)) kernelFail('Scheduler or persistence engine not found', 'ENOENT');
}

/** ipvsadm's own checks of a real server argument (exit 2). */
function checkDestArgs(svcFamily: 4 | 6, d: RealServerSpec): void {
  const c = canonicalAddress(d.address);
  if (!c) usageFail('illegal real server address[:port] specified');
  if (!Number.isInteger(d.port) || d.port < 0 || d.port > 65535) usageFail('illegal real server address[:port] specified');
  if (c.family !== svcFamily && d.forward !== 'tun') usageFail('Different address family is allowed only for tunneling servers');
}

/** ip_vs_add_dest / ip_vs_edit_dest range checks (ERANGE), done before the dest lookup. */
function checkDestRanges(d: RealServerSpec): void {
  if (!Number.isInteger(d.weight) || d.weight < 0 || d.weight > 2147483647) kernelFail(ERANGE_MESSAGE, 'ERANGE');
  for (const t of [d.upperThreshold, d.lowerThreshold]) if (!Number.isInteger(t) || t < 0 || t > 2147483647) kernelFail(ERANGE_MESSAGE, 'ERANGE');
  if (d.lowerThreshold > d.upperThreshold) kernelFail(ERANGE_MESSAGE, 'ERANGE'); // "lower threshold is higher than upper threshold"
}

/** ip_vs_new_dest's address-type check (EINVAL) and the gue port requirement. */
function checkDestAddress(d: RealServerSpec): void {
  const c = canonicalAddress(d.address)!;
  if (c.family === 4) {
    const v = ipv4Pton(c.address)!;
    if (v >>> 24 === 0 || v === 0xffffffff || v >>> 28 === 0xe) kernelFail(EINVAL_MESSAGE, 'EINVAL'); // not RTN_UNICAST/RTN_LOCAL
  } else {
    const g = ipv6Pton(c.address)!;
    if (g[0]! >>> 8 === 0xff || g.every((x) => x === 0)) kernelFail(EINVAL_MESSAGE, 'EINVAL');
  }
  if (d.forward === 'tun' && d.tunType === 'gue' && !d.tunPort) kernelFail(EINVAL_MESSAGE, 'EINVAL');
}

function canonicalKey(k: ServiceKey): ServiceKey {
  return k.kind === 'addr' ? { ...k, address: canonicalAddress(k.address)!.address } : { ...k };
}

/**
 * Applies one command and returns the new rules (the same object when the command changes
 * nothing: list, save, zero, help, ...). Throws IpvsadmError with ipvsadm's message on error.
 */
export function applyCommand(rules: IpvsRules, cmd: IpvsCommand, limits: RuleLimits = {}): IpvsRules {
  switch (cmd.kind) {
    case 'add-service': {
      checkServiceAttrs(cmd.service);
      if (findService(rules, cmd.service.key) >= 0) kernelFail('Service already exists', 'EEXIST');
      checkSchedulerExists(cmd.service);
      if (limits.maxServices !== undefined && rules.services.length >= limits.maxServices) kernelFail(ENOMEM_MESSAGE, 'ENOMEM');
      const svc: VirtualServiceSpec = { ...cmd.service, key: canonicalKey(cmd.service.key), schedFlags: [...cmd.service.schedFlags], realServers: [] };
      return { ...rules, services: [...rules.services, svc] };
    }
    case 'edit-service': {
      checkServiceAttrs(cmd.service);
      const i = findService(rules, cmd.service.key);
      if (i < 0) kernelFail('No such service', 'ESRCH');
      checkSchedulerExists(cmd.service);
      const old = rules.services[i]!;
      const svc: VirtualServiceSpec = { ...cmd.service, key: old.key, schedFlags: [...cmd.service.schedFlags], realServers: old.realServers };
      return { ...rules, services: rules.services.map((s, j) => (j === i ? svc : s)) };
    }
    case 'delete-service': {
      const i = findService(rules, cmd.key);
      if (i < 0) kernelFail('No such service', 'ESRCH');
      return { ...rules, services: rules.services.filter((_, j) => j !== i) };
    }
    case 'add-server':
    case 'edit-server': {
      checkDestArgs(cmd.key.family, cmd.server);
      const i = findService(rules, cmd.key);
      if (i < 0) kernelFail('Service not defined', 'ESRCH');
      const svc = rules.services[i]!;
      checkDestRanges(cmd.server);
      const server: RealServerSpec = { ...cmd.server, address: canonicalAddress(cmd.server.address)!.address };
      const di = findDest(svc, server.address, server.port);
      let realServers: RealServerSpec[];
      if (cmd.kind === 'add-server') {
        if (di >= 0) kernelFail('Destination already exists', 'EEXIST');
        checkDestAddress(server);
        if (limits.maxDestsPerService !== undefined && svc.realServers.length >= limits.maxDestsPerService) kernelFail(ENOMEM_MESSAGE, 'ENOMEM');
        realServers = [...svc.realServers, server];
      } else {
        if (di < 0) kernelFail('No such destination', 'ENOENT');
        realServers = svc.realServers.map((d, j) => (j === di ? server : d));
      }
      return { ...rules, services: rules.services.map((s, j) => (j === i ? { ...svc, realServers } : s)) };
    }
    case 'delete-server': {
      const i = findService(rules, cmd.key);
      if (i < 0) kernelFail('Service not defined', 'ESRCH');
      const svc = rules.services[i]!;
      const di = findDest(svc, cmd.address, cmd.port);
      if (di < 0) kernelFail('No such destination', 'ENOENT');
      const realServers = svc.realServers.filter((_, j) => j !== di);
      return { ...rules, services: rules.services.map((s, j) => (j === i ? { ...svc, realServers } : s)) };
    }
    case 'flush':
      return { ...rules, services: [] };
    case 'zero':
      if (cmd.key && findService(rules, cmd.key) < 0) kernelFail('No such service', 'ESRCH');
      return rules;
    case 'set-timeouts': {
      const t = cmd.timeouts;
      for (const v of [t.tcpS, t.tcpFinS, t.udpS]) {
        if (!Number.isInteger(v) || v < 0 || v > MAX_TIMEOUT_S) usageFail(`invalid timeout value \`${v}' specified`);
      }
      return {
        ...rules,
        timeouts: {
          tcpS: t.tcpS || rules.timeouts.tcpS,
          tcpFinS: t.tcpFinS || rules.timeouts.tcpFinS,
          udpS: t.udpS || rules.timeouts.udpS,
        },
      };
    }
    default:
      return rules;
  }
}

/** Applies commands in order, all or nothing: the first error throws and no change is kept. */
export function applyCommands(rules: IpvsRules, cmds: readonly IpvsCommand[], limits: RuleLimits = {}): IpvsRules {
  let r = rules;
  for (const c of cmds) r = applyCommand(r, c, limits);
  return r;
}
