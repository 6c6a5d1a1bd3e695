/**
 * Binds the daemon's ports (ports.ts) to the real parts when this build has them: the data-plane
 * pool, the VRRP manager and the health manager. A part that is missing gives a logged warning and
 * a stand-in (NullDataPlane: rules kept and listed, nothing forwarded), never a crash.
 */
import { existsSync } from 'node:fs';
import type { Logger } from './logger.js';
import { NullDataPlane, type DataPlanePort, type HealthPort, type VrrpPort } from './ports.js';

/** Data-plane options of `ulvs run`. */
export interface DataPlaneOptions {
  backend: 'nfqueue' | 'afpacket' | 'none';
  workers: number;
  iface?: string;
  queueBase?: number;
}

/** True when the module next to this file's tree exists (as .js when built, .ts under tap). */
function present(rel: string): boolean {
  return existsSync(new URL(rel, import.meta.url)) || existsSync(new URL(rel.replace(/\.js$/, '.ts'), import.meta.url));
}

type Factory<T> = (opts: Record<string, unknown>) => Promise<T> | T;

async function findFactory<T>(rel: string, names: string[]): Promise<Factory<T> | undefined> {
  if (!present(rel)) return undefined;
  const mod = (await import(rel)) as Record<string, unknown>;
  for (const n of names) if (typeof mod[n] === 'function') return mod[n] as Factory<T>;
  return undefined;
}

/** The data plane for `ulvs run` (the pool's createDataPlanePort when present, else NullDataPlane). */
export async function createDataPlane(opts: DataPlaneOptions, log: Logger): Promise<DataPlanePort> {
  if (opts.backend === 'none') return new NullDataPlane();
  const f = await findFactory<DataPlanePort>('../dataplane/control-port.js', ['createDataPlanePort']);
  if (!f) {
    log.warn('this build has no data-plane pool binding (src/dataplane): rules are kept and listed but no packets are forwarded');
    return new NullDataPlane();
  }
  return f({ ...opts });
}

/** The VRRP manager, when this build has one. */
export async function createVrrp(log: Logger): Promise<VrrpPort | undefined> {
  const f = await findFactory<VrrpPort>('../vrrp/control-port.js', ['createVrrpPort']);
  if (!f) log.warn('this build has no VRRP manager binding (src/vrrp): vrrp_instance blocks are not run');
  return f ? f({ log }) : undefined;
}

/** The health manager, when this build has one. */
export async function createHealth(log: Logger): Promise<HealthPort | undefined> {
  const f = await findFactory<HealthPort>('../health/control-port.js', ['createHealthPort']);
  if (!f) log.warn('this build has no health-check manager binding (src/health): real servers are always in service');
  return f ? f({ log }) : undefined;
}
