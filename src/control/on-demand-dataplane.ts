/**
 * The data plane of a configuration without a virtual server (VRRP only, or an empty file whose
 * services come from ulvsadm, as with keepalived + kernel IPVS): nothing is set up until the first
 * virtual service is published; then the real data plane is made for those services (its interfaces
 * found from them) and everything is handed to it. If it cannot start, the publish fails (the daemon
 * rolls the change back) and the next publish tries again.
 */
import type { Explanation } from '../dataplane/explain.js';
import type { ExplainFlow } from '../dataplane/explain-flow.js';
import type { IpvsRules, VirtualServiceSpec } from '../ipvs/types.js';
import type { SyncTablePort } from './conn-sync.js';
import { NullDataPlane, type DataPlaneMetrics, type DataPlanePort, type SampleView } from './ports.js';

/** DataPlanePort that starts the real one on the first publish with a virtual service. */
export class OnDemandDataPlane implements DataPlanePort {
  private inner: DataPlanePort = new NullDataPlane();
  /** The sampling rate asked for (applied again to a data plane started later). */
  private sampleRate = 0;
  private started = false;
  private foreign?: string[];

  /** `make` builds the real data plane for the first services (it is not published yet). */
  constructor(
    private readonly make: (services: VirtualServiceSpec[]) => Promise<DataPlanePort>,
    private readonly pending: string,
  ) {}

  get description(): string {
    return this.started ? this.inner.description : this.pending;
  }

  async publish(rules: IpvsRules): Promise<void> {
    if (this.started || rules.services.length === 0) return this.inner.publish(rules);
    const dp = await this.make(rules.services);
    if (this.foreign) dp.setForeignAddresses?.(this.foreign);
    try {
      await dp.publish(rules);
    } catch (e) {
      await dp.stop();
      throw e;
    }
    this.inner = dp;
    if (this.sampleRate > 0) dp.setSampling?.(this.sampleRate);
    this.started = true;
  }

  counters(): ReturnType<DataPlanePort['counters']> {
    return this.inner.counters();
  }

  connections(limit?: number): ReturnType<DataPlanePort['connections']> {
    return this.inner.connections(limit);
  }

  zero(key?: Parameters<DataPlanePort['zero']>[0]): void {
    this.inner.zero(key);
  }

  metrics(): DataPlaneMetrics | undefined {
    return this.inner.metrics?.();
  }

  setForeignAddresses(addresses: string[]): void {
    this.foreign = addresses;
    this.inner.setForeignAddresses?.(addresses);
  }

  explain(flow: ExplainFlow): Explanation | undefined {
    return this.inner.explain?.(flow);
  }

  setSampling(rate: number): void {
    this.sampleRate = rate;
    this.inner.setSampling?.(rate);
  }

  samples(): { rate: number; samples: SampleView[] } {
    return this.inner.samples?.() ?? { rate: this.sampleRate, samples: [] };
  }

  explainSample(seq: number): Explanation | undefined {
    return this.inner.explainSample?.(seq);
  }

  syncTable(): SyncTablePort | undefined {
    return this.inner.syncTable?.();
  }

  stop(): Promise<void> {
    return this.inner.stop();
  }
}
