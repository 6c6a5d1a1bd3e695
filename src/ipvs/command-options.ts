/**
 * ipvsadm's option grammar: the popt option table of ipvsadm.c (long and short names, which take
 * an argument), a popt-like tokenizer (bundled short options "-Ln", attached values "-t1.2.3.4:80",
 * "--name=value", -p's optional argument) and the commands_v_options legality table with
 * generic_opt_check's messages.
 */
import { tryHelp, usageFail, IpvsadmError } from './errors.js';

/** How an option takes its value. */
type ArgKind = 'none' | 'string' | 'optional';

/** One entry of ipvsadm's popt table: long name, short letter, value kind, tag. */
interface OptSpec {
  long: string;
  short?: string;
  arg: ArgKind;
  tag: string;
}

/** ipvsadm.c's options_table, in its order. Tags are the short letter or the long name. */
export const OPTION_TABLE: readonly OptSpec[] = [
  { long: 'add-service', short: 'A', arg: 'none', tag: 'A' },
  { long: 'edit-service', short: 'E', arg: 'none', tag: 'E' },
  { long: 'delete-service', short: 'D', arg: 'none', tag: 'D' },
  { long: 'clear', short: 'C', arg: 'none', tag: 'C' },
  { long: 'list', short: 'L', arg: 'none', tag: 'L' },
  { long: 'list', short: 'l', arg: 'none', tag: 'l' },
  { long: 'zero', short: 'Z', arg: 'none', tag: 'Z' },
  { long: 'add-server', short: 'a', arg: 'none', tag: 'a' },
  { long: 'edit-server', short: 'e', arg: 'none', tag: 'e' },
  { long: 'delete-server', short: 'd', arg: 'none', tag: 'd' },
  { long: 'set', arg: 'none', tag: 'set' },
  { long: 'help', short: 'h', arg: 'none', tag: 'h' },
  { long: 'version', short: 'v', arg: 'none', tag: 'v' },
  { long: 'restore', short: 'R', arg: 'none', tag: 'R' },
  { long: 'save', short: 'S', arg: 'none', tag: 'S' },
  { long: 'start-daemon', arg: 'string', tag: 'start-daemon' },
  { long: 'stop-daemon', arg: 'string', tag: 'stop-daemon' },
  { long: 'tcp-service', short: 't', arg: 'string', tag: 't' },
  { long: 'udp-service', short: 'u', arg: 'string', tag: 'u' },
  { long: 'sctp-service', arg: 'string', tag: 'sctp-service' },
  { long: 'fwmark-service', short: 'f', arg: 'string', tag: 'f' },
  { long: 'scheduler', short: 's', arg: 'string', tag: 's' },
  { long: 'persistent', short: 'p', arg: 'optional', tag: 'p' },
  { long: 'netmask', short: 'M', arg: 'string', tag: 'M' },
  { long: 'real-server', short: 'r', arg: 'string', tag: 'r' },
  { long: 'masquerading', short: 'm', arg: 'none', tag: 'm' },
  { long: 'ipip', short: 'i', arg: 'none', tag: 'i' },
  { long: 'gatewaying', short: 'g', arg: 'none', tag: 'g' },
  { long: 'weight', short: 'w', arg: 'string', tag: 'w' },
  { long: 'u-threshold', short: 'x', arg: 'string', tag: 'x' },
  { long: 'l-threshold', short: 'y', arg: 'string', tag: 'y' },
  { long: 'numeric', short: 'n', arg: 'none', tag: 'n' },
  { long: 'connection', short: 'c', arg: 'none', tag: 'c' },
  { long: 'mcast-interface', arg: 'string', tag: 'mcast-interface' },
  { long: 'syncid', arg: 'string', tag: 'syncid' },
  { long: 'timeout', arg: 'none', tag: 'timeout' },
  { long: 'daemon', arg: 'none', tag: 'daemon' },
  { long: 'stats', arg: 'none', tag: 'stats' },
  { long: 'rate', arg: 'none', tag: 'rate' },
  { long: 'thresholds', arg: 'none', tag: 'thresholds' },
  { long: 'persistent-conn', arg: 'none', tag: 'persistent-conn' },
  { long: 'nosort', arg: 'none', tag: 'nosort' },
  { long: 'sort', arg: 'none', tag: 'sort' },
  { long: 'exact', short: 'X', arg: 'none', tag: 'X' },
  { long: 'ipv6', short: '6', arg: 'none', tag: '6' },
  { long: 'ops', short: 'o', arg: 'none', tag: 'o' },
  { long: 'pe', arg: 'string', tag: 'pe' },
  { long: 'sched-flags', short: 'b', arg: 'string', tag: 'b' },
  { long: 'mcast-group', arg: 'string', tag: 'mcast-group' },
  { long: 'mcast-port', arg: 'string', tag: 'mcast-port' },
  { long: 'mcast-ttl', arg: 'string', tag: 'mcast-ttl' },
  { long: 'sync-maxlen', arg: 'string', tag: 'sync-maxlen' },
  { long: 'tun-info', arg: 'none', tag: 'tun-info' },
  { long: 'tun-type', arg: 'string', tag: 'tun-type' },
  { long: 'tun-port', arg: 'string', tag: 'tun-port' },
  { long: 'tun-nocsum', arg: 'none', tag: 'tun-nocsum' },
  { long: 'tun-csum', arg: 'none', tag: 'tun-csum' },
  { long: 'tun-remcsum', arg: 'none', tag: 'tun-remcsum' },
];

