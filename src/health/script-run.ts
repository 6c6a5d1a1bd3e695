/**
 * Running health scripts (MISC_CHECK misc_path, notify_up/down, quorum_up/down) the keepalived way: argv
 * without a shell, output discarded (a script flooding stdout costs nothing), the whole process group
 * killed with SIGKILL at the timeout, optional user/group. Never rejects.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ScriptSpec } from './types.js';
import { spawnViaHelper } from './spawner.js';

/** How a script ended. */
export interface ScriptResult {
  /** Exit code, or null when killed by a signal / not started. */
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  /** Spawn error (missing program, permission), empty if it ran. */
  error: string;
}

function lookupId(file: string, name: string): number | undefined {
  if (/^\d+$/.test(name)) return Number(name);
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name) return Number(f[2]);
    }
  } catch {
    /* no passwd/group file: fall through */
  }
  return undefined;
}

/** Numeric uid/gid of a script's user/group words (undefined = run as ourselves). */
export function scriptCredentials(s: ScriptSpec): { uid?: number; gid?: number } {
  const uid = s.user ? lookupId('/etc/passwd', s.user) : undefined;
  let gid = s.group ? lookupId('/etc/group', s.group) : undefined;
  if (s.user && gid === undefined) {
    try {
      const line = readFileSync('/etc/passwd', 'utf8')
        .split('\n')
        .find((l) => l.split(':')[0] === s.user || l.split(':')[2] === s.user);
      if (line) gid = Number(line.split(':')[3]);
    } catch {
      /* ignore */
    }
  }
  return { uid, gid };
}

/**
 * Runs a script, killing its process group after timeoutMs. Without extra environment it goes through
 * the spawner helper (spawner.ts) when python3 is available, else it is spawned from Node directly.
 */
export function runScript(s: ScriptSpec, timeoutMs: number, env?: Record<string, string>): Promise<ScriptResult> {
  if (!env && s.argv.length > 0) {
    const cred = scriptCredentials(s);
    const viaHelper = spawnViaHelper(s.argv, timeoutMs, cred.uid, cred.gid);
    if (viaHelper) return viaHelper;
  }
  return spawnDirect(s, timeoutMs, env);
}

/** Spawns a script from Node itself (fallback when the helper is unavailable). */
export function spawnDirect(s: ScriptSpec, timeoutMs: number, env?: Record<string, string>): Promise<ScriptResult> {
  return new Promise((resolve) => {
    let timedOut = false;
    let settled = false;
    const settle = (r: ScriptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    let child: ReturnType<typeof spawn>;
    try {
      const cred = scriptCredentials(s);
      child = spawn(s.argv[0], s.argv.slice(1), {
        stdio: 'ignore',
        detached: true,
        env: env ? { ...process.env, ...env } : process.env,
        uid: cred.uid,
        gid: cred.gid,
      });
    } catch (e) {
      resolve({ code: null, signal: null, timedOut: false, error: (e as Error).message });
      return;
    }
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        try {
          child.kill('SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }, timeoutMs);
    child.once('error', (e) => settle({ code: null, signal: null, timedOut, error: e.message }));
    child.once('exit', (code, signal) => settle({ code, signal, timedOut, error: '' }));
    child.unref();
  });
}
