/**
 * `ulvs keepalived [keepalived options]` (also the `ulvs-keepalived` program): keepalived 2.2's command
 * line, so a unit or an entrypoint switches by one word. Runs a supervisor (like keepalived's parent)
 * that starts the daemon as its child, restarts it with backoff after an unclean death and removes what
 * a dead daemon installed; the child is this same command with ULVS_SUPERVISED=1.
 */
import { spawn, spawnSync, type StdioOptions } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError, UserError, type CliCommand } from '../command.js';
import { KEEPALIVED_USAGE, parseKeepalivedArgs } from '../keepalived-args.js';
import { oneShot, runGenhash } from '../keepalived-modes.js';
import { daemonConfigLoader } from '../../control/config-source.js';
import { cleanupAfterCrash } from '../../control/crash-cleanup.js';
import { createLogger } from '../../control/logger.js';
import { serviceNotifier } from '../../control/service-notify.js';
import { supervise } from '../../control/supervisor.js';
import { inNetns } from '../../util/exec.js';
import { runDaemon } from './run.js';

/** The `ulvs` program that runs the child (bin/ulvs.mjs, two folders above src/cli/commands or dist/cli/commands). */
function ulvsBin(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/ulvs.mjs');
}

function writePid(file: string, pid: number): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${pid}\n`);
}

function rmEmptyDir(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    /* not empty, or not ours */
  }
}

/**
 * Where a forked daemon's log goes: the console with -l (as keepalived -l), else syslog through logger(1)
 * when there is a /dev/log (keepalived's default), else nowhere.
 */
function backgroundStdio(logConsole: boolean): { stdio: StdioOptions; spawned(): void } {
  if (logConsole) return { stdio: ['ignore', 'inherit', 'inherit'], spawned: () => undefined };
  if (!existsSync('/dev/log')) return { stdio: 'ignore', spawned: () => undefined };
  const logger = spawn('logger', ['-t', 'ulvs-keepalived'], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  logger.on('error', () => undefined);
  logger.unref();
  // Once the daemon holds the pipe, this process lets go of its end (and can exit).
  return { stdio: ['ignore', logger.stdin!, logger.stdin!], spawned: () => logger.stdin!.destroy() };
}

async function run(argv: string[]): Promise<number> {
  const log = createLogger(false);
  const genhash = runGenhash(argv, (m) => log.warn(m));
  if (genhash !== undefined) return genhash;
  let a = parseKeepalivedArgs(argv);
  const done = await oneShot(a, KEEPALIVED_USAGE);
  if (done !== undefined) return done;
  if (a.umask !== undefined) process.umask(a.umask);
  const loadConfig = daemonConfigLoader({ configId: a.configId, subsystems: a.subsystems, noBfd: a.noBfd });
  if (process.env.ULVS_SUPERVISED === 'cleanup') {
    // The supervisor's cleanup after an unclean death, run here because -s put the daemon in another namespace.
    for (const r of await cleanupAfterCrash(a.file, loadConfig, { keepVrrp: a.dontReleaseVrrp, keepIpvs: a.dontReleaseIpvs })) log.info(`removed ${r}`);
    return 0;
  }
  if (process.env.ULVS_SUPERVISED === '1') {
    // The child: the daemon itself (already in the -s namespace).
    if (a.dumpConf) {
      const cfg = await loadConfig(a.file);
      log.info('configuration', { model: cfg.model });
    }
    return runDaemon({ file: a.file, workers: 1, log, loadConfig });
  }
  const cfg = await loadConfig(a.file);
  if (a.namespace === undefined) {
    // keepalived.conf's net_namespace NAME, as keepalived takes it when there is no -s.
    const ns = cfg.model?.netNamespace;
    if (ns !== undefined) {
      argv = [...argv, '--namespace', ns];
      a = parseKeepalivedArgs(argv);
      log.info(`net_namespace ${ns} (${a.file}): the daemon runs in network namespace ${ns}`);
    }
  }
  if (a.namespace !== undefined && !existsSync(`/run/netns/${a.namespace}`))
    throw new UserError(`-s (--namespace): network namespace '${a.namespace}' does not exist: create it with 'ip netns add ${a.namespace}'`);
  if (!a.dontFork) {
    // keepalived's default: go to the background; the foreground process returns at once. A file the daemon
    // would refuse is reported here (keepalived would log it to syslog, where a first-time user never looks).
    if (!cfg.ok) throw new UserError(`${a.file}: not started, the configuration has errors:\n${cfg.errors.map((e) => `  ${e}`).join('\n')}`);
    const out = backgroundStdio(a.logConsole);
    const c = spawn(process.execPath, [ulvsBin(), 'keepalived', '--dont-fork', ...argv], { detached: true, stdio: out.stdio });
    out.spawned();
    c.unref();
    return 0;
  }
  for (const w of a.warnings) log.warn(w);
  if (a.dontReleaseVrrp || a.dontReleaseIpvs) log.warn('-V / -I: ulvs releases VIPs and rules on stop in any case (a stopped data plane cannot forward)');
  const pids = { main: a.pidFile, children: [a.vrrpPidFile, a.checkersPidFile] };
  writePid(pids.main, process.pid);
  const self = [process.execPath, ulvsBin(), 'keepalived', ...argv];
  try {
    return await supervise({
      argv: inNetns(self, a.namespace),
      log,
      notifier: serviceNotifier(),
      dontRespawn: a.dontRespawn,
      cleanup: a.namespace
        ? async () => {
            const [cmd, ...rest] = inNetns(self, a.namespace);
            const r = spawnSync(cmd!, rest, {
              env: { ...process.env, ULVS_SUPERVISED: 'cleanup', NOTIFY_SOCKET: '' },
              stdio: ['ignore', 'inherit', 'inherit'],
            });
            return [`(in network namespace ${a.namespace}: exit ${r.status})`];
          }
        : () => cleanupAfterCrash(a.file, loadConfig, { keepVrrp: a.dontReleaseVrrp, keepIpvs: a.dontReleaseIpvs }),
      onChild: (pid) => {
        for (const f of pids.children) writePid(f, pid);
      },
    });
  } finally {
    for (const f of [pids.main, ...pids.children]) rmSync(f, { force: true });
    if (a.namespace) rmEmptyDir(path.dirname(a.pidFile));
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
