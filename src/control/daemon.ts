/**
 * The daemon: owns the rule table, applies the configuration (at start and on reload, as a diff),
 * health decisions and ulvsadm commands to it, publishes the result to the data plane, and answers
 * the control socket (daemon-requests.ts); its parts stop in daemon-teardown.ts's order. Signals and
 * process exit live in cli/commands/run.ts; everything here can be driven by tests with fake ports.
 */
import { RuntimePathError } from '../core/errors.js';
import path from 'node:path';
import { ControlServer, prepareSocketDir } from '../api/server.js';
import type { ApiRequest, OpResult } from '../api/protocol.js';
import type { IpvsRules, IpvsTimeouts, VirtualServiceSpec } from '../ipvs/types.js';
import type { ConfigLoad, DaemonModel } from './config-source.js';
import { HealthOverlay } from './health-overlay.js';
import { buildListing, counterMap } from './listing.js';
import type { HealthDecision } from './ports.js';
import { RATE_INTERVAL_MS, RateEstimator } from './rate-estimator.js';
import { acquirePidFile, netnsId } from './runtime-paths.js';
import { IpvsadmError } from '../ipvs/errors.js';
import { diffServices, driftOps, applyConfigOps, describeOp } from './rule-diff.js';
import { RuleTable, type RuleOp } from './rule-table.js';
import type { IpvsListing } from './types.js';
import { notifyFifos } from '../util/notify-fifo.js';
import { mailAlerts } from './mail-alerts.js';
import { bfdSessions } from '../bfd/registry.js';
import type { VrrpConfig } from '../vrrp/types.js';
import type { DumpInput } from './keepalived-dumps.js';
import { SyncManager } from './sync-manager.js';
import type { LvsSyncDaemonConfig } from '../config/types.js';
import { drainDirector, type DrainReport } from './drain.js';
import { answerRequest } from './daemon-requests.js';
import { DaemonStartError, type DaemonOptions, type ReloadReport } from './daemon-options.js';
import { lvsSyncFollow } from './lvs-sync-follow.js';
import { stopDaemonParts } from './daemon-teardown.js';

/** The running daemon. */
export class Daemon {
  readonly table = new RuleTable();
  private readonly overlay = new HealthOverlay();
  private readonly rates = new RateEstimator();
  private configServices: VirtualServiceSpec[] = [];
  private lastDesired: VirtualServiceSpec[] = [];
  private configTimeouts?: IpvsTimeouts;
  private server?: ControlServer;
  private rateTimer?: NodeJS.Timeout;
  private queue: Promise<unknown> = Promise.resolve();
  private publishedGeneration = -1;
  /** The rules the data plane runs (the last publish that resolved): what listings show. */
  private publishedRules: ReturnType<RuleTable['rules']> | undefined;
  private startedAtMs = 0;
  private lastReload?: ReloadReport & { atMs: number };
  private stopping?: Promise<void>;
  /** True inside start/reload: health decisions are recorded directly and applied by that change. */
  private mutating = false;
  /** Successful and refused (re)loads, and the time of the last success (ms since the epoch). */
  readonly reloadStats = { ok: 0, failed: 0, lastSuccessMs: 0 };

  /** The VRRP part of the configuration in force (for keepalived's dump files). */
  private vrrpModel?: VrrpConfig;

  /** Connection sync daemons (ulvsadm --start-daemon, lvs_sync_daemon). */
  readonly sync: SyncManager;

  constructor(readonly opts: DaemonOptions) {
    this.sync = new SyncManager(
      () => opts.dataPlane.syncTable?.(),
      (m) => opts.logger.info(m),
      (instance, hold) => {
        opts.logger.info(
          `lvs_sync_daemon: ${hold ? 'holding' : 'releasing'} preemption by ${instance} (${hold ? "until the master's whole table is here" : 'caught up'})`,
        );
        opts.vrrp?.setPreemptHold?.(instance, hold);
      },
    );
  }

  /** lvs_sync_daemon: follow its VRRP instance (MASTER sends, otherwise receive), or stop following. */
  private configureSync(model: unknown): void {
    this.sync.followVrrp(lvsSyncFollow(model), (name) => this.opts.vrrp?.instances().find((i) => i.name === name)?.state);
  }

  /** What keepalived's DATA/STATS/JSON dumps read: the VRRP config in force, the instances, the IPVS listing. */
  dumpInput(): DumpInput {
    return { vrrp: this.vrrpModel, instances: this.opts.vrrp?.instances() ?? [], listing: this.listing(), nowS: Date.now() / 1000 };
  }