/** One option occurrence: its tag, the text the user wrote, and its value (if any). */
export interface OptToken {
  tag: string;
  text: string;
  value?: string;
}

/** Splits argv (without the program name) into option tokens and leftover arguments, as popt does. */
export function tokenize(argv: readonly string[], program = 'ipvsadm'): { opts: OptToken[]; args: string[] } {
  const opts: OptToken[] = [];
  const args: string[] = [];
  const bad = (text: string, why: string): never => {
    // ipvsadm: fprintf(stderr, "%s: %s\n", poptBadOption(...), poptStrerror(c)); return -1
    if (opts.length === 0) tryHelp(program);
    throw new IpvsadmError(`${text}: ${why}`, 255);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const spec = OPTION_TABLE.find((o) => o.long === name);
      if (!spec) bad(a, 'unknown option');
      let value: string | undefined = eq < 0 ? undefined : a.slice(eq + 1);
      if (spec!.arg === 'none' && value !== undefined) bad(a, 'option does not take an argument');
      if (spec!.arg === 'string' && value === undefined) {
        if (i + 1 >= argv.length) bad(a, 'missing argument');
        value = argv[++i];
      }
      if (spec!.arg === 'optional' && value === undefined && i + 1 < argv.length && !argv[i + 1]!.startsWith('-')) {
        value = argv[++i];
      }
      opts.push({ tag: spec!.tag, text: a, value });
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let k = 1; k < a.length; k++) {
        const ch = a[k]!;
        const spec = OPTION_TABLE.find((o) => o.short === ch);
        if (!spec) bad(`-${ch}`, 'unknown option');
        const rest = a.slice(k + 1);
        if (spec!.arg === 'none') {
          opts.push({ tag: spec!.tag, text: `-${ch}` });
          continue;
        }
        let value: string | undefined = rest === '' ? undefined : rest;
        if (value === undefined) {
          if (spec!.arg === 'string') {
            if (i + 1 >= argv.length) bad(`-${ch}`, 'missing argument');
            value = argv[++i];
          } else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('-')) value = argv[++i];
        }
        opts.push({ tag: spec!.tag, text: `-${ch}`, value });
        break;
      }
      continue;
    }
    args.push(a);
  }
  return { opts, args };
}

/** ipvsadm's OPTC_* order and optnames[]. */
export const OPT_NAMES = [
  'numeric',
  'connection',
  'service-address',
  'scheduler',
  'persistent',
  'netmask',
  'real-server',
  'forwarding-method',
  'weight',
  'u-threshold',
  'l-threshold',
  'mcast-interface',
  'timeout',
  'daemon',
  'stats',
  'rate',
  'thresholds',
  'persistent-conn',
  'nosort',
  'syncid',
  'exact',
  'ops',
  'pe',
  'sched-flags',
  'mcast-group',
  'mcast-port',
  'mcast-ttl',
  'sync-maxlen',
  'tun-info',
  'tun-type',
  'tun-port',
  'tun-nocsum',
  'tun-csum',
  'tun-remcsum',
] as const;

