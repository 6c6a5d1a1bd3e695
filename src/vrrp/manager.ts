/**
 * VrrpManager: runs every vrrp_instance of a VrrpConfig — shared raw sockets per interface,
 * vrrp_script trackers, track_interface polling, vrrp_sync_group coupling, ordered notify
 * scripts — and reports state changes with the VIPs to serve ('state' events) for the daemon
 * and data plane. reload() diffs like keepalived's SIGHUP (§6.3: instances matched by VRID,
 * family, interface, unicast/multicast and source/group, not by name).
 */
import { EventEmitter } from 'node:events';
import { VrrpInstance } from './instance.js';
import type { InstanceDeps } from './instance-deps.js';
import { instanceDepsOf } from './instance-defaults.js';
import type { VrrpInstanceStatus, VrrpManagerOptions } from './manager-options.js';
import { reloadKey } from './reload-diff.js';
import { readInterface, readOperUp } from './interface-info.js';
import { NotifyQueue, queueNotify } from './notify.js';
import { RawVrrpSocket, type VrrpTransport } from './socket.js';
import { ScriptTracker, trackEffect } from './track-script.js';
import type { VrrpConfig, VrrpFamily, VrrpInstanceSpec, VrrpState, VrrpStateEvent, VrrpSyncGroupSpec } from './types.js';
import { validate } from './validate.js';
import { addVipsFast, closeIpBatch, removeVipsFast } from './vip.js';
import { addRoutesAndRules, closeRouteBatches, removeRoutesAndRules } from './routes.js';
import { StaticSet } from './statics.js';
import { advertsOnVmac, setupVmac, vmacOf } from './vmac.js';
import { removeNoAcceptChains } from './no-accept.js';
import { FileProcessTrackers } from './file-process-trackers.js';
import { LinkStates } from './link-states.js';
import { fifoVrrpLine, notifyFifos } from '../util/notify-fifo.js';

/** Typed events of VrrpManager. */
export interface VrrpManager {
  on(event: 'state', listener: (e: VrrpStateEvent) => void): this;
  once(event: 'state', listener: (e: VrrpStateEvent) => void): this;
  off(event: 'state', listener: (e: VrrpStateEvent) => void): this;
}

/** Runs the VRRP side of one keepalived.conf; emits 'state' (VrrpStateEvent). */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface above types the EventEmitter's events
export class VrrpManager extends EventEmitter {
  private instanceMap = new Map<string, VrrpInstance>();
  private sockets = new Map<string, VrrpTransport & { close?(): void }>();
  private trackers = new Map<string, ScriptTracker>();
  private linkTimer?: NodeJS.Timeout;
  private polls = 0;
  private polling = false;
  private readonly notify: NotifyQueue;
  private readonly log: (msg: string) => void;
  private groupState = new Map<string, VrrpState>();
  private readonly statics: StaticSet;
  private readonly fileProc: FileProcessTrackers;
  private readonly writeFifo: (line: string) => void;
  private readonly links: LinkStates;

  constructor(
    private config: VrrpConfig,
    private readonly opts: VrrpManagerOptions = {},
  ) {
    super();
    this.log = opts.log ?? ((m) => process.stderr.write(`ulvs vrrp: ${m}\n`));
    this.notify = new NotifyQueue((r) => {
      if (r.code !== 0) this.log(`notify '${r.argv.join(' ')}' exited ${r.code}${r.stderr.trim() ? `: ${r.stderr.trim()}` : ''}`);
      opts.onNotify?.(r);
    });
    this.fileProc = new FileProcessTrackers(this.log, () => this.applyTracking());
    this.writeFifo = opts.writeFifo ?? ((l) => notifyFifos().vrrp(l));
    this.links = new LinkStates(opts.readOperUp ?? readOperUp, this.log);
    const d = opts.deps ?? {};
    this.statics = new StaticSet({
      addVips: d.addVips ?? addVipsFast,
      removeVips: d.removeVips ?? removeVipsFast,
      addRoutes: d.addRoutes ?? addRoutesAndRules,
      removeRoutes: d.removeRoutes ?? removeRoutesAndRules,
      log: this.log,
    });
  }

