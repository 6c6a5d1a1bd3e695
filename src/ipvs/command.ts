/**
 * ipvsadm's command line -> a typed command (ipvsadm.c parse_options + process_options checks),
 * with ipvsadm's messages and exit codes for every rejection. Host and port arguments are numeric
 * or /etc/services names; host names are not resolved (ulvs never does DNS on the rule path).
 */
import type { ForwardMethod, IpvsTimeouts, Protocol, RealServerSpec, ServiceKey, TunnelCsum, TunnelType } from './types.js';
import { IpvsadmError, tryHelp, usageFail } from './errors.js';
import { CMD_NAMES, type CmdName, genericOptCheck, optIndex, tokenize, tunnelOptCheck, type OptToken } from './command-options.js';
import { inetAton, ipv4Text } from './inet.js';
import { parseService, stringToNumber, type Endpoint } from './host-port.js';
import { DEFAULT_SCHEDULER, checkSchedFlags, schedFlagBits, schedFlagNames } from './schedulers.js';
import { emptyFormat, type IpvsCommand, type ListFormat } from './command-types.js';

/** MAX_TIMEOUT of ipvsadm.c: 31 days. */
export const MAX_TIMEOUT_S = 86400 * 31;
/** IPVS_SVC_PERSISTENT_TIMEOUT of libipvs.h: -p without a value (6 minutes). */
export const DEFAULT_PERSISTENT_TIMEOUT_S = 6 * 60;

const COMMAND_TAGS: Record<string, CmdName> = {
  A: 'add-service',
  E: 'edit-service',
  D: 'delete-service',
  a: 'add-server',
  e: 'edit-server',
  d: 'delete-server',
  C: 'flush',
  L: 'list',
  l: 'list',
  Z: 'zero',
  set: 'set',
  R: 'restore',
  S: 'save',
  'start-daemon': 'start-daemon',
  'stop-daemon': 'stop-daemon',
};

/** The command entry process_options fills in (ipvsadm.c), with its defaults. */
interface Entry {
  svcFamily: 4 | 6;
  protocol: Protocol | undefined;
  svcAddress: string;
  svcPort: number;
  fwmark: number;
  scheduler: string;
  persistent: boolean;
  timeoutS: number;
  netmask: string;
  onePacket: boolean;
  pe: string;
  schedFlagsArg: string;
  dest: Endpoint | undefined;
  forward: ForwardMethod;
  weight: number;
  uThreshold: number;
  lThreshold: number;
  tunType: TunnelType;
  tunPort: number;
  tunCsum: TunnelCsum | undefined;
}

/** An entry with process_options' defaults. */
function newEntry(): Entry {
  return {
    svcFamily: 4,
    protocol: undefined,
    svcAddress: '',
    svcPort: 0,
    fwmark: 0,
    scheduler: '',
    persistent: false,
    timeoutS: 0,
    netmask: '255.255.255.255',
    onePacket: false,
    pe: '',
    schedFlagsArg: '',
    dest: undefined,
    forward: 'dr',
    weight: 1,
    uThreshold: 0,
    lThreshold: 0,
    tunType: 'ipip',
    tunPort: 0,
    tunCsum: undefined,
  };
}

