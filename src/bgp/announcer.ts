/**
 * Announce/withdraw policy over bgpd: a VIP is announced while it is in service (in-service.ts) and the
 * director is not draining; anything else is withdrawn. Changes are applied one at a time, in order, and
 * each is logged. `drain()` withdraws everything for good (until the next start).
 */
import type { IpvsRules } from '../ipvs/types.js';
import { Bgpd, type BgpPeerState } from './bgpd.js';
import { vipsInService } from './in-service.js';
import type { BgpConfig } from './types.js';

/** What the announcer reports for `ulvs status`. */
export interface BgpStatus {
  announced: string[];
  draining: boolean;
  peers: BgpPeerState[];
}

/** Announces the in-service VIPs of one daemon through its own bgpd. */
export class BgpAnnouncer {
  private cfg?: BgpConfig;
  private bgpd?: Bgpd;
  private rules?: IpvsRules;
  private readonly announced = new Set<string>();
  private draining = false;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    /** Directory bgpd's files live in (private to this daemon). */
    private readonly dir: string,
    private readonly log: (m: string) => void,
    /** Whether the workers schedule mid-flow TCP packets (--sloppy-tcp); without it an ECMP rehash drops flows. */
    private readonly sloppyTcp = true,
  ) {}

  /** Takes a (re)loaded configuration: starts, restarts (changed block) or stops bgpd. */
  apply(cfg: BgpConfig | undefined): Promise<void> {
    return this.serialize(async () => {
      const same = JSON.stringify(cfg) === JSON.stringify(this.cfg);
      if (same && (this.bgpd || !cfg)) return this.sync();
      if (this.bgpd) {
        this.log('bgp: configuration changed, restarting bgpd');
        await this.bgpd.stop();
        this.bgpd = undefined;
        this.announced.clear();
      }
      this.cfg = cfg;
      if (!cfg) return;
      if (!this.sloppyTcp)
        this.log('bgp: warning: ulvs runs without --sloppy-tcp, so flows an ECMP rehash moves to this director are dropped; add --sloppy-tcp');
      const b = new Bgpd(cfg, this.dir, this.log);
      await b.start();
      this.bgpd = b;
      this.log(`bgp: bgpd up, AS ${cfg.localAs}, peers ${cfg.neighbors.map((n) => `${n.address} (AS ${n.remoteAs})`).join(', ')}`);
      await this.sync();
    });
  }

  /** The rules the data plane now runs (called after each publish): re-decides what is announced. */
  update(rules: IpvsRules): Promise<void> {
    this.rules = rules;
    return this.serialize(() => this.sync());
  }

  /** Withdraws every VIP and keeps them withdrawn (ulvs drain, stop); resolves to what was withdrawn. */
  withdrawAll(): Promise<string[]> {
    this.draining = true;
    const before = [...this.announced];
    return this.serialize(() => this.sync()).then(() => before);
  }

  /** The pause `ulvs drain` makes after the withdraw, from the block (0 without one). */
  drainWaitMs(): number {
    return (this.cfg?.drainWaitS ?? 0) * 1000;
  }

  /** Whether a ulvs_bgp block is in force. */
  get active(): boolean {
    return !!this.bgpd;
  }

  /** Announced VIPs, the draining flag and the sessions as bgpd sees them. */
  async status(): Promise<BgpStatus> {
    return { announced: [...this.announced], draining: this.draining, peers: (await this.bgpd?.peers()) ?? [] };
  }

  /** Withdraws everything, then stops bgpd (its Cease tells the router at once). */
  async stop(): Promise<void> {
    await this.withdrawAll();
    await this.serialize(async () => {
      await this.bgpd?.stop();
      this.bgpd = undefined;
    });
  }

  private async sync(): Promise<void> {
    const b = this.bgpd;
    if (!b || !this.cfg) return;
    const want = new Set(this.draining ? [] : vipsInService(this.cfg.vips, this.rules));
    const add = [...want].filter((p) => !this.announced.has(p));
    const remove = [...this.announced].filter((p) => !want.has(p));
    if (!add.length && !remove.length) return;
    try {
      await b.setNetworks(add, remove);
    } catch (e) {
      this.log(`bgp: ${(e as Error).message}`);
      return;
    }
    for (const p of add) this.announced.add(p);
    for (const p of remove) this.announced.delete(p);
    if (add.length) this.log(`bgp: announce ${add.join(' ')} (in service)`);
    if (remove.length) this.log(`bgp: withdraw ${remove.join(' ')} (${this.draining ? 'draining' : 'out of service'})`);
  }

  private serialize(fn: () => Promise<void>): Promise<void> {
    const p = this.queue.then(fn, fn);
    this.queue = p.catch(() => undefined);
    return p;
  }
}
