/**
 * Binds the daemon's ports (ports.ts) to the real parts: the worker pool (pool-dataplane.ts), the
 * VRRP manager (src/vrrp/manager.ts) and the health manager (src/health/control-port.ts). A part
 * that cannot start in this build gives a logged warning and a stand-in, never a crash.
 */
import { existsSync } from 'node:fs';
import type { VrrpConfig } from '../vrrp/types.js';
import type { Logger } from './logger.js';
import type { RealServerChange } from '../health/types.js';
import { mailAlerts } from './mail-alerts.js';
import { NullDataPlane, type DataPlanePort, type HealthPort, type VrrpInstanceView, type VrrpPort } from './ports.js';

/** Data-plane options of `ulvs run`. */
export interface DataPlaneOptions {
  backend: 'nfqueue' | 'afpacket' | 'none';
  workers: number;
  /** Director interfaces (afpacket receives on them; VIPs and DR routes use the first). */
  interfaces: string[];
  queueBase?: number;
  /** AF_PACKET ring layout (PoolOptions.afpRing; default 2). */
  afpRing?: 2 | 3;
}

/** True when the module exists in this build (as .js when built, .ts under tap). */
function present(rel: string): boolean {
  return existsSync(new URL(rel, import.meta.url)) || existsSync(new URL(rel.replace(/\.js$/, '.ts'), import.meta.url));
}

/** The data plane for `ulvs run`: packet workers, or NullDataPlane for --backend none. */
export async function createDataPlane(opts: DataPlaneOptions, log: Logger): Promise<DataPlanePort> {
  if (opts.backend === 'none') return new NullDataPlane();
  const { PoolDataPlane } = await import('./pool-dataplane.js');
  return new PoolDataPlane({ backend: opts.backend, workers: opts.workers, interfaces: opts.interfaces, queueBase: opts.queueBase, afpRing: opts.afpRing, log: (l) => log.warn(l) });
}

/** VrrpPort over VrrpManager: created on the first apply, reloaded (keepalived's vrrp_exist matching) after. */
export async function createVrrp(log: Logger): Promise<VrrpPort | undefined> {
  if (!present('../vrrp/manager.js')) {
    log.warn('this build has no VRRP manager (src/vrrp): vrrp_instance blocks are not run');
    return undefined;
  }
  const { VrrpManager } = await import('../vrrp/manager.js');
  let m: InstanceType<typeof VrrpManager> | undefined;
  return {
    async apply(model: unknown): Promise<void> {
      const cfg = (model as { vrrp?: VrrpConfig } | undefined)?.vrrp;
      if (!cfg) return;
      if (!m) {
        if (!cfg.instances.length && !cfg.staticAddresses?.length && !cfg.staticRoutes?.length && !cfg.staticRules?.length) return;
        m = new VrrpManager(cfg, { log: (msg) => log.info(`vrrp: ${msg}`) });
        m.on('state', (e) => log.info('vrrp state', e as unknown as Record<string, unknown>));
        m.on('state', (e) => mailAlerts().vrrp(e.instance, e.to));
      }
      await m.apply(cfg);
    },
    async stop(): Promise<void> { await m?.stop(); },
    instances(): VrrpInstanceView[] { return m ? m.instances() : []; },
  };
}

/** The health manager's port, when this build has one. */
export async function createHealth(log: Logger): Promise<HealthPort | undefined> {
  if (!present('../health/control-port.js')) {
    log.warn('this build has no health-check manager (src/health): real servers are always in service');
    return undefined;
  }
  const mod = await import('../health/control-port.js');
  const port = mod.createHealthPort({ log: { info: (m) => log.info(m), warn: (m) => log.warn(m), error: (m) => log.error(m) } });
  port.manager.on('change', (e: RealServerChange) => mailAlerts().realServer(e));
  return port;
}