/** Applies one option to the entry, the list format or the sync daemon's options; `set` refuses a repeated option. */
function applyOption(o: OptToken, e: Entry, format: ListFormat, daemonOpts: Record<string, string>, set: (name: Parameters<typeof optIndex>[0]) => void): void {
  const v = o.value ?? '';
  switch (o.tag) {
    case 't':
    case 'u':
    case 'sctp-service': {
      set('service-address');
      e.protocol = o.tag === 't' ? 'tcp' : o.tag === 'u' ? 'udp' : 'sctp';
      const ep = parseService(v, e.protocol);
      if (!ep) usageFail('illegal virtual server address[:port] specified');
      e.svcFamily = ep.family;
      e.svcAddress = ep.address;
      if (ep.hasPort) e.svcPort = ep.port;
      if (ep.family === 6) e.netmask = '128';
      break;
    }
    case 'f': {
      set('service-address');
      e.svcFamily = 4;
      e.protocol = 'tcp';
      if (!/^\s*[+-]?\d+$/.test(v) || Number(v) <= 0 || Number(v) > 0xffffffff) usageFail(`invalid fwmark value \`${v}' specified`);
      e.fwmark = Number(v);
      break;
    }
    case 's':
      set('scheduler');
      e.scheduler = v.slice(0, 15);
      break;
    case 'p': {
      set('persistent');
      e.persistent = true;
      if (o.value === undefined) e.timeoutS = DEFAULT_PERSISTENT_TIMEOUT_S;
      else if ((e.timeoutS = stringToNumber(v, 1, MAX_TIMEOUT_S)) === -1) usageFail(`invalid timeout value \`${v}' specified`);
      break;
    }
    case 'M': {
      set('netmask');
      if (e.svcFamily !== 6) {
        const m = inetAton(v);
        if (m === null) usageFail('illegal virtual server persistent mask specified');
        e.netmask = ipv4Text(m);
      } else {
        const n = Number.parseInt(v, 10); // atoi
        const bits = Number.isNaN(n) ? 0 : n;
        if (bits < 1 || bits > 128) usageFail('illegal ipv6 netmask specified');
        e.netmask = String(bits);
      }
      break;
    }
    case 'r': {
      set('real-server');
      const ep = parseService(v, e.protocol);
      if (!ep) usageFail('illegal real server address[:port] specified');
      e.dest = ep.hasPort ? ep : { ...ep, port: e.svcPort };
      break;
    }
    case 'i':
    case 'g':
    case 'm':
      set('forwarding-method');
      e.forward = o.tag === 'i' ? 'tun' : o.tag === 'g' ? 'dr' : 'nat';
      break;
    case 'w':
      set('weight');
      if ((e.weight = stringToNumber(v, 0, 65535)) === -1) usageFail('illegal weight specified');
      break;
    case 'x':
      set('u-threshold');
      if ((e.uThreshold = stringToNumber(v, 0, 2147483647)) === -1) usageFail('illegal u_threshold specified');
      break;
    case 'y':
      set('l-threshold');
      if ((e.lThreshold = stringToNumber(v, 0, 2147483647)) === -1) usageFail('illegal l_threshold specified');
      break;
    case 'c':
      set('connection');
      format.connection = true;
      break;
    case 'n':
      set('numeric');
      format.numeric = true;
      break;
    case 'mcast-interface':
      set('mcast-interface');
      daemonOpts.mcastInterface = v;
      break;
    case 'syncid':
      set('syncid');
      if (stringToNumber(v, 0, 255) === -1) usageFail('illegal syncid specified');
      daemonOpts.syncid = v;
      break;
    case 'timeout':
      set('timeout');
      format.timeout = true;
      break;
    case 'daemon':
      set('daemon');
      format.daemon = true;
      break;
    case 'stats':
    case 'rate':
    case 'thresholds':
    case 'persistent-conn':
    case 'nosort':
    case 'tun-info': {
      set(o.tag);
      const key = (
        { stats: 'stats', rate: 'rate', thresholds: 'thresholds', 'persistent-conn': 'persistentConn', nosort: 'noSort', 'tun-info': 'tunInfo' } as const
      )[o.tag];
      format[key] = true;
      break;
    }
    case 'sort':
      break;
    case 'X':
      set('exact');
      format.exact = true;
      break;
    case '6':
      if (!e.fwmark) usageFail('-6 used before -f\n');
      e.svcFamily = 6;
      e.netmask = '128';
      break;
    case 'o':
      set('ops');
      e.onePacket = true;
      break;
    case 'pe':
      set('pe');
      e.pe = v.slice(0, 32);
      break;
    case 'b':
      set('sched-flags');
      e.schedFlagsArg = v.slice(0, 127);
      break;
    case 'mcast-group':
    case 'mcast-port':
    case 'mcast-ttl':
    case 'sync-maxlen': {
      set(o.tag);
      const range = { 'mcast-group': [0, 0], 'mcast-port': [1, 65535], 'mcast-ttl': [1, 255], 'sync-maxlen': [1, 65535 - 20 - 8] }[o.tag];
      if (o.tag !== 'mcast-group' && stringToNumber(v, range[0]!, range[1]!) === -1) usageFail(`illegal ${o.tag} specified`);
      daemonOpts[o.tag] = v;
      break;
    }
    case 'tun-type':
      set('tun-type');
      if (v !== 'ipip' && v !== 'gue' && v !== 'gre') usageFail('illegal tunnel type specified');
      e.tunType = v;
      break;
    case 'tun-port':
      set('tun-port');
      if ((e.tunPort = stringToNumber(v, 1, 65535)) === -1) usageFail('illegal tunnel port specified');
      break;
    case 'tun-nocsum':
    case 'tun-csum':
    case 'tun-remcsum':
      set(o.tag);
      e.tunCsum = o.tag === 'tun-nocsum' ? 'nocsum' : o.tag === 'tun-csum' ? 'csum' : 'remcsum';
      break;
    default:
      usageFail(`invalid option \`${o.text}'`);
  }
}

/**
 * Parses one ipvsadm command line (argv without the program name). Throws IpvsadmError with
 * ipvsadm's message and exit status; `program` names the tool in the "Try `... -h'" hint.
 * An empty argv is ipvsadm's bare "list everything".
 */