  /** Loads the configuration (refusing it whole on error), applies it, and opens the control socket. */
  async start(): Promise<void> {
    const log = this.opts.logger;
    const cfg = await this.opts.loadConfig(this.opts.configFile);
    for (const w of cfg.warnings) log.warn(w);
    if (!cfg.ok) throw new DaemonStartError(`${this.opts.configFile} has ${cfg.errors.length} error(s); nothing was started`, cfg.errors);
    for (const d of new Set([path.dirname(this.opts.pidPath), path.dirname(this.opts.socketPath)])) {
      try {
        prepareSocketDir(d);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
          throw new RuntimePathError(`cannot create ${d} (${code}): run as root, or choose writable paths with --socket and --pid-file (or ULVS_RUN_DIR)`);
        throw e;
      }
    }
    acquirePidFile(this.opts.pidPath, this.opts.socketPath);
    try {
      this.startedAtMs = Date.now();
      // Health first: its initial decisions (alpha: real servers start down) shape the first rules.
      this.opts.health?.onDecision((d) => {
        if (this.mutating) this.overlay.record(d);
        else void this.serialize(() => this.onHealth(d));
      });
      this.mutating = true;
      try {
        this.configureFifos(cfg.model);
        await bfdSessions((m) => this.opts.logger.info(`bfd: ${m}`)).apply(cfg.model?.bfd ?? []);
        await this.opts.health?.apply(cfg.model);
        this.converge(cfg);
        await this.publish();
        // A starting director with lvs_sync_daemon holds its instance's preemption before VRRP starts
        // (whatever its priority) until the master's whole table is here (sync-manager.ts).
        const lvsSync = (cfg.model as { global?: { lvsSync?: LvsSyncDaemonConfig } } | undefined)?.global?.lvsSync;
        if (lvsSync) this.opts.vrrp?.setPreemptHold?.(lvsSync.instance, true);
        await this.opts.vrrp?.apply(cfg.model);
        this.vrrpModel = (cfg.model as { vrrp?: VrrpConfig } | undefined)?.vrrp;
        this.configureSync(cfg.model);
        await this.opts.bgp?.apply(cfg.model?.bgp);
      } finally {
        this.mutating = false;
      }
      this.reloadStats.ok++;
      this.reloadStats.lastSuccessMs = Date.now();
      this.server = new ControlServer(
        this.opts.socketPath,
        (req) => this.handle(req),
        (m) => log.warn(m),
      );
      await this.server.listen();
      this.rateTimer = setInterval(() => this.sampleRates(), this.opts.rateIntervalMs ?? RATE_INTERVAL_MS);
      this.rateTimer.unref();
      log.info('ulvs started', {
        config: this.opts.configFile,
        socket: this.opts.socketPath,
        netns: netnsId(),
        services: this.table.rules().services.length,
        dataplane: this.opts.dataPlane.description,
      });
    } catch (e) {
      await this.teardown();
      throw e;
    }
  }

  /** Re-reads the configuration: a broken file changes nothing; otherwise only what differs is touched. */
  reload(file = this.opts.configFile): Promise<ReloadReport> {
    return this.serialize(async () => {
      const log = this.opts.logger;
      const cfg = await this.opts.loadConfig(file);
      const report: ReloadReport = { ok: cfg.ok, file, errors: cfg.errors, warnings: cfg.warnings, changes: [], reverted: [], failed: [] };
      if (!cfg.ok) {
        log.error(`reload refused: ${file} has ${cfg.errors.length} error(s); the running configuration is unchanged`, { errors: cfg.errors });
        this.lastReload = { ...report, atMs: Date.now() };
        this.reloadStats.failed++;
        return report;
      }
      this.mutating = true;
      try {
        this.configureFifos(cfg.model);
        await bfdSessions((m) => this.opts.logger.info(`bfd: ${m}`)).apply(cfg.model?.bfd ?? []);
        await this.opts.health?.apply(cfg.model);
        const r = this.converge(cfg);
        const drift = this.revertDrift(cfg);
        report.changes = r.changes;
        report.reverted = drift.changes;
        report.failed = [...r.failed, ...drift.failed];
        await this.publish();
        await this.opts.vrrp?.apply(cfg.model);
        this.vrrpModel = (cfg.model as { vrrp?: VrrpConfig } | undefined)?.vrrp;
        this.configureSync(cfg.model);
        await this.opts.bgp?.apply(cfg.model?.bgp);
      } finally {
        this.mutating = false;
      }
      this.opts.configFile = file;
      log.info(
        `reloaded ${file}: ${report.changes.length} rule change(s)${report.reverted.length ? `, ${report.reverted.length} change(s) made with ulvsadm reverted` : ''}`,
        { changes: report.changes, reverted: report.reverted, failed: report.failed },
      );
      this.lastReload = { ...report, atMs: Date.now() };
      this.reloadStats.ok++;
      this.reloadStats.lastSuccessMs = Date.now();
      return report;
    });
  }

