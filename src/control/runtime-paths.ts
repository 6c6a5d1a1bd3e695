/**
 * Where a daemon keeps its pid file and control socket. Like kernel IPVS, whose state is per network
 * namespace, the default is per namespace: /run/ulvs/<netns-id>/ulvs.{pid,sock}, where the id is the
 * inode of /proc/self/ns/net, so `ip netns exec X ulvsadm` finds the daemon of namespace X.
 * ULVS_RUN_DIR overrides the base directory (/run/ulvs) and ULVS_SOCKET the socket path.
 */
import { ERROR_CODES, UlvsError } from '../core/errors.js';
import { readFileSync, rmdirSync, statSync, unlinkSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';

/** The current network namespace's id: the inode number of /proc/self/ns/net ("0" if unreadable). */
export function netnsId(): string {
  try {
    return String(statSync('/proc/self/ns/net').ino);
  } catch {
    return '0';
  }
}

/** Whether this process runs in the named network namespace (/run/netns/NAME, as `ip netns` names it). */
export function inNamedNetns(name: string): boolean {
  try {
    return String(statSync(`/run/netns/${name}`).ino) === netnsId();
  } catch {
    return false;
  }
}

/** Default directory of this namespace's daemon files. */
export function defaultRunDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.ULVS_RUN_DIR || '/run/ulvs', netnsId());
}

/** Default control socket path (ULVS_SOCKET wins). */
export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.ULVS_SOCKET || path.join(defaultRunDir(env), 'ulvs.sock');
}

/** Default pid file path. */
export function defaultPidPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(defaultRunDir(env), 'ulvs.pid');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Pid of the daemon the pid file names if it still runs, else undefined (a stale file). */
export function runningPid(pidPath: string): number | undefined {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(pidPath, 'utf8').trim(), 10);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !alive(pid)) return undefined;
  try {
    // A recycled pid that is not ulvs does not count.
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!/ulvs|node/.test(cmd)) return undefined;
  } catch {
    /* no /proc: trust kill(0) */
  }
  return pid;
}

/** Writes our pid file, refusing when another live daemon owns it; a stale file (and socket) from a crash is removed. */
export function acquirePidFile(pidPath: string, socketPath: string): void {
  const other = runningPid(pidPath);
  if (other !== undefined)
    throw new UlvsError(
      `another ulvs daemon (pid ${other}) already runs in this network namespace (${pidPath}); stop it first or use --pid-file/--socket`,
      ERROR_CODES.DaemonRunning,
    );
  for (const f of [pidPath, socketPath])
    if (existsSync(f)) {
      try {
        unlinkSync(f);
      } catch {
        /* raced */
      }
    }
  writeFileSync(pidPath, `${process.pid}\n`, { mode: 0o644 });
}

/**
 * Removes the pid file if it is still ours; in the default layout also the namespace's directory and
 * the base directory once they are empty (rmdir never removes one that still holds something).
 */
export function releasePidFile(pidPath: string, env: NodeJS.ProcessEnv = process.env): void {
  try {
    if (readFileSync(pidPath, 'utf8').trim() !== String(process.pid)) return;
    unlinkSync(pidPath);
  } catch {
    return; // gone, or another daemon's
  }
  const base = env.ULVS_RUN_DIR || '/run/ulvs';
  if (path.dirname(pidPath) !== path.join(base, netnsId())) return;
  for (const dir of [path.dirname(pidPath), base]) {
    try {
      rmdirSync(dir);
    } catch {
      break;
    }
  }
}
