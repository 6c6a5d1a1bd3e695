/**
 * The daemon's file-descriptor budget: Node cannot call setrlimit, so the soft RLIMIT_NOFILE is raised
 * to the hard limit with util-linux `prlimit --pid` at start. With the listeners' connection caps far
 * below it, the daemon's own work (spawning `ip`, reading sysfs, VRRP sockets) always finds an fd.
 */
import { readFileSync } from 'node:fs';
import { run } from './exec.js';

/** The open-files limits of this process (Infinity for "unlimited"). */
export interface FdLimits {
  soft: number;
  hard: number;
}

/** Reads RLIMIT_NOFILE from /proc/self/limits; undefined where that file is missing. */
export function readFdLimits(): FdLimits | undefined {
  try {
    const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (!m) return undefined;
    const num = (s: string): number => (s === 'unlimited' ? Infinity : Number(s));
    return { soft: num(m[1]!), hard: num(m[2]!) };
  } catch {
    return undefined;
  }
}

/** Raises the soft open-files limit to the hard one; resolves with the limits in force afterwards. */
export async function raiseFdLimit(log: (msg: string) => void = () => {}): Promise<FdLimits | undefined> {
  const before = readFdLimits();
  if (!before || before.soft >= before.hard) return before;
  const hard = before.hard === Infinity ? 'unlimited' : String(before.hard);
  const r = await run(['prlimit', '--pid', String(process.pid), `--nofile=${hard}:${hard}`], { timeoutMs: 5000 });
  if (r.code !== 0)
    log(`could not raise the open-files limit from ${before.soft} to ${hard} (${r.stderr.trim() || `prlimit exited ${r.code}`}); running with ${before.soft}`);
  return readFdLimits();
}
