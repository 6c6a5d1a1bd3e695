/**
 * Netlink link and address events for the VRRP side, as keepalived's vrrp_netlink.c listens to
 * RTM_NEWLINK/RTM_NEWADDR/RTM_DELADDR: one long-lived `ip -o monitor link address` child whose
 * output lines are coalesced (a burst of events gives one callback after `settleMs`). The
 * callback re-reads the interfaces; nothing is parsed from the event text itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** Watches link and address changes in the daemon's network namespace. */
export class LinkMonitor {
  private child?: ChildProcess;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly onChange: () => void,
    private readonly settleMs = 50,
  ) {}

  /** Starts `ip monitor`; restarts it (after a second) if it exits while running. */
  start(): void {
    this.stopped = false;
    let c: ChildProcess;
    try {
      c = spawn('ip', ['-o', 'monitor', 'link', 'address'], { stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      return; // e.g. EMFILE: the interface poll still runs
    }
    c.on('error', () => {});
    c.stdout?.on('data', () => this.kick());
    c.on('close', () => {
      if (this.child === c) this.child = undefined;
      if (!this.stopped)
        setTimeout(() => {
          if (!this.stopped && !this.child) this.start();
        }, 1000).unref();
    });
    this.child = c;
  }

  /** Ends the child (by its own PID). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const c = this.child;
    this.child = undefined;
    if (c?.pid && c.exitCode === null) {
      try {
        process.kill(c.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
  }

  private kick(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.onChange();
    }, this.settleMs);
  }
}
