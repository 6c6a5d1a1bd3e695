/**
 * `ulvs keepalived [keepalived options]` (also the `ulvs-keepalived` program): keepalived 2.2's command
 * line, so a unit or an entrypoint switches by one word. Runs a supervisor (like keepalived's parent)
 * that starts the daemon as its child, restarts it with backoff after an unclean death and removes what
 * a dead daemon installed; the child is this same command with ULVS_SUPERVISED=1.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError, UserError, type CliCommand } from '../command.js';
import { KEEPALIVED_USAGE, ignoredGiven, parseKeepalivedArgs, type KeepalivedArgs } from '../keepalived-args.js';
import { daemonConfigLoader } from '../../control/config-source.js';
import { cleanupAfterCrash } from '../../control/crash-cleanup.js';
import { KEEPALIVED_SIGNUM } from '../../control/daemon-signals.js';
import { createLogger } from '../../control/logger.js';
import { serviceNotifier } from '../../control/service-notify.js';
import { supervise } from '../../control/supervisor.js';
import { runDaemon } from './run.js';

const VERSION = 'ulvs 0.1.0 (keepalived 2.2 command line)';

/** The `ulvs` program that runs the child (bin/ulvs.mjs, two folders above src/cli/commands or dist/cli/commands). */
function ulvsBin(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/ulvs.mjs');
}

function writePid(file: string, pid: number): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${pid}\n`);
}

async function configTest(a: KeepalivedArgs): Promise<number> {
  const cfg = await daemonConfigLoader({ configId: a.configId, subsystems: a.subsystems, noBfd: a.noBfd })(a.file);
  const lines = [...cfg.errors.map((e) => `${e}`), ...cfg.warnings.map((w) => `${w}`)];
  const text = lines.join('\n') + (lines.length ? '\n' : '');
  if (a.configTestLog) writeFileSync(a.configTestLog, text);
  else process.stderr.write(text);
  return cfg.ok ? 0 : 1;
}

async function run(argv: string[]): Promise<number> {
  const a = parseKeepalivedArgs(argv);
  if (a.help) {
    process.stdout.write(KEEPALIVED_USAGE + '\n');
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
  if (a.umask !== undefined) process.umask(a.umask);
  const log = createLogger(false);
  const loadConfig = daemonConfigLoader({ configId: a.configId, subsystems: a.subsystems, noBfd: a.noBfd });
  if (process.env.ULVS_SUPERVISED === '1') {
    // The child: the daemon itself.
    if (a.dumpConf) {
      const cfg = await loadConfig(a.file);
      log.info('configuration', { model: cfg.model });
    }
    return runDaemon({ file: a.file, workers: 1, log, loadConfig });
  }
  if (!a.dontFork) {
    // keepalived's default: go to the background; the foreground process returns at once.
    const c = spawn(process.execPath, [ulvsBin(), 'keepalived', '--dont-fork', ...argv], { detached: true, stdio: 'ignore' });
    c.unref();
    return 0;
  }
  for (const o of ignoredGiven(argv)) log.warn(`option --${o} has no counterpart in ulvs: ignored`);
  if (a.dontReleaseVrrp || a.dontReleaseIpvs) log.warn('-V / -I: ulvs releases VIPs and rules on stop in any case (a stopped data plane cannot forward)');
  writePid(a.pidFile, process.pid);
  const childPids = [a.vrrpPidFile, a.checkersPidFile];
  try {
    return await supervise({
      argv: [process.execPath, ulvsBin(), 'keepalived', ...argv],
      log,
      notifier: serviceNotifier(),
      dontRespawn: a.dontRespawn,
      cleanup: () => cleanupAfterCrash(a.file, loadConfig, { keepVrrp: a.dontReleaseVrrp, keepIpvs: a.dontReleaseIpvs }),
      onChild: (pid) => {
        for (const f of childPids) writePid(f, pid);
      },
    });
  } finally {
    for (const f of [a.pidFile, ...childPids]) rmSync(f, { force: true });
  }
}

/** `ulvs keepalived`. */
export const command: CliCommand = {
  name: 'keepalived',
  summary: "keepalived's command line: supervisor + daemon, for units that start keepalived",
  usage: KEEPALIVED_USAGE,
  run: async (argv) => {
    try {
      return await run(argv);
    } catch (e) {
      if (e instanceof UsageError || e instanceof UserError) throw e;
      throw new UserError((e as Error).message);
    }
  },
};
