/**
 * Binds the daemon's ports (ports.ts) to the real parts: the worker pool (pool-dataplane.ts), the
 * VRRP manager (src/vrrp/manager.ts) and the health manager (src/health/control-port.ts), imported
 * statically: every part is in every build. The worker pool is imported when a backend is chosen.
 */
import type { VrrpConfig } from '../vrrp/types.js';
import type { IpvsSysctls } from '../dataplane/snapshot-types.js';
import { VrrpManager } from '../vrrp/manager.js';
import { createHealthPort } from '../health/control-port.js';
import type { Logger } from './logger.js';
import type { RealServerChange } from '../health/types.js';
import { mailAlerts } from './mail-alerts.js';
import { NullDataPlane, type DataPlanePort, type HealthPort, type VrrpInstanceView, type VrrpPort } from './ports.js';

/** Data-plane options of `ulvs run`. */
export interface DataPlaneOptions {
  backend: 'nfqueue' | 'afpacket' | 'afxdp' | 'none';
  workers: number;
  /** Director interfaces (afpacket and afxdp receive on them; VIPs and DR routes use the first). */
  interfaces: string[];
  queueBase?: number;
  /** AF_PACKET ring layout (PoolOptions.afpRing; default 2). */
  afpRing?: 2 | 3;
  /** AF_XDP interrupt moderation in µs (PoolOptions.xskCoalesceUs; default 250, 0 = off). */
  xskCoalesceUs?: number;
  /** /proc/sys/net/ipv4/vs knobs set by flags (--sloppy-tcp). */
  sysctls?: Partial<IpvsSysctls>;
}

/** The data plane for `ulvs run`: packet workers, or NullDataPlane for --backend none. */
export async function createDataPlane(opts: DataPlaneOptions, log: Logger): Promise<DataPlanePort> {
  if (opts.backend === 'none') return new NullDataPlane();
  const { PoolDataPlane } = await import('./pool-dataplane.js');
  return new PoolDataPlane({
    backend: opts.backend,
    workers: opts.workers,
    interfaces: opts.interfaces,
    queueBase: opts.queueBase,
    afpRing: opts.afpRing,
    xskCoalesceUs: opts.xskCoalesceUs,
    sysctls: opts.sysctls,
    log: (l) => log.warn(l),
  });
}

/** VrrpPort over VrrpManager: created on the first apply, reloaded (keepalived's vrrp_exist matching) after. */
export async function createVrrp(log: Logger): Promise<VrrpPort | undefined> {
  let m: VrrpManager | undefined;
  const holds = new Set<string>();
  return {
    setPreemptHold(name: string, hold: boolean): void {
      if (hold) holds.add(name);
      else holds.delete(name);
      m?.setPreemptHold(name, hold);
    },
    async apply(model: { vrrp?: VrrpConfig } | undefined): Promise<void> {
      const cfg = model?.vrrp;
      if (!cfg) return;
      if (!m) {
        if (!cfg.instances.length && !cfg.staticAddresses?.length && !cfg.staticRoutes?.length && !cfg.staticRules?.length) return;
        m = new VrrpManager(cfg, { log: (msg) => log.info(`vrrp: ${msg}`) });
        m.on('state', (e) => log.info('vrrp state', e as unknown as Record<string, unknown>));
        m.on('state', (e) => mailAlerts().vrrp(e.instance, e.to));
        for (const name of holds) m.setPreemptHold(name, true);
      }
      await m.apply(cfg);
    },
    async stop(): Promise<void> {
      await m?.stop();
    },
    instances(): VrrpInstanceView[] {
      return m ? m.instances() : [];
    },
  };
}

/** The health manager's port. */
export async function createHealth(log: Logger): Promise<HealthPort | undefined> {
  const port = createHealthPort({ log: { info: (m) => log.info(m), warn: (m) => log.warn(m), error: (m) => log.error(m) } });
  port.manager.on('change', (e: RealServerChange) => mailAlerts().realServer(e));
  return port;
}