  /** Validates, then starts every instance; throws one sentence per error found by validate(). */
  async start(): Promise<void> {
    this.assertValid(this.config);
    this.started = true;
    await this.statics.apply(this.config);
    await this.fileProc.apply(this.config);
    this.startTrackers(this.config);
    for (const spec of this.config.instances) await this.addInstance(spec);
    this.applyTracking();
    this.linkTimer = setInterval(() => {
      if (!this.polling) {
        this.polling = true;
        void this.pollLinks().finally(() => {
          this.polling = false;
        });
      }
    }, this.opts.linkPollMs ?? 200);
  }

  /** Stops every instance (priority 0 adverts, VIPs removed, notify_stop), then waits for the notify queue. */
  async stop(): Promise<void> {
    if (this.linkTimer) clearInterval(this.linkTimer);
    this.linkTimer = undefined;
    for (const t of this.trackers.values()) t.stop();
    this.fileProc.stop();
    await Promise.all([...this.instanceMap.values()].map((i) => i.stop('STOP')));
    // keepalived's notify_shutdown: after the instances, every sync group notifies STOP.
    for (const g of this.config.syncGroups) {
      queueNotify(this.notify, g.notify, 'GROUP', g.name, 'STOP', 0, 10000);
      this.writeFifo(fifoVrrpLine('GROUP', g.name, 'STOP', 0));
    }
    this.groupState.clear();
    for (const s of this.sockets.values()) s.close?.();
    this.sockets.clear();
    await this.statics.clear();
    if (!this.opts.deps?.filterVips) await removeNoAcceptChains();
    await this.notify.drain();
    if (!this.opts.deps?.addVips) closeIpBatch();
    if (!this.opts.deps?.addRoutes) closeRouteBatches();
  }

  /** Applies a new configuration the way keepalived's SIGHUP does; refuses an invalid one (old kept). */
  async reload(config: VrrpConfig): Promise<void> {
    this.assertValid(config);
    const oldByKey = new Map([...this.instanceMap.values()].map((i) => [reloadKey(i.spec), i]));
    const next = new Map<string, VrrpInstance>();
    for (const t of this.trackers.values()) t.stop();
    const oldTrackers = this.trackers;
    this.trackers = new Map();
    this.config = config;
    await this.statics.apply(config);
    await this.fileProc.apply(config);
    this.startTrackers(config, oldTrackers);
    const toStart: VrrpInstanceSpec[] = [];
    for (const spec of config.instances) {
      const inst = oldByKey.get(reloadKey(spec));
      if (inst) {
        oldByKey.delete(reloadKey(spec));
        this.instanceMap.delete(inst.name);
        await inst.reload(spec);
        next.set(spec.name, inst);
      } else toStart.push(spec);
    }
    for (const gone of oldByKey.values()) {
      this.instanceMap.delete(gone.name);
      await gone.stop('DELETED');
      if (advertsOnVmac(gone.spec)) this.closeSocketsOn(vmacOf(gone.spec).name); // the VMAC is gone with it
    }
    this.instanceMap = next;
    for (const spec of toStart) await this.addInstance(spec);
    this.applyTracking();
    if (config.fifoWriteStatesOnReload) this.writeStates();
  }

  /** fifo_write_vrrp_states_on_reload: the current state of every instance, then of every sync group. */
  private writeStates(): void {
    for (const i of this.instanceMap.values()) if (i.state !== 'INIT') this.writeFifo(fifoVrrpLine('INSTANCE', i.name, i.state, i.priority));
    for (const [g, st] of this.groupState) if (this.config.syncGroups.some((x) => x.name === g)) this.writeFifo(fifoVrrpLine('GROUP', g, st, 0));
  }

  private readonly preemptHolds = new Set<string>();

  /**
   * Holds or releases preemption by instance `name` (connection sync: a returning director stays BACKUP
   * until it has the master's full table); a hold set before the instance exists applies at its start.
   */
  setPreemptHold(name: string, hold: boolean): void {
    if (hold) this.preemptHolds.add(name);
    else this.preemptHolds.delete(name);
    this.instanceMap.get(name)?.setPreemptHold(hold);
  }

  /** Starts on the first call, reloads (keepalived SIGHUP semantics) on later ones. */
  async apply(config: VrrpConfig): Promise<void> {
    if (!this.started) {
      this.config = config;
      await this.start();
    } else await this.reload(config);
  }
  private started = false;

