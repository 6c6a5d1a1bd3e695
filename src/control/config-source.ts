/**
 * Loads a keepalived.conf for the daemon through the config part's loadConfig (src/config), found
 * at run time so the daemon builds before that part lands. What the daemon needs from a load:
 * the IPVS services, the global timeouts, the VRRP and health parts (passed on as they are), and
 * the errors that refuse the file, each "file:line: message".
 */
import { existsSync } from 'node:fs';
import type { IpvsTimeouts, VirtualServiceSpec } from '../ipvs/types.js';

/** Outcome of loading a configuration file. */
export interface ConfigLoad {
  ok: boolean;
  /** Errors that refuse the file ("file:line: message"). */
  errors: string[];
  warnings: string[];
  services: VirtualServiceSpec[];
  timeouts?: IpvsTimeouts;
  /** Whether the file configures VRRP instances (they need raw sockets). */
  hasVrrp: boolean;
  /** The config part's whole model, handed to the VRRP and health adapters. */
  model?: unknown;
}

/** A function that loads a file. */
export type ConfigLoader = (file: string) => Promise<ConfigLoad>;

interface Diag { severity: string; file: string; line: number; message: string }
interface LoadResultLike {
  ok: boolean;
  diagnostics: Diag[];
  model: { ipvs?: { services: VirtualServiceSpec[]; timeouts?: IpvsTimeouts }; global?: { lvsTimeouts?: Partial<IpvsTimeouts> }; vrrp?: { instances?: unknown[] } };
}
type LoadConfigFn = (file: string, opts?: Record<string, unknown>) => LoadResultLike | Promise<LoadResultLike>;

const CANDIDATES = ['../config/load.js', '../config/index.js', '../config/loader.js', '../config/load-config.js'];

async function findLoadConfig(): Promise<LoadConfigFn | undefined> {
  for (const c of CANDIDATES) {
    const url = new URL(c, import.meta.url);
    const ts = new URL(c.replace(/\.js$/, '.ts'), import.meta.url);
    if (!existsSync(url) && !existsSync(ts)) continue;
    const spec = c;
    const mod = (await import(spec)) as { loadConfig?: LoadConfigFn };
    if (typeof mod.loadConfig === 'function') return mod.loadConfig;
  }
  return undefined;
}

function where(d: Diag): string {
  return d.line ? `${d.file}:${d.line}: ${d.message}` : `${d.file}: ${d.message}`;
}

/** Loads with the config part's loadConfig; when that part is missing, says so as an error. */
export const loadDaemonConfig: ConfigLoader = async (file) => {
  const loadConfig = await findLoadConfig();
  if (!loadConfig) {
    return { ok: false, errors: [`${file}: this build has no keepalived.conf loader (src/config loadConfig is missing)`], warnings: [], services: [], hasVrrp: false };
  }
  const r = await loadConfig(file, { hostChecks: true });
  const errors = r.diagnostics.filter((d) => d.severity === 'error').map(where);
  const warnings = r.diagnostics.filter((d) => d.severity === 'warning').map(where);
  return {
    ok: r.ok && errors.length === 0,
    errors,
    warnings,
    services: r.model.ipvs?.services ?? [],
    timeouts: r.model.ipvs?.timeouts,
    hasVrrp: (r.model.vrrp?.instances?.length ?? 0) > 0,
    model: r.model,
  };
};
