/**
 * One running vrrp_instance: wraps the pure state machine with timers, the shared VRRP transport,
 * the VIPs (ip addr add/del), notify scripts and the instance's statistics; its adverts are in
 * instance-adverts.ts, its GARP bursts in garp-bursts.ts. Emits 'state' (VrrpStateEvent) once the
 * VIPs match the new state.
 */
import { EventEmitter } from 'node:events';
import { checkAdvert } from './check-advert.js';
import { VRRP_GROUP4, VRRP_GROUP6, type Advert, type DropReason } from './codec.js';
import { GarpBursts } from './garp-bursts.js';
import { instanceReloadDiff } from './reload-diff.js';
import type { InterfaceInfo } from './interface-info.js';
import { queueNotify } from './notify.js';
import { removeVmac, setupVmac, vmacOf } from './vmac.js';
import type { AdvertMeta, AdvertSink } from './socket.js';
import { initialMachine, machineParams, nextDeadlineMs, step, type MachineAction, type MachineEvent, type MachineState } from './state-machine.js';
import { fifoVrrpLine } from '../util/notify-fifo.js';
import { allowVipTraffic, dropVipTraffic } from './no-accept.js';
import { advertAh, advertExpectations, checkAdvertAh, sendAdvert, type AdvertAh } from './instance-adverts.js';
import type { InstanceDeps, InstanceStats } from './instance-deps.js';
import { addRoutesAndRules, removeRoutesAndRules } from './routes.js';
import type { IpRouteSpec, IpRuleSpec, NotifyState, VipSpec, VrrpInstanceSpec, VrrpState, VrrpStateEvent } from './types.js';

/** A running vrrp_instance. */
export class VrrpInstance extends EventEmitter implements AdvertSink {
  machine: MachineState;
  readonly stats: InstanceStats = {
    advertsReceived: 0,
    advertsSent: 0,
    becomeMaster: 0,
    releaseMaster: 0,
    priorityZeroReceived: 0,
    priorityZeroSent: 0,
    garpSent: 0,
    drops: {},
  };
  /** Why the instance is held in FAULT (interface down, failed script, sync group…). */
  readonly faults = new Set<string>();
  srcIp = '';
  private timer?: NodeJS.Timeout;
  private ops: Promise<void> = Promise.resolve();
  private macs = new Map<string, string>();
  /** The gratuitous ARP / unsolicited NA bursts (garp-bursts.ts). */
  private readonly garps: GarpBursts;
  private lastLowerPrioGarpMs = -Infinity;
  private trackDelta = 0;
  private running = false;
  /** auth_type AH: the HMAC key, the sequence counter shared by sent and received adverts, the IP id. */
  private readonly ah?: AdvertAh;
  /** Transitions forced by the sync group (not propagated again). */
  syncForced = false;

  constructor(
    public spec: VrrpInstanceSpec,
    private readonly deps: InstanceDeps,
  ) {
    super();
    this.machine = initialMachine(machineParams(spec, '0.0.0.0'));
    this.ah = advertAh(spec);
    this.garps = new GarpBursts(
      this,
      this.macs,
      () => this.vipDev,
      deps,
      (fn) => this.enqueue(fn),
    );
  }

  get name(): string {
    return this.spec.name;
  }
  get state(): VrrpState {
    return this.machine.state;
  }
  get priority(): number {
    return this.spec.priority === 255 ? 255 : this.machine.priority;
  }
  private get group(): string {
    return this.spec.mcastGroup ?? (this.spec.family === 4 ? VRRP_GROUP4 : VRRP_GROUP6);
  }
  private get unicast(): boolean {
    return this.spec.unicastPeers.length > 0;
  }
  /** Where VIPs without `dev` go: the VMAC interface with use_vmac, else the instance interface. */
  private get vipDev(): string {
    return this.spec.useVmac ? vmacOf(this.spec).name : this.spec.interface;
  }

