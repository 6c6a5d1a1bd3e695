/**
 * The daemon's sync daemons: at most one master and one backup, as the kernel allows, started and
 * stopped by `ulvsadm --start-daemon/--stop-daemon`, or by keepalived's `lvs_sync_daemon`, whose role
 * follows a VRRP instance (keepalived's ipvs_syncd_master / ipvs_syncd_backup): MASTER sends, any other
 * state receives. The VRRP state is polled (a few times a second). Beyond keepalived: each time the
 * followed instance's director starts receiving (at start, after a restart, after MASTER or FAULT) it
 * holds that instance's preemption until its backup daemon has the master's whole table (bulk sync),
 * so a returning director of higher priority takes over only once it knows every connection.
 */
import { ConnSync, type ConnSyncCounters, type ConnSyncOptions, type SyncTablePort } from './conn-sync.js';
import type { SyncDaemonInfo } from './types.js';

/** Why a start or stop was refused, with ipvsadm's errno. */
export class SyncDaemonError extends Error {
  /** errno name as ipvsadm reports it. */
  readonly errno: string;
  constructor(message: string, errno: string) {
    super(message);
    this.name = 'SyncDaemonError';
    this.errno = errno;
  }
}

/** `lvs_sync_daemon` as configured: the options and the VRRP instance whose state picks the role. */
export interface VrrpFollowedSync {
  instance: string;
  options: Omit<ConnSyncOptions, 'state' | 'log' | 'transport' | 'onCaughtUp'>;
}

/** Starts, stops and lists the sync daemons of one ulvs daemon. */
export class SyncManager {
  private readonly running = new Map<'master' | 'backup', ConnSync>();
  private follow?: VrrpFollowedSync;
  private followTimer?: NodeJS.Timeout;
  private switching = false;

  constructor(
    private readonly table: () => SyncTablePort | undefined,
    private readonly log: (line: string) => void,
    /** Holds or releases preemption by a VRRP instance (VrrpManager.setPreemptHold). */
    private readonly holdPreempt: (instance: string, hold: boolean) => void = () => {},
  ) {}

  /** Starts a daemon in `o.state`; refuses a second one of the same state (EEXIST), or no table (ENOPROTOOPT). */
  async start(o: Omit<ConnSyncOptions, 'log'>): Promise<void> {
    if (this.running.has(o.state)) throw new SyncDaemonError('Sync daemon is already running', 'EEXIST');
    const t = this.table();
    if (!t) throw new SyncDaemonError('Protocol not available: this data plane has no shared connection table', 'ENOPROTOOPT');
    const d = await ConnSync.start({ ...o, log: this.log }, t);
    this.running.set(o.state, d);
  }

  /** Stops the daemon in `state`; ESRCH when none runs. */
  stop(state: 'master' | 'backup'): void {
    const d = this.running.get(state);
    if (!d) throw new SyncDaemonError('No daemon is running', 'ESRCH');
    d.stop();
    this.running.delete(state);
  }

  /** What `ipvsadm -L --daemon` lists, master first. */
  infos(): SyncDaemonInfo[] {
    return (['master', 'backup'] as const).flatMap((s) => {
      const d = this.running.get(s);
      return d ? [d.info()] : [];
    });
  }

  /** Counters per running daemon (status, metrics). */
  counters(): Array<{ state: 'master' | 'backup' } & ConnSyncCounters> {
    const now = Date.now();
    return [...this.running].map(([state, d]) => ({ state, ...d.snapshot(now) }));
  }

  /**
   * Follows a VRRP instance (keepalived's lvs_sync_daemon), or stops following when undefined: the
   * role is switched whenever `stateOf(instance)` changes between MASTER and anything else.
   */
  followVrrp(f: VrrpFollowedSync | undefined, stateOf: (instance: string) => string | undefined): void {
    const same = JSON.stringify(f) === JSON.stringify(this.follow);
    if (same && this.followTimer) return;
    if (this.followTimer) clearInterval(this.followTimer);
    this.followTimer = undefined;
    const old = this.follow;
    this.follow = f;
    if (old) {
      for (const s of ['master', 'backup'] as const) if (this.running.has(s)) this.stop(s);
      this.holdPreempt(old.instance, false);
    }
    if (!f) return;
    // Held before the instance starts (the VRRP shell applies it at its start), released once caught up.
    if (stateOf(f.instance) !== 'MASTER') this.holdPreempt(f.instance, true);
    const tick = (): void => void this.switchRole(stateOf(f.instance) === 'MASTER' ? 'master' : 'backup');
    this.followTimer = setInterval(tick, 200);
    this.followTimer.unref();
    tick();
  }

  private async switchRole(want: 'master' | 'backup'): Promise<void> {
    const f = this.follow;
    if (!f || this.switching || (this.running.has(want) && this.running.size === 1)) return;
    this.switching = true;
    try {
      const other = want === 'master' ? 'backup' : 'master';
      if (this.running.has(other)) this.stop(other);
      if (want === 'backup') this.holdPreempt(f.instance, true);
      else this.holdPreempt(f.instance, false);
      if (!this.running.has(want)) {
        await this.start({
          ...f.options,
          state: want,
          onCaughtUp: () => {
            if (this.follow === f) this.holdPreempt(f.instance, false);
          },
        });
      }
    } catch (e) {
      this.holdPreempt(f.instance, false);
      this.log(`lvs_sync_daemon: starting the ${want} sync daemon failed: ${(e as Error).message}`);
    } finally {
      this.switching = false;
    }
  }

  /** Stops following and every daemon. */
  stopAll(): void {
    if (this.followTimer) clearInterval(this.followTimer);
    this.followTimer = undefined;
    if (this.follow) this.holdPreempt(this.follow.instance, false);
    this.follow = undefined;
    for (const s of ['master', 'backup'] as const) if (this.running.has(s)) this.stop(s);
  }
}
