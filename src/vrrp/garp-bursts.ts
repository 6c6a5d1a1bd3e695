// An instance's gratuitous ARP / unsolicited NA bursts: on becoming MASTER, after garp_master_delay, every garp_master_refresh.
import { garpFrame, unsolicitedNaFrame } from './garp.js';
import type { InstanceDeps, InstanceStats } from './instance-deps.js';
import type { VrrpInstanceSpec, VrrpState } from './types.js';

/** What the bursts read of their instance, live (the spec changes on reload, the source address once known). */
export interface GarpHost {
  readonly spec: VrrpInstanceSpec;
  readonly state: VrrpState;
  readonly srcIp: string;
  readonly name: string;
  readonly stats: InstanceStats;
}

/** The GARP / unsolicited NA bursts of one vrrp_instance and the timers of the MASTER's later ones. */
export class GarpBursts {
  private timers: NodeJS.Timeout[] = [];
  private refreshTimer?: NodeJS.Timeout;

  constructor(
    private readonly inst: GarpHost,
    /** Each VIP device's MAC address (frames go out only on a device whose MAC is known). */
    private readonly macs: ReadonlyMap<string, string>,
    /** Where VIPs without `dev` go. */
    private readonly vipDev: () => string,
    private readonly deps: Pick<InstanceDeps, 'sendFrame' | 'log'>,
    /** Runs a burst in the instance's queue of VIP changes. */
    private readonly enqueue: (fn: () => Promise<void>) => void,
  ) {}

  /** Becoming MASTER: a burst now, another after garp_master_delay, then one every garp_master_refresh while MASTER. */
  startMaster(): void {
    this.stop();
    const g = this.inst.spec.garp;
    this.enqueue(() => this.burst(g.masterRepeat));
    if (g.masterDelayMs > 0)
      this.timers.push(
        setTimeout(() => {
          if (this.inst.state === 'MASTER') this.enqueue(() => this.burst(g.masterRepeat));
        }, g.masterDelayMs),
      );
    if (g.masterRefreshMs > 0) {
      this.refreshTimer = setInterval(() => {
        if (this.inst.state === 'MASTER') this.enqueue(() => this.burst(g.masterRefreshRepeat));
      }, g.masterRefreshMs);
    }
  }

  /** Cancels the delayed and refresh bursts. */
  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.refreshTimer = undefined;
  }

  /** Sends `repeat` GARPs / unsolicited NAs for every VIP (paced by garp.intervalMs). */
  async burst(repeat: number): Promise<void> {
    for (let i = 0; i < repeat; i++) {
      for (const v of [...this.inst.spec.vips, ...this.inst.spec.excludedVips]) {
        const dev = v.dev ?? this.vipDev();
        const mac = this.macs.get(dev);
        if (!mac) continue;
        try {
          if (v.family === 4) this.deps.sendFrame(dev, garpFrame(mac, v.address));
          else this.deps.sendFrame(dev, unsolicitedNaFrame(mac, this.inst.spec.family === 6 && this.inst.srcIp ? this.inst.srcIp : v.address, v.address));
          this.inst.stats.garpSent++;
        } catch (e) {
          this.deps.log(`${this.inst.name}: GARP on ${dev}: ${(e as Error).message}`);
        }
        if (this.inst.spec.garp.intervalMs > 0) await new Promise((r) => setTimeout(r, this.inst.spec.garp.intervalMs));
      }
    }
  }
}