  /** The daemon's status/metrics view of every instance (control/ports.ts VrrpInstanceView). */
  instances(): {
    name: string;
    vrid: number;
    family: VrrpFamily;
    interface: string;
    state: string;
    priority: number;
    effectivePriority: number;
    transitions: number;
    advertsSent: number;
    advertsReceived: number;
    advertsDropped: Record<string, number>;
    becomeMaster: number;
    releaseMaster: number;
    priorityZeroReceived: number;
    priorityZeroSent: number;
  }[] {
    return [...this.instances_().values()].map((i) => ({
      name: i.name,
      vrid: i.spec.vrid,
      family: i.spec.family,
      interface: i.spec.interface,
      state: i.state,
      priority: i.spec.priority,
      effectivePriority: i.priority,
      transitions: i.stats.becomeMaster + i.stats.releaseMaster,
      advertsSent: i.stats.advertsSent,
      advertsReceived: i.stats.advertsReceived,
      advertsDropped: { ...i.stats.drops } as Record<string, number>,
      becomeMaster: i.stats.becomeMaster,
      releaseMaster: i.stats.releaseMaster,
      priorityZeroReceived: i.stats.priorityZeroReceived,
      priorityZeroSent: i.stats.priorityZeroSent,
    }));
  }
  private instances_(): Map<string, VrrpInstance> {
    return this.instanceMap;
  }

  /** Status of every instance. */
  status(): VrrpInstanceStatus[] {
    return [...this.instanceMap.values()].map((i) => ({
      name: i.name,
      vrid: i.spec.vrid,
      interface: i.spec.interface,
      state: i.state,
      priority: i.priority,
      faults: [...i.faults],
      stats: i.stats,
    }));
  }

