/**
 * The IPVS rule table of one daemon, with the kernel's semantics for each change (ip_vs_ctl.c:
 * ip_vs_add_service, ip_vs_edit_service, ip_vs_add_dest, …) and the errno each failure has, so
 * callers can print ipvsadm's message for it (libipvs ipvs_strerror). The config applier (reload,
 * health checks) and ulvsadm change this one table, as keepalived and ipvsadm share the kernel's.
 */
import { DEFAULT_TIMEOUTS, type IpvsRules, type IpvsTimeouts, type RealServerSpec, type ServiceKey, type VirtualServiceSpec } from '../ipvs/types.js';

/** The errno values the kernel returns for rule changes. */
export type IpvsErrno = 'EEXIST' | 'ESRCH' | 'ENOENT' | 'EINVAL' | 'ERANGE' | 'EPERM';

/** One rule change, as ipvsadm's commands and the config applier express them. */
export type RuleOp =
  | { op: 'add-service'; spec: Omit<VirtualServiceSpec, 'realServers'> }
  | { op: 'edit-service'; spec: Omit<VirtualServiceSpec, 'realServers'> }
  | { op: 'del-service'; key: ServiceKey }
  | { op: 'add-dest'; key: ServiceKey; dest: RealServerSpec }
  | { op: 'edit-dest'; key: ServiceKey; dest: RealServerSpec }
  | { op: 'del-dest'; key: ServiceKey; address: string; port: number }
  | { op: 'flush' }
  | { op: 'zero'; key?: ServiceKey }
  | { op: 'set-timeouts'; timeouts: IpvsTimeouts };

/** A failed rule change: errno plus ipvsadm's text for it. */
export class IpvsError extends Error {
  readonly code = 'ULVS_IPVS';
  constructor(readonly errno: IpvsErrno, message: string) {
    super(message);
  }
}