  /** Clean stop: health checks, VRRP (priority-0 adverts, VIPs removed), data plane (netfilter rules), socket, pid file. */
  stop(): Promise<void> {
    this.stopping ??= this.serialize(async () => {
      this.opts.logger.info('ulvs stopping');
      await this.teardown();
      this.opts.logger.info('ulvs stopped');
    });
    return this.stopping;
  }

  /**
   * The listing ipvsadm would print from: the rules the data plane runs (a change shows once every worker
   * has it, as an IPVS change is visible once it is in force) joined with live counters and rates.
   */
  listing(): IpvsListing {
    return { ...buildListing(this.publishedRules ?? this.table.rules(), this.opts.dataPlane.counters(), this.rates), daemons: this.sync.infos() };
  }

  /** Applies one ulvsadm change; throws IpvsadmError with ipvsadm's message. */
  applyAdmin(op: RuleOp): Promise<void> {
    return this.serialize(async () => {
      const before = this.table.rules();
      this.table.apply(op);
      if (op.kind === 'zero') this.opts.dataPlane.zero(op.key);
      const failed = await this.publishOrRollBack(before);
      if (failed) throw failed;
    });
  }

  /**
   * Publishes the table; when the data plane cannot install it (a route refused, iptables failing), puts
   * `before` back and publishes that, so a change is in force whole or not at all, and returns the error
   * ulvsadm reports (ipvsadm's kind: a message and an errno).
   */
  private async publishOrRollBack(before: IpvsRules): Promise<IpvsadmError | undefined> {
    try {
      await this.publish();
      return undefined;
    } catch (e) {
      const why = (e as Error).message;
      this.opts.logger.error(`the data plane could not install a ulvsadm change, rolled back: ${why}`);
      this.table.restore(before);
      await this.publish().catch((e2) => this.opts.logger.error(`re-installing the previous rules failed too: ${(e2 as Error).message}`));
      return new IpvsadmError(`${why} (the change was rolled back)`, 255, 'EINVAL');
    }
  }

  /** Applies ulvsadm changes in order (each may fail alone, as ipvsadm -R goes on) and publishes once. */
  applyAdminBatch(ops: RuleOp[]): Promise<OpResult[]> {
    return this.serialize(async () => {
      const before = this.table.rules();
      const results: OpResult[] = [];
      for (const op of ops) {
        try {
          this.table.apply(op);
          if (op.kind === 'zero') this.opts.dataPlane.zero(op.key);
          results.push({ ok: true });
        } catch (e) {
          if (!(e instanceof IpvsadmError)) throw e;
          results.push({ ok: false, errno: e.errno ?? 'EINVAL', message: e.message });
        }
      }
      const failed = await this.publishOrRollBack(before);
      return failed ? results.map((r) => (r.ok ? { ok: false, errno: failed.errno ?? 'EINVAL', message: failed.message } : r)) : results;
    });
  }

  /** `ulvs drain` (drain.ts): withdraw, wait for the traffic to move, then have the daemon stopped. */
  async drain(): Promise<DrainReport> {
    const inPkts = (): number => this.opts.dataPlane.counters().reduce((n, s) => n + s.stats.inPkts, 0);
    const report = await drainDirector(this.opts.bgp, inPkts, this.opts.logger);
    setImmediate(() => this.opts.onDrained?.());
    return report;
  }

  /** Daemon status for `ulvs status` and the API. */
  status(): Record<string, unknown> {
    return {
      pid: process.pid,
      config: this.opts.configFile,
      netns: netnsId(),
      socket: this.opts.socketPath,
      uptimeS: Math.round((Date.now() - this.startedAtMs) / 1000),
      dataPlane: this.opts.dataPlane.description,
      dataPlaneCounters: this.opts.dataPlane.metrics?.() ?? null,
      services: this.table.rules().services.length,
      configServices: this.configServices.length,
      lastReload: this.lastReload ?? null,
      vrrp: this.opts.vrrp?.instances() ?? [],
      health: this.opts.health?.views() ?? [],
      sync: this.sync.counters(),
    };
  }

