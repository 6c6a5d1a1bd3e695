/**
 * Runs the built CLIs (bin/ulvs.mjs, bin/ulvsadm.mjs) as a user would, optionally inside a namespace.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Result of a CLI run. */
export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `ulvs args...` (or ulvsadm when bin is 'ulvsadm'), in netns `ns` when given. */
export function runCli(
  args: string[],
  opts: { bin?: 'ulvs' | 'ulvsadm'; ns?: string; input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; uid?: number } = {},
): CliResult {
  const script = path.join(ROOT, 'bin', `${opts.bin ?? 'ulvs'}.mjs`);
  const argv = opts.ns ? ['ip', 'netns', 'exec', opts.ns, process.execPath, script, ...args] : [process.execPath, script, ...args];
  const so: SpawnSyncOptions = { encoding: 'utf8', input: opts.input, env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 60000, cwd: ROOT };
  if (opts.uid !== undefined) so.uid = opts.uid;
  const r = spawnSync(argv[0], argv.slice(1), so);
  return { status: r.status ?? 128, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}
