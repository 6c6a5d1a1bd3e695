/**
 * The daemon's DataPlanePort over the real data plane: the shared connection table and counters
 * (table/shared-state.ts), the snapshot compiler, the worker pool (dataplane/pool.ts) and the
 * netfilter/route setup (host/director.ts), composed as `ulvs director` composes them, but with
 * rules that change at run time: each publish compiles a new snapshot (connections and counters of
 * unchanged services live on in shared memory) and redoes the netfilter setup only when its plan changed.
 */
import { LinkType } from '../core/batch.js';
import { DataplanePool } from '../dataplane/pool.js';
import { keepMarkJumpLast, setupDirectorNet, teardownDirectorNet, updateDirectorNet } from '../host/director.js';
import { iptablesRules } from '../host/director-iptables.js';
import { checkBackendSupports, drDestsOf, planDirectorNet, xskRedirectOf, type DirectorBackend, type DirectorNetPlan } from '../host/director-plan.js';
import { SnapshotCompiler } from '../dataplane/snapshot.js';
import type { IpvsSysctls, SnapshotEnv, SnapshotSpec } from '../dataplane/snapshot-types.js';
import { buildFilter } from '../io/bpf.js';
import { readHostEnv, routeDevice } from '../host/host-env.js';
import { NeighbourTracker } from '../host/neighbours.js';
import type { IpvsRules, ServiceKey } from '../ipvs/types.js';
import { loadNative } from '../native/addon.js';
import { dropReasonName as reasonName } from '../packet/drop-reasons.js';
import { newSyncEntry, scanSync, SyncCore, type SyncEntry, type SyncInstallResult } from '../table/conn-sync.js';
import { attachSharedState, createSharedState, defaultCoreConfig, type SharedState } from '../table/shared-state.js';
import { runOk } from '../util/exec.js';
import type { DataPlaneMetrics, DataPlanePort, ExplainFlow, SampleView, ServiceCounters } from './ports.js';
import type { Explanation } from '../dataplane/explain.js';

import { serviceKeyText } from '../ipvs/service-key.js';
import type { ConnectionEntry } from './types.js';
import type { SyncTablePort } from './conn-sync.js';
import { fwmarkOfSlot, resolveSyncSlots } from './sync-slots.js';
import { connectionEntries, keyOfSpec, serviceCounters } from './table-view.js';
import { explainFlowOn, explainSampleOn, sampleViews } from './pool-explain.js';

/** Options of the pool-backed data plane. */
export interface PoolDataPlaneOptions {
  /** afxdp falls back to afpacket, with one log line, where AF_XDP cannot start. */
  backend: DirectorBackend;
  workers: number;
  /** Director interfaces (afpacket receives on them; VIPs and routes use the first). */
  interfaces: string[];
  queueBase?: number;
  /** AF_PACKET ring layout (PoolOptions.afpRing; default 2). */
  afpRing?: 2 | 3;
  /** AF_XDP interrupt moderation in µs (PoolOptions.xskCoalesceUs; default 250, 0 = off). */
  xskCoalesceUs?: number;
  maxConns?: number;
  /** /proc/sys/net/ipv4/vs knobs (e.g. sloppyTcp from --sloppy-tcp) the workers honour. */
  sysctls?: Partial<IpvsSysctls>;
  log: (line: string) => void;
}

/** Data plane backed by packet workers. */
export class PoolDataPlane implements DataPlanePort, SyncTablePort {
  private readonly linkType: LinkType;
  private readonly shared: ReturnType<typeof createSharedState>;
  private readonly state: SharedState;
  private readonly compiler: SnapshotCompiler;
  private pool?: DataplanePool;
  private rules: IpvsRules = { services: [], timeouts: { tcpS: 900, tcpFinS: 120, udpS: 300 } };
  private spec?: SnapshotSpec;
  private env?: SnapshotEnv;
  private planJson = '';
  private plan?: DirectorNetPlan;
  /** The kernel's route device of each DR real server, read once per host environment. */
  private routeDevs: { env?: SnapshotEnv; dev: Map<string, string | undefined> } = { dev: new Map() };
  private filterJson = '';
  /** AF_XDP: what the XDP program redirects now (JSON). */
  private xskJson = '';
  /** NAT real-server addresses the AF_PACKET filter captures replies from (grows only). */
  private readonly filterNatRs = new Set<string>();
  /** NAT reply selectors the netfilter plan steers (grows only). */
  private readonly natReplies = new Map<string, DirectorNetPlan['natReplies'][number]>();
  private refresh?: NodeJS.Timeout;
  private refreshing = false;
  /** A refresh was asked for while one ran: run again when it ends. */
  private refreshAgain = false;
  /** AF_PACKET: resolves every next hop actively and reports neighbour changes. */
  private readonly neigh?: NeighbourTracker;
  private foreign = new Set<string>();
  /** Live packets sampled a second per worker (0 = off; applied when the pool starts). */
  private sampleRate = 0;
  /** The backup's writer of synced entries (main thread, table index 0). */
  private syncCore?: SyncCore;
  private syncEntry?: SyncEntry;

