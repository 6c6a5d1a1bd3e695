/**
 * vrrp_track_process: counts the running processes matching each block and reports up when the
 * count is within quorum..quorum_max, after fork_delay (up) / terminate_delay (down) — keepalived's
 * core/track_process.c. keepalived learns of forks and exits from the kernel's proc connector; ulvs
 * rescans /proc once a second (comm, plus cmdline for blocks with parameters or full_command).
 * Zombies do not count, as in keepalived.
 */
import { EventEmitter } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';
import type { VrrpTrackProcessSpec } from './types.js';

/** One process as /proc shows it. */
export interface ProcInfo {
  comm: string;
  argv: string[];
}

/** Whether a process matches a vrrp_track_process block. */
export function processMatches(spec: VrrpTrackProcessSpec, p: ProcInfo): boolean {
  const name = spec.fullCommand ? p.argv[0] : p.comm;
  if (name !== (spec.fullCommand ? spec.process : spec.process.slice(0, 15))) return false;
  if (!spec.params.length && !spec.paramMatch) return true;
  const args = p.argv.slice(1);
  const want = spec.params;
  switch (spec.paramMatch ?? 'exact') {
    case 'exact':
      return args.length === want.length && want.every((w, i) => args[i] === w);
    case 'partial':
      return args.length >= want.length && want.every((w, i) => args[i] === w);
    case 'initial':
      return args.length === want.length && want.every((w, i) => (i === want.length - 1 ? args[i]!.startsWith(w) : args[i] === w));
  }
}

/** Reads every live process's comm and (when `needArgv`) cmdline. */
export async function scanProcesses(needArgv: boolean): Promise<ProcInfo[]> {
  const out: ProcInfo[] = [];
  let names: string[];
  try {
    names = await readdir('/proc');
  } catch {
    return out;
  }
  for (const pid of names) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      if (/\) Z /.test(stat)) continue;
      const comm = (await readFile(`/proc/${pid}/comm`, 'utf8')).replace(/\n$/, '');
      const argv = needArgv ? (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter((a, i, all) => a !== '' || i < all.length - 1) : [];
      out.push({ comm, argv });
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** Tracks every vrrp_track_process block; emits 'change' (name, up) after the delays. */
export class ProcessTracker extends EventEmitter {
  /** Current (delayed) state per block name. */
  readonly up = new Map<string, boolean>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    readonly specs: readonly VrrpTrackProcessSpec[],
    private readonly scan: (needArgv: boolean) => Promise<ProcInfo[]> = scanProcesses,
    private readonly periodMs = 1000,
  ) {
    super();
  }

  /** Scans once (setting the initial states without delay), then every period. */
  async start(): Promise<void> {
    const counts = await this.count();
    for (const s of this.specs) this.up.set(s.name, this.quorate(s, counts.get(s.name) ?? 0));
    this.timer = setInterval(() => void this.tick(), this.periodMs);
  }

  /** Stops scanning and drops pending delayed changes. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
  }

  private quorate(s: VrrpTrackProcessSpec, n: number): boolean {
    return n >= s.quorum && (s.quorumMax === undefined || n <= s.quorumMax);
  }

  private async count(): Promise<Map<string, number>> {
    const procs = await this.scan(this.specs.some((s) => s.fullCommand || s.params.length > 0 || s.paramMatch));
    return new Map(this.specs.map((s) => [s.name, procs.filter((p) => processMatches(s, p)).length]));
  }

  private async tick(): Promise<void> {
    const counts = await this.count();
    if (this.stopped) return;
    for (const s of this.specs) {
      const now = this.quorate(s, counts.get(s.name) ?? 0);
      const cur = this.up.get(s.name);
      const t = this.pending.get(s.name);
      if (now === cur) {
        if (t) {
          clearTimeout(t);
          this.pending.delete(s.name);
        }
        continue;
      }
      if (t) continue;
      const delay = now ? s.forkDelayMs : s.terminateDelayMs;
      const apply = (): void => {
        this.pending.delete(s.name);
        this.up.set(s.name, now);
        this.emit('change', s.name, now);
      };
      if (delay <= 0) apply();
      else this.pending.set(s.name, setTimeout(apply, delay));
    }
  }
}
