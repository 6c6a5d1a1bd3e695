/**
 * The supervisor: like keepalived's parent process, it runs the daemon as a child, forwards keepalived's
 * signals to it, and when the child dies uncleanly (a signal such as kill -9, or a crash) removes what
 * it installed (crash-cleanup.ts) and starts it again with exponential backoff. It is the unit's main
 * process for systemd (READY/RELOADING/STOPPING, the watchdog fed while the child's heartbeats arrive).
 * Child -> supervisor messages over the IPC channel: {ulvs:'ready'|'reloaded'|'alive'}.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import type { Logger } from './logger.js';
import type { ServiceNotifier } from './service-notify.js';
import { loadNative } from '../native/addon.js';
import type { SignalWatchHandle, SysdModule } from '../native/types.js';
import { KEEPALIVED_SIGNUM } from './daemon-signals.js';

/** How the supervisor runs and restarts the daemon. */
export interface SupervisorOptions {
  /** argv of the daemon: [program, ...args]. */
  argv: string[];
  log: Logger;
  notifier: ServiceNotifier;
  /** Removes what a dead child installed; returns what it removed. */
  cleanup(): Promise<string[]>;
  /** keepalived -R: clean up after an unclean death and end instead of restarting. */
  dontRespawn?: boolean;
  /** First restart delay (default 1000 ms), doubled per quick death up to maxBackoffMs (default 30000). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** A child that ran this long resets the backoff (default 60000 ms). */
  stableMs?: number;
  /** Called with the child's pid each time one starts (pid files -r/-c). */
  onChild?(pid: number): void;
}

/** Forwarded to the child as they are (keepalived's RELOAD, DATA, STATS, JSON, STATS_CLEAR). */
const FORWARD: NodeJS.Signals[] = ['SIGHUP', 'SIGUSR1', 'SIGUSR2'];

/** Runs the daemon until it stops cleanly or the supervisor is told to stop; resolves to the exit code. */
export function supervise(o: SupervisorOptions): Promise<number> {
  const log = o.log;
  let child: ChildProcess | undefined;
  let stopping = false;
  let everReady = false;
  let backoff = o.backoffMs ?? 1000;
  let lastBeat = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  let resolveExit!: (code: number) => void;
  const done = new Promise<number>((r) => {
    resolveExit = r;
  });
  const stopWatchdog = o.notifier.startWatchdog(() => Date.now() - lastBeat < 5000);

  const forward = (s: NodeJS.Signals | number) => (): void => {
    if (s === 'SIGHUP') o.notifier.notify(`RELOADING=1\nMONOTONIC_USEC=${Math.round(performance.timeOrigin * 1000 + performance.now() * 1000)}`);
    if (child?.pid && child.exitCode === null) process.kill(child.pid, s);
  };
  const handlers = new Map<NodeJS.Signals, () => void>(FORWARD.map((s) => [s, forward(s)]));
  const stop = (sig: string) => (): void => {
    if (stopping) return;
    stopping = true;
    log.info(`${sig}: stopping the daemon`);
    o.notifier.notify('STOPPING=1');
    if (restartTimer) {
      clearTimeout(restartTimer);
      finish(0);
      return;
    }
    if (child?.pid && child.exitCode === null) child.kill('SIGTERM');
    else finish(0);
  };
  for (const s of ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const) handlers.set(s, stop(s));
  for (const [s, f] of handlers) process.on(s, f);
  const watches: SignalWatchHandle[] = [];
  try {
    const m = loadNative() as unknown as Partial<SysdModule>;
    for (const n of [KEEPALIVED_SIGNUM.JSON, KEEPALIVED_SIGNUM.STATS_CLEAR]) if (m.watchSignal) watches.push(m.watchSignal(n, forward(n)));
  } catch {
    /* without the addon the JSON signal keeps its default */
  }

  function finish(code: number): void {
    stopWatchdog();
    for (const [s, f] of handlers) if (s !== 'SIGUSR1') process.off(s, f);
    for (const w of watches) w.close();
    resolveExit(code);
  }

  function start(): void {
    restartTimer = undefined;
    const startedAt = Date.now();
    const c = spawn(o.argv[0]!, o.argv.slice(1), {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, ULVS_SUPERVISED: '1', NOTIFY_SOCKET: '' },
    });
    child = c;
    if (c.pid) o.onChild?.(c.pid);
    log.info('daemon started', { pid: c.pid });
    c.on('message', (m: { ulvs?: string }) => {
      lastBeat = Date.now();
      if (m?.ulvs === 'ready') {
        everReady = true;
        backoff = o.backoffMs ?? 1000;
        o.notifier.notify(`READY=1\nMAINPID=${process.pid}\nSTATUS=running (daemon pid ${c.pid})`);
      } else if (m?.ulvs === 'reloaded') o.notifier.notify('READY=1');
    });
    c.once('exit', (code, signal) => {
      void (async () => {
        const clean = signal === null && code === 0;
        if (!clean) {
          log.error(`daemon (pid ${c.pid}) died uncleanly (${signal ?? `exit ${code}`}): removing its VIPs and rules`);
          try {
            const removed = await o.cleanup();
            log.info('cleaned up after the daemon', { removed });
          } catch (e) {
            log.error(`cleanup failed: ${(e as Error).message}`);
          }
        }
        if (stopping || clean) {
          finish(clean || stopping ? 0 : 1);
          return;
        }
        if (!everReady || o.dontRespawn) {
          // A daemon that never came up (a broken file, missing privileges) is not restarted in a loop.
          log.error(everReady ? 'not restarting (--dont-respawn)' : 'the daemon never became ready: not restarting');
          finish(code ?? 128 + (signal ? constants.signals[signal] : 0));
          return;
        }
        if (Date.now() - startedAt >= (o.stableMs ?? 60000)) backoff = o.backoffMs ?? 1000;
        log.info(`restarting the daemon in ${backoff} ms`);
        restartTimer = setTimeout(start, backoff);
        backoff = Math.min(backoff * 2, o.maxBackoffMs ?? 30000);
      })();
    });
  }
  // A listener on SIGUSR1 (kept for the whole life of the process) also keeps Node's inspector closed.
  start();
  return done;
}