  constructor(private readonly o: PoolDataPlaneOptions) {
    loadNative();
    this.linkType = o.backend === 'nfqueue' ? LinkType.Ip : LinkType.Ether;
    this.shared = createSharedState({ maxConns: o.maxConns ?? 1 << 20 });
    this.state = attachSharedState(this.shared, 0);
    this.compiler = new SnapshotCompiler(this.state);
    if (o.backend !== 'nfqueue') this.neigh = new NeighbourTracker({ interfaces: o.interfaces, log: o.log, onChange: () => void this.refreshEnv() });
  }

  /** "BACKEND xWORKERS on IFACES": the backend running (afpacket once afxdp fell back). */
  get description(): string {
    return `${this.pool?.backend ?? this.o.backend} x${this.o.workers} on ${this.o.interfaces.join(',') || '-'}`;
  }

  async publish(rules: IpvsRules): Promise<void> {
    // Refuse what the backend cannot do before anything changes (fwmark services on AF_PACKET).
    checkBackendSupports(rules, this.o.backend);
    this.rules = rules;
    const peers = this.peers();
    this.env = await this.hostEnv(peers, 1000);
    this.trackNextHops(this.env);
    this.spec = this.compiler.compile(rules, this.env);
    const vips = rules.services.flatMap((s) => (s.key.kind === 'addr' ? [s.key.address] : []));
    // NAT real servers only ever join the filter: health checks remove and re-add them all the time, and
    // the filter need not follow each flap (a reply of a removed real server is dropped by the pipeline).
    for (const s of rules.services) for (const r of s.realServers) if (r.forward === 'nat') this.filterNatRs.add(r.address);
    const natRs = [...this.filterNatRs];
    const filterJson = JSON.stringify([vips.sort(), natRs.sort()]);
    const xsk = this.o.backend === 'afxdp' ? this.xskSpec(rules, this.env) : undefined;
    if (this.pool && this.pool.backend === 'afxdp' && JSON.stringify(xsk) !== this.xskJson) {
      // New services or NAT real servers: swap the XDP programs in place (sockets and frames stay), then the snapshot.
      this.pool.setXsk(xsk!);
      this.xskJson = JSON.stringify(xsk);
      await this.pool.whenApplied(this.pool.publish(this.spec));
    } else if (this.pool && this.pool.backend === 'afpacket' && filterJson !== this.filterJson) {
      // A new VIP set: swap the rings' BPF filter in place (no new sockets, nothing in flight lost), then the snapshot.
      this.pool.setFilter(buildFilter({ dst: vips, src: natRs }));
      this.filterJson = filterJson;
      await this.pool.whenApplied(this.pool.publish(this.spec));
    } else if (!this.pool) {
      this.pool = await DataplanePool.start({
        backend: this.o.backend,
        workers: this.o.workers,
        interfaces: this.o.interfaces,
        queueBase: this.o.queueBase,
        afpRing: this.o.afpRing,
        xskCoalesceUs: this.o.xskCoalesceUs,
        filter: this.o.backend !== 'nfqueue' ? buildFilter({ dst: vips, src: natRs }) : undefined,
        xsk,
        shared: this.shared,
        snapshot: this.spec,
        onEvent: (e) => {
          if (e.kind !== 'ready') this.o.log(e.message);
        },
        onNeighbourMiss: (a) => this.neigh?.want(a),
      });
      this.neigh?.start();
      if (this.sampleRate > 0) this.pool.setSampleRate(this.sampleRate);
      this.filterJson = filterJson;
      this.xskJson = JSON.stringify(xsk);
    } else {
      // Resolve only when every worker runs the new rules: what ulvsadm lists is what forwards.
      await this.pool.whenApplied(this.pool.publish(this.spec));
    }
    // NFQUEUE DR: each mark's route leaves by the interface the kernel routes its real server to (as ip_vs_dr_xmit
    // does), also for one behind an interface the director was not started on (added by ulvsadm or a reload).
    const drDests = drDestsOf(this.spec, this.env);
    if (this.pool.backend === 'nfqueue') {
      if (this.routeDevs.env !== this.env) this.routeDevs = { env: this.env, dev: new Map() };
      for (const d of drDests) {
        if (!this.routeDevs.dev.has(d.address)) this.routeDevs.dev.set(d.address, await routeDevice(d.address));
        d.iface = this.routeDevs.dev.get(d.address) ?? d.iface;
      }
    }
    const plan = planDirectorNet(rules, {
      backend: this.pool.backend as DirectorBackend,
      interfaces: this.o.interfaces,
      workers: this.pool.size,
      queueBase: this.o.queueBase,
      drDests,
    });
    // NAT reply steering only ever grows, like the filter: a health change must not re-plan (setupDirectorNet
    // tears down and rebuilds the VIP and every rule, so each service would lose traffic meanwhile). Replies
    // of a removed real server are dropped, as IPVS drops packets of connections whose dest is gone.
    for (const r of plan.natReplies) this.natReplies.set(JSON.stringify(r), r);
    plan.natReplies = [...this.natReplies.values()];
    // VIPs that VRRP manages are VRRP's to add (on MASTER) and remove: the director holds only the others.
    plan.addresses = plan.addresses.filter((a) => !this.foreign.has(a.split('/')[0]));
    const planJson = JSON.stringify(plan);
    if (planJson !== this.planJson) {
      try {
        await this.installPlan(plan);
      } catch (e) {
        // setupDirectorNet undid everything it had done: the next publish (the rolled-back rules) sets up afresh.
        this.planJson = '';
        this.plan = undefined;
        throw e;
      }
      this.planJson = planJson;
      this.plan = plan;
    }
    this.startRefresh();
  }

