/**
 * keepalived's signals on the running daemon: HUP reloads, TERM/INT stop, USR1 writes keepalived.data,
 * USR2 keepalived.stats, the JSON signal (SIGRTMIN+2, `keepalived --signum=JSON`) keepalived.json.
 * Every other signal whose default action would end the process first stops cleanly (VIPs and netfilter
 * rules removed), then exits 128+N. A listener on SIGUSR1 also keeps Node from opening its inspector.
 * A storm of signals is coalesced: at most one reload runs, with one more queued behind it.
 */
import { constants } from 'node:os';
import path from 'node:path';
import { loadNative } from '../native/addon.js';
import { replaceFileSafely } from '../util/safe-file.js';
import type { SignalWatchHandle, SysdModule } from '../native/types.js';
import { formatData, formatJson, formatStats, type DumpInput } from './keepalived-dumps.js';
import type { Logger } from './logger.js';

/** keepalived's signal numbers on Linux (`keepalived --signum=NAME`): SIGRTMIN+2 and SIGRTMIN+29 with glibc's SIGRTMIN 34. */
export const KEEPALIVED_SIGNUM = {
  STOP: constants.signals.SIGTERM,
  RELOAD: constants.signals.SIGHUP,
  DATA: constants.signals.SIGUSR1,
  STATS: constants.signals.SIGUSR2,
  STATS_CLEAR: 63,
  JSON: 36,
} as const;

/** Signals Node can listen to whose default action ends the process (besides the ones handled above). */
const FATAL_NAMED: NodeJS.Signals[] = [
  'SIGQUIT',
  'SIGALRM',
  'SIGVTALRM',
  'SIGXCPU',
  'SIGXFSZ',
  'SIGPROF',
  'SIGIO',
  'SIGPWR',
  'SIGSTKFLT',
  'SIGSYS',
  'SIGTRAP',
  'SIGABRT',
];
// Not SIGPIPE: Node ignores it (a closed pipe is an EPIPE on the write). A listener would be harmless, but
// removing it at stop gives SIGPIPE back its default action, and a write to a closed pipe or socket during
// the stop (an exiting child, a metrics client) killed the daemon before it undid its host changes.

/** What the signal shell drives. */
export interface SignalTarget {
  reload(): Promise<unknown>;
  /** Clean stop; `sig` names the signal for the log. */
  stop(sig: string, exitCode: number): void;
  dumpInput(): DumpInput;
  log: Logger;
  /** Where the dump files go (keepalived's tmp_dir: default $ULVS_TMP_DIR, else /tmp). */
  tmpDir?: string;
  /** Called around a reload (systemd RELOADING=1 / READY=1). */
  onReloading?(phase: 'start' | 'done'): void;
}

/** The native signal watcher, or undefined when the addon is not built (then the real-time signals keep their default). */
function sysd(log: Logger): SysdModule | undefined {
  try {
    const m = loadNative() as unknown as Partial<SysdModule>;
    if (typeof m.watchSignal === 'function') return m as SysdModule;
    log.warn('the native addon has no watchSignal (rebuild it): the JSON dump signal is not handled');
  } catch (e) {
    log.warn(`the JSON dump signal is not handled: ${(e as Error).message}`);
  }
  return undefined;
}

/** Installs the handlers; returns a function that removes them all. */
export function installDaemonSignals(t: SignalTarget): () => void {
  const dir = t.tmpDir ?? process.env.ULVS_TMP_DIR ?? '/tmp';
  let reloading = false;
  let again = false;
  const dump = (name: string, f: (i: DumpInput) => string) => (): void => {
    try {
      replaceFileSafely(path.join(dir, name), f(t.dumpInput()));
    } catch (e) {
      t.log.error(`cannot write ${path.join(dir, name)}: ${(e as Error).message}`);
    }
  };
  const onData = dump('keepalived.data', formatData);
  const onStats = dump('keepalived.stats', formatStats);
  const onJson = dump('keepalived.json', formatJson);
  const onHup = (): void => {
    if (reloading) {
      again = true;
      return;
    }
    reloading = true;
    t.log.info('SIGHUP: reloading');
    t.onReloading?.('start');
    void t
      .reload()
      .catch((e) => t.log.error(`reload failed: ${(e as Error).message}`))
      .finally(() => {
        reloading = false;
        t.onReloading?.('done');
        if (again) {
          again = false;
          onHup();
        }
      });
  };
  const named = new Map<NodeJS.Signals, () => void>([
    ['SIGHUP', onHup],
    ['SIGUSR1', onData],
    ['SIGUSR2', onStats],
  ]);
  named.set('SIGTERM', () => t.stop('SIGTERM', 0));
  named.set('SIGINT', () => t.stop('SIGINT', 0));
  for (const s of FATAL_NAMED) {
    named.set(s, () => t.stop(s, 128 + constants.signals[s]));
  }
  for (const [s, f] of named) {
    try {
      process.on(s, f);
    } catch {
      named.delete(s);
    }
  }
  const watches: SignalWatchHandle[] = [];
  const m = sysd(t.log);
  if (m) {
    for (let n = 34; n <= 64; n++) {
      const f = n === KEEPALIVED_SIGNUM.JSON ? onJson : n === KEEPALIVED_SIGNUM.STATS_CLEAR ? onStats : () => t.stop(`SIGRT${n}`, 128 + n);
      try {
        watches.push(m.watchSignal(n, f));
      } catch (e) {
        t.log.warn(`cannot watch signal ${n}: ${(e as Error).message}`);
      }
    }
  }
  return () => {
    for (const [s, f] of named) process.off(s, f);
    for (const w of watches) w.close();
  };
}
