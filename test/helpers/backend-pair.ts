/**
 * Two namespaces joined by a veth pair (A 192.0.2.1/24 on va, B 192.0.2.2/24 on vb, default offloads), and a
 * packet backend run as a child Node process inside B: the I/O tests send from A and let the backend in B
 * work on what arrives. Everything is removed on the test's teardown.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { run, runOk } from '../../src/util/exec.js';

/** What these helpers need of a tap test. */
type Teardown = { teardown(fn: () => unknown): void };

/** Creates namespaces `${prefix}-a` and `${prefix}-b` with the veth pair; returns their names. */
export async function vethPair(t: Teardown, prefix: string): Promise<{ A: string; B: string }> {
  const A = `${prefix}-a`,
    B = `${prefix}-b`;
  const clean = async (): Promise<void> => {
    await run(['ip', 'netns', 'del', A]);
    await run(['ip', 'netns', 'del', B]);
  };
  await clean();
  t.teardown(clean);
  await runOk(['ip', 'netns', 'add', A]);
  await runOk(['ip', 'netns', 'add', B]);
  await runOk(['ip', 'link', 'add', 'va', 'netns', A, 'type', 'veth', 'peer', 'name', 'vb', 'netns', B]);
  for (const [ns, dev, addr] of [
    [A, 'va', '192.0.2.1/24'],
    [B, 'vb', '192.0.2.2/24'],
  ]) {
    await runOk(['ip', '-n', ns, 'addr', 'add', addr, 'dev', dev]);
    await runOk(['ip', '-n', ns, 'link', 'set', dev, 'up']);
  }
  return { A, B };
}

/** A backend child process: its combined output so far, and its SIGTERM report (the first JSON line). */
export interface BackendChild {
  proc: ChildProcess;
  output(): string;
  /** Sends SIGTERM, waits for the exit, and parses the first line of output that starts with '{'. */
  stopAndReport<R>(): Promise<R>;
}

/** Runs `script` (an ES module body) with Node inside netns `ns`; resolves once it printed "ready". */
export async function startBackend(t: Teardown, ns: string, script: string): Promise<BackendChild> {
  const proc = spawn('ip', ['netns', 'exec', ns, process.execPath, '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (proc.exitCode === null) proc.kill('SIGKILL');
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`backend did not start: ${out}`)), 15000);
    proc.stdout!.on('data', () => {
      if (out.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.on('exit', () => {
      clearTimeout(timer);
      reject(new Error(`backend exited: ${out}`));
    });
  });
  return {
    proc,
    output: () => out,
    async stopAndReport<R>(): Promise<R> {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
      return JSON.parse(out.split('\n').find((l) => l.startsWith('{')) ?? '{}') as R;
    },
  };
}
