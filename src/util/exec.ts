/**
 * Running external commands (ip, iptables, tcpdump…) with a timeout, optionally inside a network
 * namespace. Control-plane and tool code only: never on the packet path.
 */
import { spawn, type SpawnOptions } from 'node:child_process';

/** Result of a finished command. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of run(). */
export interface ExecOptions {
  /** Run inside this named network namespace (ip netns exec). */
  netns?: string;
  /** Kill the command (SIGKILL, by PID) after this long; default 30 s. */
  timeoutMs?: number;
  /** Text written to the command's stdin. */
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Wraps argv so it runs inside `netns` when given. */
export function inNetns(argv: string[], netns?: string): string[] {
  return netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv;
}

/** Runs argv (no shell) and resolves with its exit code and output; never rejects for a non-zero exit. */
export function run(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const full = inNetns(argv, opts.netns);
  return new Promise((resolve) => {
    const so: SpawnOptions = { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env, cwd: opts.cwd };
    const child = spawn(full[0], full.slice(1), so);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => { stderr += `\n(killed after ${opts.timeoutMs ?? 30000} ms)`; child.kill('SIGKILL'); }, opts.timeoutMs ?? 30000);
    child.on('error', (e) => { clearTimeout(timer); resolve({ code: 127, stdout, stderr: stderr + String(e.message) }); });
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }); });
    child.stdin!.on('error', () => {});
    child.stdin!.end(opts.input ?? '');
  });
}

/** Like run() but rejects with the command line and its stderr when the exit code is not 0. */
export async function runOk(argv: string[], opts: ExecOptions = {}): Promise<string> {
  const r = await run(argv, opts);
  if (r.code !== 0) {
    throw new Error(`'${inNetns(argv, opts.netns).join(' ')}' failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return r.stdout;
}
