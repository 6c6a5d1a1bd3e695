/**
 * Network-namespace primitives for the lab and lab tests: create, list, delete (ending the processes
 * inside first, by PID), and run `ip -batch` inside one. Everything lives in namespaces named
 * `ulvs-<labid>-<node>`; nothing is created in the caller's namespace.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { run, runOk } from '../util/exec.js';

/** The prefix of every namespace of lab `id`. */
export function nsPrefix(id: string): string {
  return `ulvs-${id}-`;
}

/** Names of all network namespaces on this host. */
export async function listNetns(): Promise<string[]> {
  const r = await run(['ip', 'netns', 'list']);
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter(Boolean);
}

/** Creates a namespace with loopback up. */
export async function addNetns(name: string): Promise<void> {
  await runOk(['ip', 'netns', 'add', name]);
  await runOk(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
}

/** PIDs of the processes living in namespace `name`. */
export async function netnsPids(name: string): Promise<number[]> {
  const r = await run(['ip', 'netns', 'pids', name]);
  return r.stdout
    .split('\n')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 0 && n !== process.pid);
}

/** True while `pid` runs (a zombie waiting for its parent counts as ended). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Where ulvs keeps per-namespace state (daemon socket dir, director and real-server state files). */
export const ULVS_RUN_DIR = '/run/ulvs';

/** Removes the ulvs state kept for the network namespace with inode `ino` (its dir and *-<ino>.json). */
export function removeNetnsState(ino: number): void {
  if (!existsSync(ULVS_RUN_DIR)) return;
  rmSync(path.join(ULVS_RUN_DIR, String(ino)), { recursive: true, force: true });
  for (const f of readdirSync(ULVS_RUN_DIR)) {
    if (f.endsWith(`-${ino}.json`)) rmSync(path.join(ULVS_RUN_DIR, f), { force: true });
  }
}

/**
 * Ends the processes inside `name` (SIGTERM, then SIGKILL after graceMs), deletes the namespace, and
 * removes the ulvs state files that belonged to it (a process killed with the namespace cannot).
 */
export async function delNetns(name: string, graceMs = 1500): Promise<void> {
  let ino = 0;
  try {
    ino = statSync(`/run/netns/${name}`).ino;
  } catch {
    /* not mounted */
  }
  const pids = await netnsPids(name);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
  const until = Date.now() + graceMs;
  while (pids.some(alive) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  for (const pid of pids.filter(alive)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  await run(['ip', 'netns', 'del', name]);
  if (ino) removeNetnsState(ino);
}

/** Runs `ip -batch -` inside namespace `ns` (or here when ns is empty); rejects naming the failing line. */
export async function ipBatch(ns: string, lines: string[]): Promise<void> {
  if (lines.length === 0) return;
  const argv = ns ? ['ip', '-n', ns, '-batch', '-'] : ['ip', '-batch', '-'];
  const r = await run(argv, { input: lines.join('\n') + '\n' });
  if (r.code !== 0) throw new Error(`ip -batch in ${ns || 'this namespace'} failed: ${r.stderr.trim()}`);
}

/** Sets sysctls inside namespace `ns` (key=value pairs, e.g. net.ipv4.ip_forward=1). */
export async function sysctl(ns: string, settings: string[]): Promise<void> {
  if (settings.length === 0) return;
  await runOk(['sysctl', '-q', '-w', ...settings], { netns: ns });
}