  /** Drops not attributable to an instance, per socket (family/interface). */
  socketDrops(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [k, s] of this.sockets) out[k] = Object.fromEntries(s.drops);
    return out;
  }

  /** Resolves when every notify script queued so far has finished. */
  drainNotify(): Promise<void> {
    return this.notify.drain();
  }

  private assertValid(config: VrrpConfig): void {
    const errors = validate(config).filter((p) => p.severity === 'error');
    if (errors.length) throw new Error(errors.map((e) => e.message).join(' '));
  }

  private closeSocketsOn(ifname: string): void {
    for (const [k, sock] of this.sockets)
      if (k.split('/')[1] === ifname) {
        sock.close?.();
        this.sockets.delete(k);
      }
  }

  /** The shared socket of (family, interface); auth_type AH instances use an IPv4 protocol-51 one. */
  private transport(family: VrrpFamily, ifname: string, protocol: 112 | 51 = 112): VrrpTransport {
    const key = `${family}/${ifname}${protocol === 51 ? '/ah' : ''}`;
    let s = this.sockets.get(key);
    if (!s) {
      s = this.opts.transportFactory ? this.opts.transportFactory(family, ifname, protocol) : new RawVrrpSocket(family, ifname, protocol);
      this.sockets.set(key, s);
    }
    return s;
  }

  private deps(spec: VrrpInstanceSpec, advertIf = spec.interface): InstanceDeps {
    const protocol = spec.version === 2 && spec.family === 4 && spec.authentication?.type === 'AH' ? 51 : 112;
    return instanceDepsOf(this.opts.deps ?? {}, () => this.transport(spec.family, advertIf, protocol), this.notify, this.writeFifo, this.log);
  }

  private async addInstance(spec: VrrpInstanceSpec): Promise<void> {
    // use_vmac (keepalived's default, no vmac_xmit_base): adverts go out on the VMAC, so it must exist
    // before the socket is bound to it.
    let vmacSetup: string[] | undefined;
    let advertIf = spec.interface;
    if (advertsOnVmac(spec) && !this.opts.deps?.readInterface) {
      const base = await readInterface(spec.interface).catch(() => undefined);
      if (base) {
        vmacSetup = await setupVmac(spec, base.linkLocal6[0]);
        if (vmacSetup.length === 0) advertIf = vmacOf(spec).name;
      }
    }
    const inst = new VrrpInstance(spec, { ...this.deps(spec, advertIf), ...(vmacSetup ? { vmacSetup } : {}) });
    this.instanceMap.set(spec.name, inst);
    if (this.preemptHolds.has(spec.name)) inst.setPreemptHold(true);
    inst.on('state', (e: VrrpStateEvent) => this.emit('state', e));
    inst.on('faults', () => this.syncFaults(inst));
    inst.on('transition', (t: { from: VrrpState; to: VrrpState; forced: boolean }) => this.onTransition(inst, t.to, t.forced));
    await inst.start();
  }

  private startTrackers(config: VrrpConfig, previous?: Map<string, ScriptTracker>): void {
    const used = new Set<string>();
    for (const i of config.instances) for (const r of i.trackScripts) used.add(r.name);
    for (const g of config.syncGroups) for (const r of g.trackScripts) used.add(r.name);
    for (const spec of config.scripts) {
      if (!used.has(spec.name)) continue; // keepalived runs only tracked scripts
      const t = new ScriptTracker(spec);
      const old = previous?.get(spec.name);
      if (old && old.spec.script === spec.script) t.ok = old.ok;
      t.on('change', (ok: boolean) => {
        this.log(`vrrp_script ${spec.name} ${ok ? 'succeeded' : 'failed'}`);
        this.applyTracking();
      });
      this.trackers.set(spec.name, t);
      t.start();
    }
  }

  private syncGroupOf(name: string): VrrpSyncGroupSpec | undefined {
    return this.config.syncGroups.find((g) => g.instances.includes(name));
  }

  /** Recomputes every instance's tracker effect (priority delta and FAULT). */
  private applyTracking(): void {
    for (const inst of this.instanceMap.values()) {
      const g = this.syncGroupOf(inst.name);
      const refs = [...inst.spec.trackScripts, ...(g?.trackScripts ?? [])];
      const ifs = [...inst.spec.trackInterfaces, ...(g?.trackInterfaces ?? [])];
      const scripts = refs.flatMap((ref) => {
        const t = this.trackers.get(ref.name);
        return t ? [{ ref, spec: t.spec, ok: t.ok }] : [];
      });
      const e = trackEffect(
        scripts,
        ifs.map((spec) => ({ spec, up: this.links.get(spec.name) ?? true })),
      );
      const fp = this.fileProc.effect(
        [...(inst.spec.trackFiles ?? []), ...(g?.trackFiles ?? [])],
        [...(inst.spec.trackProcesses ?? []), ...(g?.trackProcesses ?? [])],
        [...(inst.spec.trackBfds ?? []), ...(g?.trackBfds ?? [])],
      );
      // Sync-group members ignore tracker weights (keepalived without sync_group_tracking_weight).
      inst.setTrackDelta(g ? 0 : e.delta + fp.delta);
      inst.setFault('tracking', e.fault || fp.fault);
      if (!inst.spec.dontTrackPrimary) {
        const up = this.links.get(inst.spec.interface);
        if (up !== undefined) inst.setFault(`interface ${inst.spec.interface} down`, !up);
      }
    }
  }

  private async pollLinks(): Promise<void> {
    // Faulted instances re-read their interface about once a second (there is no netlink listener).
    if (++this.polls % 5 === 0) for (const i of this.instanceMap.values()) void i.refreshInterface();
    const names = new Set<string>();
    for (const i of this.instanceMap.values()) {
      names.add(i.spec.interface);
      for (const t of i.spec.trackInterfaces) names.add(t.name);
    }
    for (const g of this.config.syncGroups) for (const t of g.trackInterfaces) names.add(t.name);
    if (await this.links.poll(names)) this.applyTracking();
  }

  /** vrrp_sync_group: one member with a fault of its own holds every member in FAULT. */
  private syncFaults(inst: VrrpInstance): void {
    const g = this.syncGroupOf(inst.name);
    if (!g) return;
    const reason = `sync group ${g.name}`;
    const members = g.instances.map((n) => this.instanceMap.get(n)).filter((m): m is VrrpInstance => !!m);
    const own = members.some((m) => [...m.faults].some((f) => f !== reason));
    for (const m of members) if (m.faults.has(reason) !== own) m.setFault(reason, own);
  }

  /** vrrp_sync_group: members follow each other into FAULT, MASTER and BACKUP; group notify scripts. */
  private onTransition(inst: VrrpInstance, to: VrrpState, forced: boolean): void {
    const g = this.syncGroupOf(inst.name);
    if (!g) return;
    const members = g.instances.map((n) => this.instanceMap.get(n)).filter((m): m is VrrpInstance => !!m && m !== inst);
    if (!forced && (to === 'MASTER' || to === 'BACKUP')) for (const m of members) m.force(to, `sync group ${g.name}`);
    if (to !== 'INIT' && this.groupState.get(g.name) !== to) {
      this.groupState.set(g.name, to);
      queueNotify(this.notify, g.notify, 'GROUP', g.name, to, 0, 10000);
      this.writeFifo(fifoVrrpLine('GROUP', g.name, to, 0));
    }
  }
}
