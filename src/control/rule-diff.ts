/**
 * The reload diff (keepalived's clear_diff_services / clear_diff_rs in check/ipwrapper.c): from the
 * rules the old configuration wanted to the rules the new one wants, the smallest list of changes.
 * Services and real servers present in both are kept (edited in place when a parameter changed), so
 * their connections and checker state survive. Rules added with ulvsadm are never in either list,
 * so they are left alone.
 */
import type { RealServerSpec, VirtualServiceSpec } from '../ipvs/types.js';
import { IpvsadmError } from '../ipvs/errors.js';
import { serviceKeyText } from '../ipvs/service-key.js';
import type { RuleOp, RuleTable } from './rule-table.js';
import { addrPortText } from '../ipvs/service-key.js';

function sameService(a: VirtualServiceSpec, b: VirtualServiceSpec): boolean {
  return (
    a.scheduler === b.scheduler &&
    a.schedFlags.join(',') === b.schedFlags.join(',') &&
    a.persistenceTimeoutS === b.persistenceTimeoutS &&
    a.netmask === b.netmask &&
    a.onePacket === b.onePacket &&
    a.persistenceEngine === b.persistenceEngine
  );
}

function sameDest(a: RealServerSpec, b: RealServerSpec): boolean {
  return (
    a.forward === b.forward &&
    a.weight === b.weight &&
    a.upperThreshold === b.upperThreshold &&
    a.lowerThreshold === b.lowerThreshold &&
    (a.tunType ?? '') === (b.tunType ?? '') &&
    (a.tunPort ?? 0) === (b.tunPort ?? 0) &&
    (a.tunCsum ?? '') === (b.tunCsum ?? '')
  );
}

function destId(d: { address: string; port: number }): string {
  return `${d.address}|${d.port}`;
}

function withoutDests(s: VirtualServiceSpec): Omit<VirtualServiceSpec, 'realServers'> {
  const { realServers: _drop, ...rest } = s;
  return rest;
}

/** The changes that turn the `prev` wanted services into the `next` ones (deletions first). */
export function diffServices(prev: VirtualServiceSpec[], next: VirtualServiceSpec[]): RuleOp[] {
  const ops: RuleOp[] = [];
  const prevById = new Map(prev.map((s) => [serviceKeyText(s.key), s]));
  const nextById = new Map(next.map((s) => [serviceKeyText(s.key), s]));
  for (const [id, s] of prevById) if (!nextById.has(id)) ops.push({ kind: 'delete-service', key: s.key });
  for (const [id, n] of nextById) {
    const p = prevById.get(id);
    if (!p) {
      ops.push({ kind: 'add-service', service: withoutDests(n) });
      for (const d of n.realServers) ops.push({ kind: 'add-server', key: n.key, server: d });
      continue;
    }
    if (!sameService(p, n)) ops.push({ kind: 'edit-service', service: withoutDests(n) });
    const pd = new Map(p.realServers.map((d) => [destId(d), d]));
    const nd = new Map(n.realServers.map((d) => [destId(d), d]));
    for (const [k, d] of pd) if (!nd.has(k)) ops.push({ kind: 'delete-server', key: n.key, address: d.address, port: d.port });
    for (const [k, d] of nd) {
      const old = pd.get(k);
      if (!old) ops.push({ kind: 'add-server', key: n.key, server: d });
      else if (!sameDest(old, d)) ops.push({ kind: 'edit-server', key: n.key, server: d });
    }
  }
  return ops;
}

/**
 * The changes that bring the table's copies of the wanted services back to what is wanted, whatever
 * ulvsadm did to them (deleted, flushed, edited, extra real servers). Services not wanted (added with
 * ulvsadm) are left alone.
 */
export function driftOps(actual: VirtualServiceSpec[], wanted: VirtualServiceSpec[]): RuleOp[] {
  const ids = new Set(wanted.map((s) => serviceKeyText(s.key)));
  return diffServices(
    actual.filter((s) => ids.has(serviceKeyText(s.key))),
    wanted,
  );
}

/** Result of applying config-driven changes. */
export interface ApplyReport {
  applied: number;
  /** Changes that failed for a reason other than "already so" (text for the log). */
  failed: string[];
}

/**
 * Applies config-driven changes the way keepalived does over a kernel that ipvsadm may also have
 * changed: adding what already exists becomes an edit, deleting what is already gone is a no-op.
 */
export function applyConfigOps(table: RuleTable, ops: RuleOp[]): ApplyReport {
  const report: ApplyReport = { applied: 0, failed: [] };
  for (const o of ops) {
    try {
      table.apply(o);
      report.applied++;
    } catch (e) {
      if (!(e instanceof IpvsadmError)) throw e;
      let err: IpvsadmError = e;
      try {
        if (o.kind === 'add-service' && e.errno === 'EEXIST') {
          table.apply({ kind: 'edit-service', service: o.service });
          report.applied++;
          continue;
        }
        if (o.kind === 'add-server' && e.errno === 'EEXIST') {
          table.apply({ kind: 'edit-server', key: o.key, server: o.server });
          report.applied++;
          continue;
        }
        if (o.kind === 'edit-server' && e.errno === 'ENOENT') {
          table.apply({ kind: 'add-server', key: o.key, server: o.server });
          report.applied++;
          continue;
        }
        if ((o.kind === 'delete-service' || o.kind === 'delete-server') && (e.errno === 'ESRCH' || e.errno === 'ENOENT')) continue;
      } catch (e2) {
        if (!(e2 instanceof IpvsadmError)) throw e2;
        err = e2;
      }
      report.failed.push(`${opName(o)} ${opTarget(o)}: ${err.message}`);
    }
  }
  return report;
}

/** The short names reload reports and logs use for rule changes. */
const OP_NAMES: Record<RuleOp['kind'], string> = {
  'add-service': 'add-service',
  'edit-service': 'edit-service',
  'delete-service': 'del-service',
  'add-server': 'add-dest',
  'edit-server': 'edit-dest',
  'delete-server': 'del-dest',
  flush: 'flush',
  zero: 'zero',
  'set-timeouts': 'set-timeouts',
};

/** A rule change's short name: add-service, del-service, add-dest, edit-dest, del-dest, ... */
export function opName(o: RuleOp): string {
  return OP_NAMES[o.kind];
}

function opTarget(o: RuleOp): string {
  if ('service' in o) return serviceKeyText(o.service.key);
  if ('key' in o && o.key)
    return (
      serviceKeyText(o.key) +
      ('server' in o ? ` -> ${addrPortText(o.server.address, o.server.port)}` : 'address' in o ? ` -> ${addrPortText(o.address, o.port)}` : '')
    );
  return '';
}

/** A rule change as reload reports and logs print it: "add-dest TCP [2001:db8::1]:80 -> [2001:db8::2]:80". */
export function describeOp(o: RuleOp): string {
  const target = opTarget(o);
  return target ? `${opName(o)} ${target}` : opName(o);
}
