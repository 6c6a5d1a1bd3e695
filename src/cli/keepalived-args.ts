/**
 * keepalived 2.2's command line (keepalived(8), `keepalived --help`), parsed into what `ulvs keepalived`
 * does with each option. Pure: argv in, options or a UsageError naming the flag out.
 */
import { parseArgs } from 'node:util';
import { UsageError, UserError } from './command.js';

/** The options of keepalived's command line, as ulvs acts on them. */
export interface KeepalivedArgs {
  /** -f: the configuration (default /etc/keepalived/keepalived.conf). */
  file: string;
  /** -P: VRRP only (no virtual servers, no checkers); -C: checkers and virtual servers only (no VRRP). */
  subsystems: 'all' | 'vrrp' | 'check';
  /** -B, --no_bfd: run no BFD sessions (track_bfd and BFD_CHECK then see every session down). */
  noBfd: boolean;
  /** -l: log to the console (stderr) as well; without it, with no -n, keepalived logs to syslog only. */
  logConsole: boolean;
  /** -D: detailed log messages. */
  logDetail: boolean;
  /** -S: syslog facility (0-7, local0-7, user, daemon). */
  logFacility: string;
  /** -G: no syslog. */
  noSyslog: boolean;
  /** -n: stay in the foreground (what every unit and container uses); without it ulvs forks into the background. */
  dontFork: boolean;
  /** -R: no supervisor restarts: an unclean death is cleaned up and ends the service. */
  dontRespawn: boolean;
  /** -V / -I: leave VRRP VIPs / the virtual servers' netfilter rules in place on stop. */
  dontReleaseVrrp: boolean;
  dontReleaseIpvs: boolean;
  /** -p: the parent's (supervisor's) pid file; -r and -c: the VRRP and checker children's (both the daemon's in ulvs). */
  pidFile: string;
  vrrpPidFile: string;
  checkersPidFile: string;
  /** -t [--config-test=FILE]: check the configuration and exit (report to FILE or stderr). */
  configTest: boolean;
  configTestLog?: string;
  /** -i: config id for `@id` conditional lines (default the host name). */
  configId?: string;
  /** -d: dump the configuration at start (to the log). */
  dumpConf: boolean;
  /** -u: umask for files ulvs creates. */
  umask?: number;
  /** -v, -h, --signum=NAME: print and exit. */
  version: boolean;
  help: boolean;
  signum?: string;
}

/** Options ulvs takes and ignores (they have no counterpart): each is named once in the log. */
export const IGNORED_OPTIONS = ['all', 'release-vips', 'address-monitoring', 'core-dump', 'core-dump-pattern', 'all-config', 'bfd_pid'] as const;

const REFUSED: Record<string, string> = {
  snmp: 'ulvs has no SNMP subagent (-x, --snmp): read its Prometheus metrics on /metrics instead',
  'snmp-agent-socket': 'ulvs has no SNMP subagent (-A, --snmp-agent-socket): read its Prometheus metrics on /metrics instead',
  namespace: "ulvs does not switch network namespaces itself (-s, --namespace): run it as 'ip netns exec NAME ulvs keepalived ...'",
  genhash: 'ulvs has no genhash mode (-T, --genhash): use genhash from the keepalived package',
};

