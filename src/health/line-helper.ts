/**
 * One long-lived python3 helper process answering id-tagged request lines over its pipes, shared by the
 * ICMP pinger (checkers/pinger.ts) and the script spawner (spawner.ts): started lazily, restarted after
 * a crash, pipes unref'd so it never keeps the process alive, and every waiting request answered with
 * the caller's failure result when the helper dies or is closed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** What a helper user supplies: the script, how to read a reply line, and its failure result. */
export interface LineHelperSpec<R> {
  /** python3 source run with `-u -c`. */
  script: string;
  /** Prefix of the failure reasons (`<name>: <error>`, `<name> exited`). */
  name: string;
  /** Reads one reply line; undefined for a line that is not a reply. */
  parseReply(line: string): { id: number; result: R } | undefined;
  /** The result given to requests the helper can no longer answer. */
  failed(reason: string): R;
  /** Called when python3 is missing (ENOENT), or also when spawn() throws if `unavailableOnThrow`. */
  onUnavailable(): void;
  unavailableOnThrow: boolean;
}

/** A lazily started python3 helper matching replies to requests by id. */
export class LineHelper<R> {
  private child: ChildProcess | null = null;
  private seq = 0;
  private readonly waiting = new Map<number, (r: R) => void>();

  constructor(private readonly spec: LineHelperSpec<R>) {}

  /** PID of the running helper, if any. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Answers every waiting request with the failure result for `reason`. */
  failAll(reason: string): void {
    const r = this.spec.failed(reason);
    for (const cb of this.waiting.values()) cb(r);
    this.waiting.clear();
  }

  /** The running helper, started (or restarted) if needed; null when it cannot be started. */
  ensure(): ChildProcess | null {
    const cur = this.child;
    if (cur && cur.exitCode === null && !cur.killed) return cur;
    try {
      const h = spawn('python3', ['-u', '-c', this.spec.script], { stdio: ['pipe', 'pipe', 'ignore'] });
      h.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') this.spec.onUnavailable();
        if (this.child === h) this.child = null;
        this.failAll(`${this.spec.name}: ${e.message}`);
      });
      h.on('exit', () => {
        if (this.child === h) this.child = null;
        this.failAll(`${this.spec.name} exited`);
      });
      h.stdin!.on('error', () => {});
      createInterface({ input: h.stdout! }).on('line', (l) => {
        const reply = this.spec.parseReply(l);
        if (!reply) return;
        const cb = this.waiting.get(reply.id);
        if (cb) {
          this.waiting.delete(reply.id);
          cb(reply.result);
        }
      });
      h.unref();
      for (const pipe of [h.stdin, h.stdout]) (pipe as unknown as { unref?: () => void } | null)?.unref?.();
      this.child = h;
      return h;
    } catch {
      if (this.spec.unavailableOnThrow) this.spec.onUnavailable();
      return null;
    }
  }

  /**
   * Writes the line `line(id)` to the helper and resolves with its reply, or with `guardResult` after
   * guardMs if the helper stopped answering; null when the helper cannot be started.
   */
  request(line: (id: number) => string, guardMs: number, guardResult: R): Promise<R> | null {
    const h = this.ensure();
    if (!h) return null;
    const id = (this.seq = (this.seq + 1) % 0x7fffffff);
    return new Promise((resolve) => {
      let done = false;
      const finish = (r: R) => {
        if (done) return;
        done = true;
        clearTimeout(guard);
        this.waiting.delete(id);
        resolve(r);
      };
      const guard = setTimeout(() => finish(guardResult), guardMs);
      this.waiting.set(id, finish);
      h.stdin!.write(line(id));
    });
  }

  /** Forgets the helper, lets `stop` end it if it still runs, then fails waiting requests with `reason`. */
  detach(reason: string, stop: (h: ChildProcess) => void): void {
    const h = this.child;
    this.child = null;
    if (h?.pid && h.exitCode === null) stop(h);
    this.failAll(reason);
  }
}
