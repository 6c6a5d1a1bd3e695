/**
 * keepalived's one-shot modes, shared by `ulvs keepalived` and `ulvs run`: -h, -v, --signum=NAME, -t
 * (config test, exit 0 or keepalived's 5) and -T (genhash mode, handed to the keepalived package's genhash).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { UsageError, UserError } from './command.js';
import type { KeepalivedArgs } from './keepalived-args.js';
import { daemonConfigLoader } from '../control/config-source.js';
import { KEEPALIVED_SIGNUM } from '../control/daemon-signals.js';

/** keepalived's exit code for a configuration that fails `-t` (KEEPALIVED_EXIT_CONFIG_TEST in 2.2.7). */
export const EXIT_CONFIG_TEST = 5;

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
 * -t: checks the file as the daemon would load it; the report goes to stderr or -tFILE; 0 when valid, else 5.
 * As keepalived 2.2.7's -t, an interface missing on this host fails the test too (the daemon would run it
 * in FAULT); `ulvs check-config` only warns, for files checked away from their host.
 */
export async function configTest(a: KeepalivedArgs): Promise<number> {
  const cfg = await daemonConfigLoader({ configId: a.configId, subsystems: a.subsystems, noBfd: a.noBfd })(a.file);
  const lines = [...cfg.errors.map((e) => `${e}`), ...cfg.warnings.map((w) => `${w}`)];
  const text = lines.join('\n') + (lines.length ? '\n' : '');
  if (a.configTestLog) writeFileSync(a.configTestLog, text);
  else process.stderr.write(text);
  return cfg.ok && !cfg.warningCodes?.includes('interface-missing') ? 0 : EXIT_CONFIG_TEST;
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