  /** AF_XDP: the redirect program's selectors; NAT replies only ever grow, as for the netfilter plan. */
  private xskSpec(rules: IpvsRules, env: SnapshotEnv): ReturnType<typeof xskRedirectOf> {
    const plan = planDirectorNet(rules, { backend: 'afxdp', interfaces: this.o.interfaces, workers: this.o.workers });
    const nat = new Map(this.natReplies);
    for (const r of plan.natReplies) nat.set(JSON.stringify(r), r);
    return xskRedirectOf({ ...plan, natReplies: [...nat.values()] }, env);
  }

  /** Installs a changed plan: appends new NAT real servers, swaps the chains in place, or sets up whole. */
  private async installPlan(plan: DirectorNetPlan): Promise<void> {
    const added = this.plan && grownNatReplies(this.plan, plan);
    if (added) {
      // Only new NAT real servers (a sorry server, a new dest): append their rules, leave the rest in place.
      for (const [f, table, argv] of iptablesRules({ ...plan, services: [], fwmarks: [], natReplies: added })) {
        await runOk([f === 4 ? 'iptables' : 'ip6tables', '-w', '-t', table, ...argv]);
      }
    } else if (this.plan) {
      // Services, VIPs or NAT replies changed: swap the chains' contents and the addresses without a gap.
      await updateDirectorNet(this.plan, plan);
    } else {
      const changed = await setupDirectorNet(plan);
      if (changed.length) this.o.log(`host sysctls changed for the ${plan.backend} data plane (restored on stop): ${changed.join(', ')}`);
    }
  }

  setForeignAddresses(addresses: string[]): void {
    this.foreign = new Set(addresses);
  }

  counters(): ServiceCounters[] {
    return this.spec ? serviceCounters(this.state, this.spec) : [];
  }

  connections(limit?: number): ConnectionEntry[] {
    return connectionEntries(this.state, Date.now(), limit);
  }

  explain(flow: ExplainFlow): Explanation | undefined {
    if (!this.spec || !this.env) return undefined;
    return explainFlowOn(this.spec, this.env, this.state, this.linkType, flow, this.plan);
  }

  setSampling(rate: number): void {
    this.sampleRate = rate;
    this.pool?.setSampleRate(rate);
  }

  samples(): { rate: number; samples: SampleView[] } {
    return sampleViews(this.pool?.samples() ?? { rate: 0, samples: [] });
  }

  explainSample(seq: number): Explanation | undefined {
    const x = this.pool?.samples().samples.find((p) => p.seq === seq);
    if (!x || !this.spec || !this.env) return undefined;
    return explainSampleOn(this.spec, this.env, this.state, x, this.plan);
  }

  syncTable(): SyncTablePort {
    return this;
  }

  scanSync(nowMs: number, fn: (s: SyncEntry, fwmark: number) => void, from?: number, to?: number): number {
    const spec = this.spec;
    this.syncEntry ??= newSyncEntry();
    return scanSync(this.state.conns, nowMs, (s) => fn(s, fwmarkOfSlot(spec, s.svcSlot)), this.syncEntry, from, to);
  }

  highWater(): number {
    return this.state.conns.highWater();
  }

