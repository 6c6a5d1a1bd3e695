/**
 * keepalived's one-shot modes, shared by `ulvs keepalived` and `ulvs run`: -h, -v, --signum=NAME, -t
 * (config test, exit 0 or keepalived's 5 or 6) and -T (genhash mode, handed to the keepalived package's genhash).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { UsageError, UserError } from './command.js';
import type { KeepalivedArgs } from './keepalived-args.js';
import { daemonConfigLoader } from '../control/config-source.js';
import { KEEPALIVED_SIGNUM } from '../control/daemon-signals.js';

/** keepalived's exit code for a configuration that fails `-t` (KEEPALIVED_EXIT_CONFIG_TEST in 2.2.7). */
export const EXIT_CONFIG_TEST = 5;

/** keepalived's `-t` exit code when its only finding is scripts without enable_script_security (KEEPALIVED_EXIT_CONFIG_TEST_SECURITY). */
export const EXIT_CONFIG_TEST_SECURITY = 6;

/**
 * Warnings whose keepalived 2.2.7 counterpart goes through report_config_error (a warning or deprecation there
 * too), so that keepalived -t exits 5 on them; ulvs' own advice (mail without smtp_alert, a script file not
 * found, ...) is not among them, as keepalived -t says nothing there. Each checked against keepalived -t in a
 * netns (docs/keepalived-samples.md).
 */
export const KEEPALIVED_TEST_FAILS: ReadonlySet<string> = new Set([
  'interface-missing',
  'protocol-fwmark',
  'port-ignored',
  'deprecated',
  'rule-no-preference',
  'route-untracked',
  'group-of-one',
  'unknown-instance',
]);

/** The exit code keepalived 2.2.7's -t gives for a load result: 0, 5 (any reported config error), or 6 (only the script security finding). */
export function configTestExit(ok: boolean, warningCodes: readonly string[]): number {
  if (!ok || warningCodes.some((c) => KEEPALIVED_TEST_FAILS.has(c))) return EXIT_CONFIG_TEST;
  return warningCodes.includes('script-security') ? EXIT_CONFIG_TEST_SECURITY : 0;
}

// keepalived -v's first line, which tools parse for the version (keepalived-exporter decides from it whether
// --signum=JSON exists): the keepalived release whose command line, signals and configuration ulvs follows.
const VERSION = 'Keepalived v2.2.7 (ulvs 0.1.0: keepalived 2.2.7 command line, signals and keepalived.conf)';

/**
 * keepalived's -T/--genhash: everything after it is genhash's command line (keepalived ignores the options
 * before it, with a warning). Returns genhash's exit code, or undefined when argv has no -T.
 */
export function runGenhash(argv: string[], warn: (m: string) => void): number | undefined {
  const i = argv.findIndex((a) => a === '-T' || (a.length > 3 && a.startsWith('--') && 'genhash'.startsWith(a.slice(2))));
  if (i < 0) return undefined;
  if (i > 0) warn('-T (--genhash) not used as the first option: the options before it are ignored');
  const r = spawnSync('genhash', argv.slice(i + 1), { stdio: 'inherit' });
  if (r.error)
    throw new UserError(`-T (--genhash): cannot run genhash (${(r.error as NodeJS.ErrnoException).code}): install the keepalived package, which has it`);
  return r.status ?? 1;
}

/**
 * -t: checks the file as the daemon would load it; the report goes to stderr or -tFILE; 0 when valid, else
 * keepalived's 5, or 6 when the only finding is keepalived's SECURITY VIOLATION (configTestExit).
 * As keepalived 2.2.7's -t, an interface missing on this host fails the test too (the daemon would run it
 * in FAULT); `ulvs check-config` only warns, for files checked away from their host.
 */
export async function configTest(a: KeepalivedArgs): Promise<number> {
  const cfg = await daemonConfigLoader({ configId: a.configId, subsystems: a.subsystems, noBfd: a.noBfd })(a.file);
  const lines = [...cfg.errors.map((e) => `${e}`), ...cfg.warnings.map((w) => `${w}`)];
  const text = lines.join('\n') + (lines.length ? '\n' : '');
  if (a.configTestLog) writeFileSync(a.configTestLog, text);
  else process.stderr.write(text);
  return configTestExit(cfg.ok, cfg.warningCodes ?? []);
}

/** Runs the mode of a one-shot option (-h, -v, --signum, -t) and returns its exit code; undefined when none is given. */
export async function oneShot(a: KeepalivedArgs, usage: string): Promise<number | undefined> {
  if (a.help) {
    process.stdout.write(usage + '\n');
    return 0;
  }
  if (a.version) {
    process.stderr.write(VERSION + '\n');
    return 0;
  }
  if (a.signum !== undefined) {
    const n = (KEEPALIVED_SIGNUM as Record<string, number>)[a.signum];
    if (n === undefined) throw new UsageError(`--signum: unknown signal function '${a.signum}' (STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON)`);
    process.stdout.write(`${n}\n`);
    return 0;
  }
  if (a.configTest) return configTest(a);
  return undefined;
}