  /** Answers one control-socket request (daemon-requests.ts). */
  handle(req: ApiRequest): Promise<unknown> {
    return answerRequest(this, req);
  }

  private converge(cfg: ConfigLoad): { changes: string[]; failed: string[] } {
    this.opts.dataPlane.setForeignAddresses?.(vrrpAddresses(cfg.model));
    this.overlay.retain(cfg.services, this.configServices);
    this.configServices = cfg.services;
    const r = this.convergeDesired();
    if (cfg.timeouts && JSON.stringify(cfg.timeouts) !== JSON.stringify(this.configTimeouts)) {
      this.table.apply({ kind: 'set-timeouts', timeouts: cfg.timeouts });
      this.configTimeouts = cfg.timeouts;
      r.changes.push(`set-timeouts ${cfg.timeouts.tcpS} ${cfg.timeouts.tcpFinS} ${cfg.timeouts.udpS}`);
    }
    return r;
  }

  /** Reload converges to the file: the file's services (and timeouts) as ulvsadm may have changed them are put back. */
  private revertDrift(cfg: ConfigLoad): { changes: string[]; failed: string[] } {
    const now = this.table.rules();
    const ops = driftOps(now.services, this.lastDesired);
    const report = applyConfigOps(this.table, ops);
    const changes = ops.map(describeOp);
    // Timeouts only when the file sets them (lvs_timeouts); otherwise ulvsadm --set stands.
    const fileSetsTimeouts = !!cfg.model?.global?.lvsTimeouts;
    const t = cfg.timeouts;
    if (t && fileSetsTimeouts && (t.tcpS !== now.timeouts.tcpS || t.tcpFinS !== now.timeouts.tcpFinS || t.udpS !== now.timeouts.udpS)) {
      this.table.apply({ kind: 'set-timeouts', timeouts: t });
      changes.push(`set-timeouts ${t.tcpS} ${t.tcpFinS} ${t.udpS}`);
    }
    for (const f of report.failed) this.opts.logger.warn(`rule change failed: ${f}`);
    return { changes, failed: report.failed };
  }

  private convergeDesired(): { changes: string[]; failed: string[] } {
    const desired = this.overlay.apply(this.configServices);
    const ops = diffServices(this.lastDesired, desired);
    const report = applyConfigOps(this.table, ops);
    this.lastDesired = desired;
    for (const f of report.failed) this.opts.logger.warn(`rule change failed: ${f}`);
    return { changes: ops.map(describeOp), failed: report.failed };
  }

  private async onHealth(d: HealthDecision): Promise<void> {
    if (this.stopping || !this.overlay.record(d)) return;
    this.convergeDesired();
    await this.publish();
  }

  private async publish(): Promise<void> {
    if (this.table.generation === this.publishedGeneration) return;
    const gen = this.table.generation;
    const rules = this.table.rules();
    await this.opts.dataPlane.publish(rules);
    this.publishedGeneration = gen;
    this.publishedRules = rules;
    // The data plane runs these rules now: announce what they serve, withdraw what they no longer do.
    await this.opts.bgp?.update(rules);
  }

  private sampleRates(): void {
    try {
      this.rates.sample(counterMap(this.opts.dataPlane.counters()), this.opts.rateIntervalMs ?? RATE_INTERVAL_MS);
    } catch (e) {
      this.opts.logger.warn(`reading counters failed: ${(e as Error).message}`);
    }
  }

  private async teardown(): Promise<void> {
    if (this.rateTimer) clearInterval(this.rateTimer);
    await stopDaemonParts(this.opts, this.sync, this.server);
  }

  /** Opens (or keeps, or closes) notify_fifo / vrrp_notify_fifo / lvs_notify_fifo for a model. */
  private configureFifos(model: DaemonModel | undefined): void {
    const f = notifyFifos();
    f.log = (m) => this.opts.logger.warn(m);
    f.configure(model?.global?.notifyFifos);
    const mail = mailAlerts();
    mail.log = (m) => this.opts.logger.warn(m);
    mail.configure(model?.global?.smtp, model?.health ?? []);
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn, fn);
    this.queue = p.catch(() => undefined);
    return p;
  }
}

/** Every VIP (incl. excluded ones) of the configuration's VRRP instances. */
function vrrpAddresses(model: DaemonModel | undefined): string[] {
  const inst = model?.vrrp?.instances ?? [];
  return inst.flatMap((i) => [...(i.vips ?? []), ...(i.excludedVips ?? [])].map((v) => v.address));
}