  /** Resolves the source address, removes stale copies of our VIPs, joins the group and starts the machine. */
  async start(): Promise<void> {
    const info = await this.deps.readInterface(this.spec.interface);
    if (!info) this.faults.add(`interface ${this.spec.interface} missing`);
    else {
      this.macs.set(info.name, info.mac);
      if (!info.up && !this.spec.dontTrackPrimary) this.faults.add(`interface ${info.name} down`);
    }
    this.srcIp = this.spec.srcIp ?? (this.spec.family === 4 ? this.pickIpv4(info) : info?.linkLocal6[0]) ?? '';
    if (this.spec.useVmac && info)
      for (const e of this.deps.vmacSetup ?? (await setupVmac(this.spec))) {
        this.deps.log(`${this.name}: ${e}`);
        this.faults.add('use_vmac');
      }
    if (!this.srcIp) this.faults.add('no source address');
    for (const v of [...this.spec.vips, ...this.spec.excludedVips]) {
      const dev = v.dev ?? this.vipDev;
      if (!this.macs.has(dev)) {
        const i = await this.deps.readInterface(dev);
        if (i) this.macs.set(dev, i.mac);
      }
    }
    const stale = await this.deps.removeVips(this.allVips(), this.vipDev);
    for (const e of stale) this.deps.log(`${this.name}: ${e}`);
    this.machine = {
      ...initialMachine(machineParams(this.spec, this.srcIp || '0.0.0.0'), this.effectivePriority()),
      fault: this.faults.size > 0,
      holdPreempt: this.preemptHeld,
    };
    if (this.faults.size) this.emit('faults');
    this.deps.transport.register(this.spec.vrid, this);
    if (!this.unicast) {
      try {
        this.deps.transport.join(this.group);
      } catch (e) {
        this.deps.log(`${this.name}: join ${this.group}: ${(e as Error).message}`);
      }
    }
    this.running = true;
    this.feed({ type: 'start' });
  }

  /**
   * Where keepalived acts on a netlink link/address event (about once a second here, from the manager's
   * poll, and on reload): an instance held in FAULT because its interface was missing or had no address to
   * send from re-reads it, takes the address and leaves FAULT (keepalived's netlink_if_address_filter
   * setting a missing saddr).
   */
  async refreshInterface(): Promise<void> {
    const missing = `interface ${this.spec.interface} missing`;
    if (!this.running || (!this.faults.has(missing) && !this.faults.has('no source address'))) return;
    let info: InterfaceInfo | undefined;
    try {
      info = await this.deps.readInterface(this.spec.interface);
    } catch (e) {
      this.deps.log(`${this.name}: ${(e as Error).message}`);
      return;
    }
    if (!info || !this.running) return;
    this.macs.set(info.name, info.mac);
    if (!this.srcIp) {
      const src = this.spec.srcIp ?? (this.spec.family === 4 ? this.pickIpv4(info) : info.linkLocal6[0]);
      if (src) {
        this.srcIp = src;
        this.machine = { ...this.machine, params: machineParams(this.spec, src) };
        this.deps.log(`${this.name}: source address ${src} on ${info.name}`);
      }
    }
    if (this.faults.has(missing)) {
      if (!info.up && !this.spec.dontTrackPrimary) this.setFault(`interface ${info.name} down`, true);
      this.setFault(missing, false);
    }
    if (this.srcIp) this.setFault('no source address', false);
  }

  /** Stops the instance (priority-0 advert if MASTER, VIPs removed), notifying STOP or DELETED. */
  async stop(as: 'STOP' | 'DELETED' = 'STOP'): Promise<void> {
    if (!this.running) return;
    this.stopAs = as;
    this.feed({ type: 'shutdown' });
    this.running = false;
    this.clearTimers();
    this.deps.transport.unregister(this.spec.vrid, this);
    if (!this.unicast) {
      try {
        this.deps.transport.leave(this.group);
      } catch {
        /* gone */
      }
    }
    await this.ops;
    if (this.spec.useVmac) await removeVmac(this.spec);
  }
  private stopAs: 'STOP' | 'DELETED' = 'STOP';

  /** Adds or clears a fault reason; the machine goes FAULT while any is set. */
  setFault(reason: string, on: boolean): void {
    const had = this.faults.size > 0;
    if (on) this.faults.add(reason);
    else this.faults.delete(reason);
    const has = this.faults.size > 0;
    if (!reason.startsWith('sync group')) this.emit('faults');
    if (this.running && had !== has) this.feed({ type: 'fault', fault: has, reason: on ? reason : `${reason} cleared` });
  }

