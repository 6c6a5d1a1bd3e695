/**
 * A persistent `ip -force -batch -` child per daemon so adding/removing VIPs on a state change
 * costs a pipe write instead of a process spawn (a few ms each). Each request is followed by a
 * marker line that always fails (`link show dev ulvs-marker0`): its "Command failed -:N" on stderr
 * tells that the lines before it have run, and every earlier stderr line ("Command failed -:N")
 * is attributed to the request that contains line N — one pipe, so the order is certain.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** A device name that never exists: the marker command fails on purpose. */
const MARKER_DEV = 'ulvs-marker0';

interface Pending {
  firstLine: number;
  lastLine: number;
  errors: string[];
  resolve: (errors: string[]) => void;
}

/** One long-lived `ip -batch` process; falls back to reporting errors when it cannot run. */
export class IpBatch {
  private child?: ChildProcess;
  private line = 0;
  private queue: Pending[] = [];
  private errBuf = '';
  private lastErr = '';

  /** `options` go before `-force -batch -`, e.g. ['-6'] for IPv6 routes and rules. */
  constructor(private readonly options: string[] = []) {}

  private ensure(): ChildProcess | undefined {
    if (this.child && this.child.exitCode === null && !this.child.killed) return this.child;
    this.line = 0;
    let c: ChildProcess;
    try {
      c = spawn('ip', [...this.options, '-force', '-batch', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    } catch {
      return undefined; // e.g. EMFILE: the caller reports the failure, the next call retries
    }
    // The 'error' listener first: a failed spawn (EMFILE, EAGAIN) may have no pipes.
    c.on('error', (e) => {
      if (this.child === c) this.child = undefined;
      this.failAll(`ip -batch could not be started: ${e.message}`);
    });
    c.on('close', () => {
      if (this.child === c) this.child = undefined;
      this.failAll('ip -batch exited');
    });
    if (!c.stdin || !c.stdout || !c.stderr) return undefined;
    c.stdout.resume();
    c.stderr.setEncoding('utf8').on('data', (d: string) => this.onErr(d));
    c.stdin.on('error', () => {});
    this.child = c;
    return c;
  }

  /** Runs `ip` command lines (without the leading `ip`), resolving with error messages once they ran. */
  run(lines: string[]): Promise<string[]> {
    if (lines.length === 0) return Promise.resolve([]);
    const c = this.ensure();
    if (!c) return Promise.resolve(['ip -batch unavailable']);
    return new Promise((resolve) => {
      const firstLine = this.line + 1;
      this.line += lines.length + 1;
      this.queue.push({ firstLine, lastLine: this.line, errors: [], resolve });
      c.stdin!.write(`${lines.join('\n')}\nlink show dev ${MARKER_DEV}\n`);
    });
  }

  /** Ends the child process. */
  close(): void {
    this.child?.stdin?.end();
    this.child = undefined;
  }

  private onErr(d: string): void {
    this.errBuf += d;
    let i;
    while ((i = this.errBuf.indexOf('\n')) >= 0) {
      const l = this.errBuf.slice(0, i);
      this.errBuf = this.errBuf.slice(i + 1);
      const m = /^Command failed -:(\d+)/.exec(l);
      if (!m) {
        this.lastErr = l;
        continue;
      }
      const n = Number(m[1]);
      const p = this.queue.find((q) => n >= q.firstLine && n <= q.lastLine);
      if (p && n === p.lastLine) {
        this.queue.splice(this.queue.indexOf(p), 1);
        p.resolve(p.errors);
      } else if (p) p.errors.push(this.lastErr || l);
      this.lastErr = '';
    }
  }

  private failAll(msg: string): void {
    const q = this.queue;
    this.queue = [];
    for (const p of q) p.resolve([...p.errors, msg]);
  }
}
