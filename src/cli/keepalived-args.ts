/**
 * keepalived 2.2's command line (keepalived(8), `keepalived --help`), parsed into what `ulvs keepalived`
 * does with each option. Pure: argv in, options or a UsageError naming the flag out.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './command.js';
import { normalizeGetopt, type GetoptOptions } from './getopt-long.js';

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
  /** -p: the parent's (supervisor's) pid file; -r and -c: the VRRP and checker children's (both the daemon's in ulvs); under -s in /run/keepalived/keepalived_NAME/. */
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
  /** -s: the network namespace to run the daemon in (the supervisor stays where it was started). */
  namespace?: string;
  /** -v, -h, --signum=NAME: print and exit. */
  version: boolean;
  help: boolean;
  signum?: string;
  /** One line for each option given that ulvs accepts but does otherwise (or not at all): what it does instead. */
  warnings: string[];
  /** The long names of the options given (after prefix expansion). */
  given: string[];
  /** The values of the extra options the caller added (ulvs run's own). */
  extra: Record<string, string | boolean | string[] | undefined>;
}

/** Options ulvs takes and has nothing to do for, with what ulvs does instead: each is named once in the log. */
const IGNORED: Record<string, string> = {
  all: '--all: ulvs has no child processes to force: ignored',
  'release-vips': '-X (--release-vips): ignored; ulvs removes the VIPs on a transition out of MASTER in any case',
  'address-monitoring': '-a (--address-monitoring): ignored; ulvs follows addresses with ip monitor for its own use only',
  'core-dump': '-m (--core-dump): ignored; set LimitCORE= in the unit (or ulimit -c) for Node core dumps',
  'core-dump-pattern': '-M (--core-dump-pattern): ignored; ulvs leaves /proc/sys/kernel/core_pattern alone',
  'all-config': '-e (--all-config): ignored; ulvs refuses to load a file set with a missing include in any case',
  bfd_pid: '-b (--bfd_pid): ignored; BFD runs inside the daemon, whose pid is in the -r and -c files',
  snmp: '-x (--snmp): ignored; ulvs has no SNMP subagent: read its Prometheus metrics on /metrics instead',
  'snmp-agent-socket': '-A (--snmp-agent-socket): ignored; ulvs has no SNMP subagent: read its Prometheus metrics on /metrics instead',
  'log-facility': '-S (--log-facility): ignored; ulvs logs to stdout/stderr (the journal under systemd), not to syslog',
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
  'core-dump-pattern': { type: 'boolean', short: 'M' },
  'all-config': { type: 'boolean', short: 'e' },
  'config-id': { type: 'string', short: 'i' },
  signum: { type: 'string' },
  'config-test': { type: 'boolean', short: 't' },
  version: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies GetoptOptions;

/** The options whose argument is optional (getopt's optional_argument): only `--x=V` or `-xV` give it. */
const OPTIONAL_ARG = ['config-test', 'core-dump-pattern'] as const;

const FACILITY = /^([0-7]|local[0-7]|user|daemon)$/;

/**
 * Parses keepalived's argv as getopt_long does (unique prefixes, attached optional arguments); `extra` adds
 * a caller's own options (their values come back in `extra`). Throws UsageError naming the flag.
 */
export function parseKeepalivedArgs(argv: string[], extra: GetoptOptions = {}): KeepalivedArgs {
  const options: GetoptOptions = { ...OPTIONS, ...extra };
  const { args, optional } = normalizeGetopt(argv, options, OPTIONAL_ARG);
  let v: Record<string, string | boolean | string[] | undefined>;
  try {
    v = parseArgs({ args, options, strict: true, allowPositionals: false }).values as typeof v;
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  const warnings = Object.keys(IGNORED)
    .filter((k) => v[k] !== undefined)
    .map((k) => IGNORED[k]!);
  if (v.vrrp && v.check) throw new UsageError('-P (--vrrp) and -C (--check) conflict: give one, or neither to run both');
  const facility = (v['log-facility'] as string | undefined) ?? 'daemon';
  if (!FACILITY.test(facility)) throw new UsageError(`-S (--log-facility) takes 0-7, local0-7, user or daemon, not '${facility}'`);
  let umask: number | undefined;
  if (v.umask !== undefined) {
    umask = Number.parseInt(v.umask as string, /^0x/i.test(v.umask as string) ? 16 : /^0/.test(v.umask as string) ? 8 : 10);
    if (!Number.isInteger(umask) || umask < 0 || umask > 0o777) throw new UsageError(`-u (--umask) takes a numeric mask such as 0177, not '${v.umask}'`);
  }
  if (v.namespace !== undefined && !/^(?!\.\.?$)[\w.-]{1,64}$/.test(v.namespace as string))
    throw new UsageError(`-s (--namespace) takes a network namespace name (letters, digits, '_', '.', '-'), not '${v.namespace}'`);
  // keepalived's defaults: /run/keepalived.pid, /run/vrrp.pid, /run/checkers.pid; under -s NAME its private
  // /run/keepalived, seen from here as /run/keepalived/keepalived_NAME (keepalived(8) NAMESPACES).
  const pidDir = v.namespace ? `/run/keepalived/keepalived_${v.namespace}` : '/run';
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
    pidFile: (v.pid as string | undefined) ?? `${pidDir}/keepalived.pid`,
    vrrpPidFile: (v.vrrp_pid as string | undefined) ?? `${pidDir}/vrrp.pid`,
    checkersPidFile: (v.checkers_pid as string | undefined) ?? `${pidDir}/checkers.pid`,
    configTest: !!v['config-test'],
    configTestLog: optional['config-test'] || undefined,
    configId: v['config-id'] as string | undefined,
    dumpConf: !!v['dump-conf'],
    umask,
    version: !!v.version,
    help: !!v.help,
    signum: v.signum as string | undefined,
    namespace: v.namespace as string | undefined,
    warnings,
    given: Object.keys(v).filter((k) => v[k] !== undefined),
    extra: Object.fromEntries(Object.keys(extra).map((k) => [k, v[k]])),
  };
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
  -S, --log-facility=F         checked (0-7, local0-7, user, daemon) and ignored: ulvs logs to stdout/stderr
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
  -s, --namespace=NAME         run the daemon in network namespace NAME (ip netns exec; the supervisor stays
                               here); pid files then default to /run/keepalived/keepalived_NAME/
  -T, --genhash ...            genhash mode: runs the keepalived package's genhash with the options that follow
  -t, --config-test[=FILE]     check the configuration, report to stderr or FILE (-tFILE), exit 0 if it is
                               valid, else 5 (as keepalived)
      --signum=NAME            print the number of signal STOP, RELOAD, DATA, STATS, STATS_CLEAR or JSON
  -v, --version                print the version
  -h, --help                   this text
accepted and ignored, with one log line each: --all -X -a -m -M -e -b -x -A (no SNMP: use /metrics).
long options may be shortened to a unique prefix (--use=FILE), as getopt_long allows.
signals: HUP reload, TERM stop, USR1 /tmp/keepalived.data, USR2 /tmp/keepalived.stats, 36 (JSON) /tmp/keepalived.json.`;
