/**
 * Running external commands (ip, iptables, tcpdump…) with a timeout, optionally inside a network
 * namespace. Control-plane and tool code only: never on the packet path.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

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

/**
 * Runs argv (no shell) and resolves with its exit code and output; never rejects, never throws: a
 * non-zero exit, a spawn that fails (EMFILE, ENOENT, EAGAIN…) or a killed child all resolve.
 */
export function run(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const full = inNetns(argv, opts.netns);
  return new Promise((resolve) => {
    const so: SpawnOptions = { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env, cwd: opts.cwd };
    let stdout = '';
    let stderr = '';
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (code: number, extra = ''): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      resolve({ code, stdout, stderr: stderr + extra });
    };
    let child: ChildProcess;
    try {
      child = spawn(full[0]!, full.slice(1), so);
    } catch (e) {
      // Some spawn failures (e.g. EMFILE creating the pipes) throw instead of emitting 'error'.
      finish(127, `cannot run ${full[0]}: ${(e as Error).message}`);
      return;
    }
    // The 'error' listener first: with EMFILE the pipes may be missing and 'error' follows at once.
    child.on('error', (e) => finish(127, `${stderr ? '\n' : ''}cannot run ${full[0]}: ${e.message}`));
    child.on('close', (code, signal) => finish(code ?? (signal ? 128 : 1)));
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    timer = setTimeout(() => {
      stderr += `\n(killed after ${opts.timeoutMs ?? 30000} ms)`;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30000);
    if (child.stdin) {
      child.stdin.on('error', () => {});
      child.stdin.end(opts.input ?? '');
    }
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