/** Schedulers ulvs implements, named as ipvsadm names them. */
export const SCHEDULERS: ReadonlySet<string> = new Set(['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'twos']);

/** libipvs ipvs_strerror: the message ipvsadm prints for errno after operation `op`. */
export function ipvsStrerror(op: RuleOp['op'], errno: IpvsErrno): string {
  const byOp: Record<string, Partial<Record<IpvsErrno, string>>> = {
    'add-service': { EEXIST: 'Service already exists', ENOENT: 'Scheduler or persistence engine not found' },
    'edit-service': { ESRCH: 'No such service', ENOENT: 'Scheduler or persistence engine not found' },
    'del-service': { ESRCH: 'No such service' },
    zero: { ESRCH: 'No such service' },
    'add-dest': { ESRCH: 'Service not defined', EEXIST: 'Destination already exists' },
    'edit-dest': { ESRCH: 'Service not defined', ENOENT: 'No such destination' },
    'del-dest': { ESRCH: 'Service not defined', ENOENT: 'No such destination' },
  };
  const generic: Record<IpvsErrno, string> = {
    EPERM: 'Permission denied (you must be root)',
    EINVAL: 'Invalid operation.  Possibly wrong module version, address not unicast, ...',
    ERANGE: 'Numerical result out of range',
    EEXIST: 'File exists',
    ESRCH: 'No such process',
    ENOENT: 'No such file or directory',
  };
  return byOp[op]?.[errno] ?? generic[errno];
}

/** A stable string for a service key (map key, log text). */
export function serviceKeyId(k: ServiceKey): string {
  return k.kind === 'fwmark' ? `FWM ${k.fwmark}${k.family === 6 ? ' IPv6' : ''}` : `${k.protocol.toUpperCase()} ${k.family === 6 ? `[${k.address}]` : k.address}:${k.port}`;
}

function destId(address: string, port: number): string {
  return `${address}|${port}`;
}

function fail(op: RuleOp['op'], errno: IpvsErrno): never {
  throw new IpvsError(errno, ipvsStrerror(op, errno));
}

function copyService(s: VirtualServiceSpec): VirtualServiceSpec {
  return { ...s, key: { ...s.key }, schedFlags: [...s.schedFlags], realServers: s.realServers.map((d) => ({ ...d })) };
}

/** The rule table: services in the order added, each with its real servers in the order added. */
export class RuleTable {
  private readonly services = new Map<string, VirtualServiceSpec>();
  private timeouts: IpvsTimeouts = { ...DEFAULT_TIMEOUTS };
  /** Bumped on every successful change that alters the rules (not on zero). */
  generation = 0;

  /** A deep copy of the rules (what -S prints and the data plane compiles). */
  rules(): IpvsRules {
    return { services: [...this.services.values()].map(copyService), timeouts: { ...this.timeouts } };
  }

  /** The service with this key, or undefined. */
  get(key: ServiceKey): VirtualServiceSpec | undefined {
    const s = this.services.get(serviceKeyId(key));
    return s && copyService(s);
  }

  /** Applies one change with the kernel's checks; throws IpvsError with ipvsadm's message on failure. */
  apply(o: RuleOp): void {
    switch (o.op) {
      case 'add-service': {
        const id = serviceKeyId(o.spec.key);
        if (this.services.has(id)) fail(o.op, 'EEXIST');
        this.checkService(o.op, o.spec);
        this.services.set(id, { ...copyService({ ...o.spec, realServers: [] }) });
        break;
      }
      case 'edit-service': {
        const cur = this.services.get(serviceKeyId(o.spec.key));
        if (!cur) fail(o.op, 'ESRCH');
        this.checkService(o.op, o.spec);
        Object.assign(cur, { scheduler: o.spec.scheduler, schedFlags: [...o.spec.schedFlags], persistenceTimeoutS: o.spec.persistenceTimeoutS, netmask: o.spec.netmask, onePacket: o.spec.onePacket, persistenceEngine: o.spec.persistenceEngine });
        break;
      }
      case 'del-service':
        if (!this.services.delete(serviceKeyId(o.key))) fail(o.op, 'ESRCH');
        break;
      case 'flush':
        this.services.clear();
        break;
      case 'add-dest': {
        const s = this.services.get(serviceKeyId(o.key));
        if (!s) fail(o.op, 'ESRCH');
        this.checkDest(o.op, o.dest);
        if (s.realServers.some((d) => destId(d.address, d.port) === destId(o.dest.address, o.dest.port))) fail(o.op, 'EEXIST');
        s.realServers.push({ ...o.dest });
        break;
      }
      case 'edit-dest': {
        const s = this.services.get(serviceKeyId(o.key));
        if (!s) fail(o.op, 'ESRCH');
        this.checkDest(o.op, o.dest);
        const i = s.realServers.findIndex((d) => destId(d.address, d.port) === destId(o.dest.address, o.dest.port));
        if (i < 0) fail(o.op, 'ENOENT');
        s.realServers[i] = { ...o.dest };
        break;
      }
      case 'del-dest': {
        const s = this.services.get(serviceKeyId(o.key));
        if (!s) fail(o.op, 'ESRCH');
        const i = s.realServers.findIndex((d) => destId(d.address, d.port) === destId(o.address, o.port));
        if (i < 0) fail(o.op, 'ENOENT');
        s.realServers.splice(i, 1);
        break;
      }
      case 'zero':
        if (o.key && !this.services.has(serviceKeyId(o.key))) fail(o.op, 'ESRCH');
        return;
      case 'set-timeouts': {
        // ip_vs_set_timeout: 0 leaves a timeout unchanged.
        const t = o.timeouts;
        if ([t.tcpS, t.tcpFinS, t.udpS].some((v) => !Number.isInteger(v) || v < 0 || v > 2147483)) fail(o.op, 'EINVAL');
        this.timeouts = { tcpS: t.tcpS || this.timeouts.tcpS, tcpFinS: t.tcpFinS || this.timeouts.tcpFinS, udpS: t.udpS || this.timeouts.udpS };
        break;
      }
    }
    this.generation++;
  }

  private checkService(op: RuleOp['op'], spec: Omit<VirtualServiceSpec, 'realServers'>): void {
    if (!SCHEDULERS.has(spec.scheduler)) fail(op, 'ENOENT');
    if (spec.persistenceEngine && spec.persistenceEngine !== 'sip') fail(op, 'ENOENT');
  }

  private checkDest(op: RuleOp['op'], d: RealServerSpec): void {
    // ip_vs_add_dest/ip_vs_edit_dest: weight >= 0 and l_threshold <= u_threshold, else -ERANGE.
    if (d.weight < 0) fail(op, 'ERANGE');
    if (d.lowerThreshold > d.upperThreshold) fail(op, 'ERANGE');
  }
}