  /** Sets the tracker priority delta (base + delta, clamped 1..254 unless owner). */
  setTrackDelta(delta: number): void {
    this.trackDelta = delta;
    if (this.running) this.feed({ type: 'priority', priority: this.effectivePriority() });
  }

  /** Forces MASTER or BACKUP (sync groups). */
  force(to: 'MASTER' | 'BACKUP', reason: string): void {
    if (!this.running) return;
    this.syncForced = true;
    try {
      this.feed({ type: 'force', to, reason });
    } finally {
      this.syncForced = false;
    }
  }

  /** Applies a reloaded spec of the same instance: keeps the state, diffs the VIPs (§6.3). */
  async reload(spec: VrrpInstanceSpec): Promise<void> {
    const old = this.spec;
    this.spec = spec;
    this.machine = { ...this.machine, params: machineParams(spec, this.srcIp || '0.0.0.0') };
    this.feed({ type: 'priority', priority: this.effectivePriority() });
    void this.refreshInterface();
    const { removed, added, goneRoutes, goneRules, newRoutes, newRules } = instanceReloadDiff(old, spec);
    await this.enqueue(async () => {
      if (this.state === 'MASTER') await this.removeRoutes(goneRoutes, goneRules);
      if (removed.length) await this.deps.removeVips(removed, this.vipDev);
      if (this.state === 'MASTER') {
        if (added.length) await this.deps.addVips(added, this.vipDev);
        await this.addRoutes(newRoutes, newRules);
        await this.garps.burst(spec.garp.masterRepeat);
      } else if (added.length) await this.deps.removeVips(added, this.vipDev);
    });
  }

  /** AdvertSink: a decoded advert for our VRID. */
  onAdvert(adv: Advert, meta: AdvertMeta): void {
    if (!this.running) return;
    const exp = advertExpectations(this.spec, this.srcIp, this.ah !== undefined, this.unicast);
    const ahWhy = checkAdvertAh(this.ah, meta, this.unicast);
    if (ahWhy) {
      this.onDrop(ahWhy);
      return;
    }
    const why = checkAdvert(adv, exp, meta);
    if (why) {
      this.onDrop(why);
      return;
    }
    this.stats.advertsReceived++;
    if (adv.priority === 0) this.stats.priorityZeroReceived++;
    this.feed({ type: 'advert', priority: adv.priority, maxAdverIntMs: adv.adverIntMs, srcIp: meta.srcIp });
  }

  /** AdvertSink: a dropped datagram for our VRID. */
  onDrop(reason: DropReason): void {
    this.stats.drops[reason] = (this.stats.drops[reason] ?? 0) + 1;
  }

  private effectivePriority(): number {
    if (this.spec.priority === 255) return 255;
    return Math.max(1, Math.min(254, this.spec.priority + this.trackDelta));
  }

  private pickIpv4(info: InterfaceInfo | undefined): string | undefined {
    const ours = new Set(this.allVips().map((v) => v.address));
    return info?.ipv4.find((a) => !ours.has(a));
  }

  private allVips(): VipSpec[] {
    return [...this.spec.vips, ...this.spec.excludedVips];
  }

  private preemptHeld = false;

  /** Holds (or releases) preemption of a lower-priority master (connection sync catching up); before start too. */
  setPreemptHold(hold: boolean): void {
    this.preemptHeld = hold;
    if (this.running) this.feed({ type: 'hold-preempt', hold });
  }