/** An option index (OPTC_*) by its optnames[] name. */
export function optIndex(name: (typeof OPT_NAMES)[number]): number {
  return OPT_NAMES.indexOf(name);
}

/** ipvsadm's CMD_* order and cmdnames[]. */
export const CMD_NAMES = [
  'add-service',
  'edit-service',
  'delete-service',
  'flush',
  'list',
  'add-server',
  'delete-server',
  'edit-server',
  'set',
  'start-daemon',
  'stop-daemon',
  'restore',
  'save',
  'zero',
] as const;

/** An ipvsadm command name. */
export type CmdName = (typeof CMD_NAMES)[number];

const X34 = 'x'.repeat(34);
/** commands_v_options: '+' compulsory, 'x' illegal, '1' exclusive, '.' optional. */
const LEGAL: Record<CmdName, string> = {
  'add-service': 'xx+...' + 'x'.repeat(15) + '...' + 'x'.repeat(10),
  'edit-service': 'xx+...' + 'x'.repeat(15) + '...' + 'x'.repeat(10),
  'delete-service': 'xx+' + 'x'.repeat(31),
  flush: X34,
  list: '.11' + 'x'.repeat(9) + '11' + '.'.repeat(7) + 'x'.repeat(7) + '.' + 'x'.repeat(5),
  'add-server': 'xx+xxx+....' + 'x'.repeat(18) + '.....',
  'delete-server': 'xx+xxx+' + 'x'.repeat(27),
  'edit-server': 'xx+xxx+....' + 'x'.repeat(18) + '.....',
  set: X34,
  'start-daemon': 'x'.repeat(11) + '.' + 'x'.repeat(7) + '.' + 'x'.repeat(4) + '....' + 'x'.repeat(6),
  'stop-daemon': 'x'.repeat(19) + '.' + 'x'.repeat(14),
  restore: X34,
  save: '.' + 'x'.repeat(33),
  zero: 'xx.' + 'x'.repeat(31),
};

/** generic_opt_check: fails with ipvsadm's message when `options` (a set of OPTC indexes) is illegal. */
export function genericOptCheck(cmd: CmdName, options: ReadonlySet<number>): void {
  const row = LEGAL[cmd];
  let last = -1;
  for (let j = 0; j < OPT_NAMES.length; j++) {
    const rule = row[j];
    if (!options.has(j)) {
      if (rule === '+') usageFail(`You need to supply the '${OPT_NAMES[j]}' option for the '${cmd}' command`);
    } else {
      if (rule === 'x') usageFail(`Illegal '${OPT_NAMES[j]}' option with the '${cmd}' command`);
      if (rule === '1') {
        if (last < 0) {
          last = j;
          continue;
        }
        usageFail(`The option '${OPT_NAMES[j]}' conflicts with the '${OPT_NAMES[last]}' option in the '${cmd}' command`);
      }
    }
  }
}

/** tunnel_types_v_options for tun-port, tun-nocsum, tun-csum, tun-remcsum per tunnel type. */
const TUN_LEGAL: Record<'ipip' | 'gue' | 'gre', string> = { ipip: 'xxxx', gue: '+111', gre: 'x11x' };
const TUN_OPTS = ['tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum'] as const;

/** tunnel_opt_check: fails with ipvsadm's message when the tunnel options do not fit the type. */
export function tunnelOptCheck(type: 'ipip' | 'gue' | 'gre', options: ReadonlySet<number>): void {
  const row = TUN_LEGAL[type];
  let last = '';
  for (let j = 0; j < TUN_OPTS.length; j++) {
    const name = TUN_OPTS[j]!;
    const has = options.has(optIndex(name));
    if (!has) {
      if (row[j] === '+') usageFail(`You need to supply the '${name}' option for the '${type}' tunnel type`);
    } else {
      if (row[j] === 'x') usageFail(`Illegal '${name}' option with the '${type}' tunnel type`);
      if (row[j] === '1') {
        if (!last) {
          last = name;
          continue;
        }
        usageFail(`The option '${name}' conflicts with the '${last}' option in the '${type}' tunnel type`);
      }
    }
  }
}