  installSync(s: SyncEntry, fwmark: number, nowMs: number): SyncInstallResult | 'no-service' | 'no-dest' {
    if (!this.spec) return 'no-service';
    const r = resolveSyncSlots(this.spec, s, fwmark);
    if (r !== 'ok') return r;
    this.syncCore ??= new SyncCore(this.state.conns, this.state.stats, defaultCoreConfig());
    return this.syncCore.install(s, nowMs);
  }

  zero(key?: ServiceKey): void {
    if (!this.spec) return;
    const want = key && serviceKeyText(key);
    for (const s of this.spec.services) {
      if (want && serviceKeyText(keyOfSpec(s)) !== want) continue;
      this.state.stats.zeroService(s.slot);
      for (const slot of s.destSlots) this.state.stats.zeroDest(slot);
    }
  }

  metrics(): DataPlaneMetrics | undefined {
    if (!this.pool) return undefined;
    const c = this.pool.counters();
    const dropsByReason: Record<string, number> = {};
    for (const [code, n] of Object.entries(c.dropReasons)) dropsByReason[reasonName(Number(code))] = n;
    return {
      dropsByReason,
      workers: c.workers.map((w) => ({
        worker: w.workerIndex,
        packets: w.packets,
        batches: w.batches,
        queueDrops: (w.io.ring_drops ?? 0) + (w.io.oversize_drops ?? 0) + (w.io.offload_drops ?? 0) + (w.io.truncated_drops ?? 0),
      })),
    };
  }

  async stop(): Promise<void> {
    if (this.refresh) clearInterval(this.refresh);
    this.neigh?.stop();
    await this.pool?.stop();
    this.pool = undefined;
    await teardownDirectorNet();
  }

  private peers(): string[] {
    return [...new Set(this.rules.services.flatMap((s) => s.realServers.map((r) => r.address)))];
  }

  /** Hands the tracker the next hops the rules and routes name (real servers, gateways). */
  /** The host facts the snapshot is compiled against, with the sysctls of the command line. */
  private async hostEnv(peers: string[], waitMs: number): Promise<SnapshotEnv> {
    const env = await readHostEnv(this.linkType, this.o.interfaces, peers, waitMs, undefined, this.neigh?.nextHops());
    if (this.o.sysctls) env.sysctls = { ...env.sysctls, ...this.o.sysctls };
    return env;
  }

  private trackNextHops(env: SnapshotEnv): void {
    const rs = this.rules.services.flatMap((s) => s.realServers.map((r) => r.address));
    this.neigh?.setFixed([...new Set([...rs, ...(env.routes ?? []).flatMap((r) => (r.via ? [r.via] : []))])]);
  }

  /** Re-reads interfaces, routes and neighbours; republishes when they changed. */
  private async refreshEnv(): Promise<void> {
    if (!this.pool) return;
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = true;
    try {
      if (this.plan)
        for (const f of await keepMarkJumpLast(this.plan))
          this.o.log(
            `moved ulvs' jump back to the end of the IPv${f} mangle PREROUTING chain: a rule added after it (a MARK for a fwmark service) is now seen first`,
          );
      const next = await this.hostEnv(this.peers(), 0);
      if (JSON.stringify(next) !== JSON.stringify(this.env) && this.pool) {
        this.env = next;
        this.trackNextHops(next);
        this.spec = this.compiler.compile(this.rules, next);
        this.pool.publish(this.spec);
      }
    } catch (e) {
      this.o.log(`refreshing host addresses failed: ${(e as Error).message}`);
    } finally {
      this.refreshing = false;
    }
    if (this.refreshAgain) {
      this.refreshAgain = false;
      await this.refreshEnv();
    }
  }

  /**
   * Real servers' MACs and routes can change: re-read them every 2 s and republish when they did
   * (AF_PACKET also at once on every neighbour-table change, host/neighbours.ts).
   */
  private startRefresh(): void {
    if (this.refresh) return;
    this.refresh = setInterval(() => void this.refreshEnv(), 2000);
    this.refresh.unref();
  }
}

/** The NAT reply selectors `next` adds to `prev` when that is its only change (in families `prev` has chains for). */
function grownNatReplies(prev: DirectorNetPlan, next: DirectorNetPlan): DirectorNetPlan['natReplies'] | undefined {
  if (JSON.stringify({ ...prev, natReplies: [] }) !== JSON.stringify({ ...next, natReplies: [] })) return undefined;
  const n = prev.natReplies.length;
  if (JSON.stringify(next.natReplies.slice(0, n)) !== JSON.stringify(prev.natReplies)) return undefined;
  const families = new Set<number>([4, ...prev.services.map((x) => x.family), ...prev.natReplies.map((x) => x.family)]);
  const added = next.natReplies.slice(n);
  return added.length && added.every((x) => families.has(x.family)) ? added : undefined;
}
