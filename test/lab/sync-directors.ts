// What the connection-sync lab tests (sync-failover.ts, sync-failback.ts; not test files themselves)
// share: a director daemon started in the lab as a keepalived user starts it, its status, polling, and a
// client whose stdout is collected.
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Test } from 'tap';
import { callOnce } from '../../src/api/client.js';
import type { Lab } from '../../src/lab/lab.js';
import { ROOT } from '../helpers/cli.js';

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One director a test started: its control socket, its log so far, kill -9 of it. */
export interface LabDirector {
  sock: string;
  log(): string;
  kill(): void;
}

/**
 * Starts `ulvs run -f FILE` on `node` (1 worker, no metrics; socket, pid file and dumps in `dir`); at
 * teardown TERM and up to 8 s for it to stop.
 */
export function startDirector(t: Test, lab: Lab, node: string, file: string, dir: string): LabDirector {
  const sock = path.join(dir, `${node}.sock`);
  const argv = ['run', '-f', file, '--workers', '1', '--no-metrics', '--socket', sock, '--pid-file', path.join(dir, `${node}.pid`)];
  const child = lab.spawn(node, [process.execPath, path.join(ROOT, 'bin/ulvs.mjs'), ...argv], { env: { ...process.env, ULVS_TMP_DIR: dir } });
  let log = '';
  const add = (d: Buffer): void => {
    log += d;
  };
  child.stdout!.on('data', add);
  child.stderr!.on('data', add);
  const exited = new Promise((r) => child.once('exit', r));
  t.teardown(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(8000)]);
    }
  });
  return { sock, log: () => log, kill: () => child.kill('SIGKILL') };
}

/** The director's `status` answer, undefined while its socket does not answer. */
export function directorStatus<T>(d: LabDirector | undefined): Promise<T | undefined> {
  return d ? callOnce<T>(d.sock, 'status').catch(() => undefined) : Promise.resolve(undefined);
}

/** Polls `f` every 100 ms until it holds (true) or `ms` have passed (false). */
export async function until(f: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) if (await f()) return true;
  return false;
}

/** Runs a Node script on `node`, collecting its stdout; killed at teardown. */
export function spawnClient(t: Test, lab: Lab, node: string, script: string): { proc: ChildProcess; out(): string } {
  const proc = lab.spawn(node, [process.execPath, '-e', script]);
  let out = '';
  proc.stdout!.on('data', (d) => {
    out += d;
  });
  t.teardown(() => {
    proc.kill('SIGKILL');
  });
  return { proc, out: () => out };
}