  /** Runs one event through the machine and carries out its actions. */
  feed(ev: MachineEvent): void {
    const r = step(this.machine, ev, this.deps.now());
    this.machine = r.state;
    for (const a of r.actions) this.act(a);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const d = nextDeadlineMs(this.machine);
    if (d === undefined || !this.running) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.feed({ type: 'tick' });
      },
      Math.max(0, d - this.deps.now()),
    );
  }

  private act(a: MachineAction): void {
    switch (a.type) {
      case 'send-advert':
        sendAdvert(this.spec, this.srcIp, this.group, this.unicast, this.ah, this.deps.transport, this.stats, a.priority);
        break;
      case 'transition':
        this.transition(a.from, a.to, a.reason);
        break;
      case 'garp':
        if (a.kind === 'master') this.garps.startMaster();
        else if (this.deps.now() - this.lastLowerPrioGarpMs >= this.spec.garp.lowerPrioDelayMs) {
          this.lastLowerPrioGarpMs = this.deps.now();
          this.enqueue(async () => this.garps.burst(this.spec.garp.lowerPrioRepeat));
        }
        break;
      case 'rx-lower-prio':
        if (this.spec.notify.masterRxLowerPri) this.deps.notify.enqueue(this.spec.notify.masterRxLowerPri.argv, this.spec.notifyTimeoutMs ?? 10000);
        this.deps.writeFifo?.(fifoVrrpLine('INSTANCE', this.name, 'MASTER_RX_LOWER_PRI', this.priority));
        break;
    }
  }

  private enqueue(fn: () => Promise<void> | void): Promise<void> {
    this.ops = this.ops.then(fn).catch((e: unknown) => this.deps.log(`${this.name}: ${(e as Error).message}`));
    return this.ops;
  }

  private transition(from: VrrpState, to: VrrpState, reason: string): void {
    const atMs = this.deps.now();
    const prio = this.priority;
    if (to === 'MASTER') this.stats.becomeMaster++;
    if (from === 'MASTER') {
      this.stats.releaseMaster++;
      this.garps.stop();
    }
    this.emit('transition', { from, to, reason, forced: this.syncForced });
    const notifyState: NotifyState | undefined = to === 'INIT' ? this.stopAs : to;
    const vips = this.allVips();
    this.enqueue(async () => {
      const routes = this.spec.virtualRoutes ?? [];
      const rules = this.spec.virtualRules ?? [];
      if (to === 'MASTER') {
        if (!this.spec.accept) await this.filterVips(vips, true);
        for (const e of await this.deps.addVips(vips, this.vipDev)) this.deps.log(`${this.name}: ${e}`);
        await this.addRoutes(routes, rules);
      } else if (from === 'MASTER') {
        await this.removeRoutes(routes, rules);
        if (!this.spec.accept) await this.filterVips(vips, false);
        for (const e of await this.deps.removeVips(vips, this.vipDev)) this.deps.log(`${this.name}: ${e}`);
      }
      const ev: VrrpStateEvent = {
        instance: this.name,
        vrid: this.spec.vrid,
        interface: this.spec.interface,
        from,
        to,
        priority: prio,
        vips: to === 'MASTER' ? vips : [],
        reason,
        atMs,
      };
      this.deps.log(`${this.name}: ${from} -> ${to} (${reason})`);
      this.emit('state', ev);
      if (notifyState) {
        queueNotify(this.deps.notify, this.spec.notify, 'INSTANCE', this.name, notifyState, prio, this.spec.notifyTimeoutMs ?? 10000);
        // keepalived's send_instance_notifies: DELETED is reported as FAULT unless notify_deleted is set.
        this.deps.writeFifo?.(fifoVrrpLine('INSTANCE', this.name, notifyState === 'DELETED' && !this.spec.notify.deleted ? 'FAULT' : notifyState, prio));
      }
    });
  }

  private async filterVips(vips: readonly VipSpec[], on: boolean): Promise<void> {
    const f = this.deps.filterVips ?? ((v: readonly VipSpec[], x: boolean) => (x ? dropVipTraffic(v) : allowVipTraffic(v)));
    for (const e of await f(vips, on)) this.deps.log(`${this.name}: no_accept: ${e}`);
  }

  private async addRoutes(routes: readonly IpRouteSpec[], rules: readonly IpRuleSpec[]): Promise<void> {
    if (!routes.length && !rules.length) return;
    for (const e of await (this.deps.addRoutes ?? addRoutesAndRules)(routes, rules)) this.deps.log(`${this.name}: virtual_routes/rules: ${e}`);
  }

  private async removeRoutes(routes: readonly IpRouteSpec[], rules: readonly IpRuleSpec[]): Promise<void> {
    if (!routes.length && !rules.length) return;
    for (const e of await (this.deps.removeRoutes ?? removeRoutesAndRules)(routes, rules)) this.deps.log(`${this.name}: virtual_routes/rules: ${e}`);
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.garps.stop();
  }
}
