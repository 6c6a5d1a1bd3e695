/**
 * Notify scripts run the keepalived way (notify_master/backup/fault/stop/deleted, then `notify`
 * with `INSTANCE|GROUP name STATE priority` appended), asynchronously for the state machine but
 * delivered strictly in order through one queue, each killed after a timeout so a hung script
 * cannot wedge later notifications.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { NotifySpec, NotifyState } from './types.js';

/**
 * Runs a script (no shell) in its own process group; after timeoutMs the whole group is killed
 * (SIGKILL), so children left behind by a hung script cannot hold us. Resolves on exit.
 */
export function runScript(argv: string[], timeoutMs: number): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    let stderr = '';
    let done = false;
    const finish = (code: number): void => {
      if (!done) {
        done = true;
        if (timer) clearTimeout(timer);
        resolve({ code, stderr });
      }
    };
    let timer: NodeJS.Timeout | undefined;
    let child: ChildProcess;
    try {
      child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    } catch (e) {
      stderr += (e as Error).message;
      finish(127);
      return;
    }
    child.on('error', (e) => {
      stderr += e.message;
      finish(127);
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 4096) stderr += d;
    });
    timer = setTimeout(() => {
      stderr += `(killed after ${timeoutMs} ms)`;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      finish(137);
    }, timeoutMs);
    child.on('exit', (code, signal) => finish(code ?? (signal ? 128 : 1)));
  });
}

/** One finished script run, for logs and tests. */
export interface NotifyRecord {
  argv: string[];
  code: number;
  stderr: string;
}

/** A FIFO of script runs; enqueue() never blocks the caller. */
export class NotifyQueue {
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;

  /** @param onDone called after each run (e.g. to log failures). */
  constructor(private readonly onDone: (r: NotifyRecord) => void = () => {}) {}

  /** Queues argv to run after every script queued before it; killed after timeoutMs. */
  enqueue(argv: string[], timeoutMs: number): void {
    if (argv.length === 0) return;
    this.pending++;
    this.tail = this.tail.then(async () => {
      const r = await runScript(argv, timeoutMs);
      this.pending--;
      try {
        this.onDone({ argv, code: r.code, stderr: r.stderr });
      } catch {
        /* logging must not break the queue */
      }
    });
  }

  /** Resolves when everything queued so far has finished. */
  drain(): Promise<void> {
    return this.tail;
  }

  /** Number of queued or running scripts. */
  get size(): number {
    return this.pending;
  }
}

/** The specific notify_* script of a state (none for INIT). */
function specific(n: NotifySpec, state: NotifyState): string[] | undefined {
  switch (state) {
    case 'MASTER':
      return n.master?.argv;
    case 'BACKUP':
      return n.backup?.argv;
    case 'FAULT':
      return n.fault?.argv;
    case 'STOP':
      return n.stop?.argv;
    case 'DELETED':
      return n.deleted?.argv ?? n.fault?.argv;
  }
}

/** Queues the scripts keepalived runs when `kind` `name` enters `state`: the specific one, then `notify`. */
export function queueNotify(
  q: NotifyQueue,
  n: NotifySpec,
  kind: 'INSTANCE' | 'GROUP',
  name: string,
  state: NotifyState,
  priority: number,
  timeoutMs: number,
): void {
  const s = specific(n, state);
  if (s) q.enqueue(s, timeoutMs);
  if (n.generic)
    q.enqueue([...n.generic.argv, kind, name, state === 'DELETED' && !n.deleted ? 'FAULT' : state, String(kind === 'GROUP' ? 0 : priority)], timeoutMs);
}
