/**
 * A persistent `ip -force -batch -` child per daemon so adding/removing VIPs on a state change
 * costs a pipe write instead of a process spawn (a few ms each). Each request is followed by a
 * `link show dev lo` marker whose output tells that the lines before it have run; stderr lines
 * ("Command failed -:N") are attributed to the request that contains line N.
 */
import { spawn, type ChildProcess } from 'node:child_process';

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
  private outBuf = '';
  private errBuf = '';
  private lastErr = '';

  private ensure(): ChildProcess | undefined {
    if (this.child && this.child.exitCode === null && !this.child.killed) return this.child;
    this.line = 0;
    const c = spawn('ip', ['-force', '-batch', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    c.stdout!.setEncoding('utf8').on('data', (d: string) => this.onOut(d));
    c.stderr!.setEncoding('utf8').on('data', (d: string) => this.onErr(d));
    c.on('error', () => this.failAll('ip -batch could not be started'));
    c.on('close', () => { this.child = undefined; this.failAll('ip -batch exited'); });
    c.stdin!.on('error', () => {});
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
      c.stdin!.write(`${lines.join('\n')}\nlink show dev lo\n`);
    });
  }

  /** Ends the child process. */
  close(): void {
    this.child?.stdin?.end();
    this.child = undefined;
  }

  private onOut(d: string): void {
    this.outBuf += d;
    let i;
    while ((i = this.outBuf.indexOf('\n')) >= 0) {
      const l = this.outBuf.slice(0, i);
      this.outBuf = this.outBuf.slice(i + 1);
      if (/^\d+: lo: /.test(l)) {
        const p = this.queue.shift();
        // stderr of the same lines may still be in flight: give it one turn of the loop.
        if (p) setImmediate(() => p.resolve(p.errors));
      }
    }
  }

  private onErr(d: string): void {
    this.errBuf += d;
    let i;
    while ((i = this.errBuf.indexOf('\n')) >= 0) {
      const l = this.errBuf.slice(0, i);
      this.errBuf = this.errBuf.slice(i + 1);
      const m = /^Command failed -:(\d+)/.exec(l);
      if (!m) { this.lastErr = l; continue; }
      const n = Number(m[1]);
      const p = this.queue.find((q) => n >= q.firstLine && n <= q.lastLine);
      if (p) p.errors.push(this.lastErr || l);
      this.lastErr = '';
    }
  }

  private failAll(msg: string): void {
    const q = this.queue;
    this.queue = [];
    for (const p of q) p.resolve([...p.errors, msg]);
  }
}