export function parseIpvsadmArgs(argv: readonly string[], program = 'ipvsadm'): IpvsCommand {
  if (argv.length === 0) return { kind: 'list', format: emptyFormat() };
  const { opts, args } = tokenize(argv, program);
  const first = opts[0];
  if (!first) tryHelp(program);
  if (first.tag === 'h') return { kind: 'help' };
  if (first.tag === 'v') return { kind: 'version' };
  const cmd = COMMAND_TAGS[first.tag];
  if (!cmd) tryHelp(program);
  let daemonState: 'master' | 'backup' | undefined;
  if (cmd === 'start-daemon' || cmd === 'stop-daemon') {
    if (first.value === 'master' || first.value === 'backup') daemonState = first.value;
    else usageFail(cmd === 'start-daemon' ? 'illegal start-daemon parameter specified' : 'illegal start_daemon specified');
  }

  const options = new Set<number>();
  const set = (name: Parameters<typeof optIndex>[0]): void => {
    const j = optIndex(name);
    if (options.has(j)) usageFail(`multiple '${name}' options specified`);
    options.add(j);
  };
  const format = emptyFormat();
  const e = newEntry();
  const daemonOpts: Record<string, string> = {};

  for (const o of opts.slice(1)) applyOption(o, e, format, daemonOpts, set);
  const {
    svcFamily,
    protocol,
    svcAddress,
    svcPort,
    fwmark,
    scheduler,
    persistent,
    timeoutS,
    netmask,
    onePacket,
    pe,
    schedFlagsArg,
    dest,
    forward,
    weight,
    uThreshold,
    lThreshold,
    tunType,
    tunPort,
    tunCsum,
  } = e;
  let timeouts: IpvsTimeouts | undefined;
  let rest = args;
  if (cmd === 'set') {
    if (args.length < 3) usageFail('--set option requires 3 timeout values');
    const t = args.slice(0, 3).map((a) => {
      const n = stringToNumber(a, 0, MAX_TIMEOUT_S);
      if (n === -1) usageFail(`invalid timeout value \`${a}' specified`);
      return n;
    });
    timeouts = { tcpS: t[0]!, tcpFinS: t[1]!, udpS: t[2]! };
    rest = args.slice(3);
  }
  if (rest.length > 0) usageFail(`unexpected argument ${rest[0]}`);

  let schedFlags: string[] = [];
  if (schedFlagsArg) {
    const names = schedFlagsArg.split(',').filter((f) => f !== '');
    const bad = checkSchedFlags(scheduler, names.length ? names : ['']);
    if (bad) usageFail(bad);
    schedFlags = names;
  }

  genericOptCheck(cmd, options);

  const key = (): ServiceKey =>
    fwmark ? { kind: 'fwmark', fwmark, family: svcFamily } : { kind: 'addr', protocol: protocol!, family: svcFamily, address: svcAddress, port: svcPort };

  switch (cmd) {
    case 'add-service':
    case 'edit-service': {
      if (!fwmark && !svcPort && !persistent) usageFail('Zero port specified for non-persistent service');
      if (onePacket && !fwmark && protocol !== 'udp') usageFail('One-Packet Scheduling is only for UDP virtual services');
      const sched = scheduler || DEFAULT_SCHEDULER;
      return {
        kind: cmd,
        service: {
          key: key(),
          scheduler: sched,
          schedFlags: schedFlagNames(sched, schedFlagBits(schedFlags)),
          persistenceTimeoutS: persistent ? timeoutS : 0,
          netmask,
          onePacket,
          persistenceEngine: pe,
        },
      };
    }
    case 'add-server':
    case 'edit-server': {
      const d = dest!;
      let port = d.port;
      if (!fwmark && (forward === 'tun' || forward === 'dr')) port = svcPort;
      if (d.family !== svcFamily && forward !== 'tun') usageFail('Different address family is allowed only for tunneling servers');
      const tunOpt = ['tun-type', 'tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum'].some((n) => options.has(optIndex(n as 'tun-type')));
      if (tunOpt && forward !== 'tun') usageFail('Tunnel options conflict with forward method');
      tunnelOptCheck(tunType, options);
      const server: RealServerSpec = { address: d.address, port, forward, weight, upperThreshold: uThreshold, lowerThreshold: lThreshold };
      if (forward === 'tun') {
        server.tunType = tunType;
        if (tunType === 'gue') server.tunPort = tunPort;
        if (tunType !== 'ipip') server.tunCsum = tunCsum ?? 'nocsum';
      }
      return { kind: cmd, key: key(), server };
    }
    case 'delete-server':
      return { kind: 'delete-server', key: key(), address: dest!.address, port: dest!.port };
    case 'delete-service':
      return { kind: 'delete-service', key: key() };
    case 'flush':
      return { kind: 'flush' };
    case 'zero':
      return options.has(optIndex('service-address')) ? { kind: 'zero', key: key() } : { kind: 'zero' };
    case 'set':
      return { kind: 'set-timeouts', timeouts: timeouts! };
    case 'list': {
      const conflict =
        ((format.connection || format.timeout || format.daemon) && (format.stats || format.rate || format.thresholds)) ||
        ((format.timeout || format.daemon) && format.persistentConn);
      if (conflict) usageFail('options conflicts in the list command');
      return options.has(optIndex('service-address')) ? { kind: 'list', key: key(), format } : { kind: 'list', format };
    }
    case 'save':
      return { kind: 'save', numeric: format.numeric };
    case 'restore':
      return { kind: 'restore' };
    case 'start-daemon':
    case 'stop-daemon':
      return { kind: cmd, state: daemonState!, options: daemonOpts };
  }
  throw new IpvsadmError(`unhandled command ${CMD_NAMES.indexOf(cmd)}`, 255);
}