const OPTIONS = {
  'use-file': { type: 'string', short: 'f' },
  vrrp: { type: 'boolean', short: 'P' },
  check: { type: 'boolean', short: 'C' },
  no_bfd: { type: 'boolean', short: 'B' },
  all: { type: 'boolean' },
  'log-console': { type: 'boolean', short: 'l' },
  'log-detail': { type: 'boolean', short: 'D' },
  'log-facility': { type: 'string', short: 'S' },
  'no-syslog': { type: 'boolean', short: 'G' },
  umask: { type: 'string', short: 'u' },
  'release-vips': { type: 'boolean', short: 'X' },
  'dont-release-vrrp': { type: 'boolean', short: 'V' },
  'dont-release-ipvs': { type: 'boolean', short: 'I' },
  'dont-respawn': { type: 'boolean', short: 'R' },
  'dont-fork': { type: 'boolean', short: 'n' },
  'dump-conf': { type: 'boolean', short: 'd' },
  pid: { type: 'string', short: 'p' },
  vrrp_pid: { type: 'string', short: 'r' },
  genhash: { type: 'boolean', short: 'T' },
  checkers_pid: { type: 'string', short: 'c' },
  'address-monitoring': { type: 'boolean', short: 'a' },
  bfd_pid: { type: 'string', short: 'b' },
  snmp: { type: 'boolean', short: 'x' },
  'snmp-agent-socket': { type: 'string', short: 'A' },
  namespace: { type: 'string', short: 's' },
  'core-dump': { type: 'boolean', short: 'm' },
  'core-dump-pattern': { type: 'string', short: 'M' },
  'all-config': { type: 'boolean', short: 'e' },
  'config-id': { type: 'string', short: 'i' },
  signum: { type: 'string' },
  'config-test': { type: 'boolean', short: 't' },
  version: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

const FACILITY = /^([0-7]|local[0-7]|user|daemon)$/;

/** Parses keepalived's argv; throws UsageError naming the unknown, refused or conflicting flag. */
export function parseKeepalivedArgs(argv: string[]): KeepalivedArgs {
  // --config-test takes an optional =FILE, which parseArgs cannot express: split it off first.
  let configTestLog: string | undefined;
  const args = argv.map((a) => {
    const m = /^--config-test=(.+)$/.exec(a);
    if (m) {
      configTestLog = m[1];
      return '--config-test';
    }
    return a;
  });
  let v: Record<string, string | boolean | undefined>;
  try {
    v = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }).values as typeof v;
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  for (const [k, why] of Object.entries(REFUSED)) if (v[k] !== undefined) throw new UserError(why, 2);
  if (v.vrrp && v.check) throw new UsageError('-P (--vrrp) and -C (--check) conflict: give one, or neither to run both');
  const facility = (v['log-facility'] as string | undefined) ?? 'daemon';
  if (!FACILITY.test(facility)) throw new UsageError(`-S (--log-facility) takes 0-7, local0-7, user or daemon, not '${facility}'`);
  let umask: number | undefined;
  if (v.umask !== undefined) {
    umask = Number.parseInt(v.umask as string, /^0x/i.test(v.umask as string) ? 16 : /^0/.test(v.umask as string) ? 8 : 10);
    if (!Number.isInteger(umask) || umask < 0 || umask > 0o777) throw new UsageError(`-u (--umask) takes a numeric mask such as 0177, not '${v.umask}'`);
  }
  return {
    file: (v['use-file'] as string | undefined) ?? '/etc/keepalived/keepalived.conf',
    subsystems: v.vrrp ? 'vrrp' : v.check ? 'check' : 'all',
    noBfd: !!v.no_bfd,
    logConsole: !!v['log-console'],
    logDetail: !!v['log-detail'],
    logFacility: facility,
    noSyslog: !!v['no-syslog'],
    dontFork: !!v['dont-fork'],
    dontRespawn: !!v['dont-respawn'],
    dontReleaseVrrp: !!v['dont-release-vrrp'],
    dontReleaseIpvs: !!v['dont-release-ipvs'],
    pidFile: (v.pid as string | undefined) ?? '/run/keepalived.pid',
    vrrpPidFile: (v.vrrp_pid as string | undefined) ?? '/run/vrrp.pid',
    checkersPidFile: (v.checkers_pid as string | undefined) ?? '/run/checkers.pid',
    configTest: !!v['config-test'],
    configTestLog,
    configId: v['config-id'] as string | undefined,
    dumpConf: !!v['dump-conf'],
    umask,
    version: !!v.version,
    help: !!v.help,
    signum: v.signum as string | undefined,
  };
}

/** The options given that ulvs accepts but has nothing to do for. */
export function ignoredGiven(argv: string[]): string[] {
  const short: Record<string, string> = { X: 'release-vips', a: 'address-monitoring', m: 'core-dump', M: 'core-dump-pattern', e: 'all-config', b: 'bfd_pid' };
  const out = new Set<string>();
  for (const a of argv) {
    const long = /^--([^=]+)/.exec(a)?.[1];
    if (long && (IGNORED_OPTIONS as readonly string[]).includes(long)) out.add(long);
    if (/^-[^-]/.test(a)) for (const c of a.slice(1)) if (short[c]) out.add(short[c]!);
  }
  return [...out];
}

/** Text of `ulvs keepalived --help`: keepalived's options and what ulvs does with each. */
export const KEEPALIVED_USAGE = `usage: ulvs keepalived [keepalived options]   (also installed as 'ulvs-keepalived')

keepalived 2.2's command line, for units and entrypoints that start keepalived: change the program name only.
  -f, --use-file=FILE          configuration (default /etc/keepalived/keepalived.conf)
  -P, --vrrp                   VRRP only: no virtual servers, no checkers
  -C, --check                  virtual servers and checkers only: no VRRP
  -B, --no_bfd                 no BFD sessions (track_bfd instances stay FAULT, BFD_CHECK servers out)
  -l, --log-console            log to the console (stderr)
  -D, --log-detail             detailed log messages
  -S, --log-facility=F         syslog facility: 0-7, local0-7, user or daemon (default daemon)
  -G, --no-syslog              don't log via syslog
  -u, --umask=MASK             umask for files created
  -V, --dont-release-vrrp      leave VRRP VIPs in place on stop
  -I, --dont-release-ipvs      leave the virtual servers' rules in place on stop
  -R, --dont-respawn           don't restart the daemon after an unclean death (it is still cleaned up)
  -n, --dont-fork              stay in the foreground (without it: fork into the background)
  -d, --dump-conf              log the configuration at start
  -p, --pid=FILE               pid file of the supervisor (default /run/keepalived.pid)
  -r, --vrrp_pid=FILE          pid file of the daemon (default /run/vrrp.pid)
  -c, --checkers_pid=FILE      pid file of the daemon (default /run/checkers.pid)
  -i, --config-id=ID           config id for '@ID' lines (default the host name)
  -t, --config-test[=FILE]     check the configuration, report to stderr or FILE, exit 0 if it is valid
      --signum=NAME            print the number of signal STOP, RELOAD, DATA, STATS, STATS_CLEAR or JSON
  -v, --version                print the version
  -h, --help                   this text
accepted and ignored: --all -X -a -m -M -e -b.  refused: -x -A (SNMP; use /metrics), -s (use ip netns exec), -T.
signals: HUP reload, TERM stop, USR1 /tmp/keepalived.data, USR2 /tmp/keepalived.stats, 36 (JSON) /tmp/keepalived.json.`;
