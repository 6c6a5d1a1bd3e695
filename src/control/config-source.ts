/**
 * Loads a keepalived.conf for the daemon through the config part's loadConfig (src/config), run in a
 * worker thread (config/load-worker.ts). What the daemon needs from a load:
 * the IPVS services, the global timeouts, the VRRP and health parts (passed on as they are), and
 * the errors that refuse the file, each "file:line: message".
 */
import { loadConfigInWorker } from '../config/load-worker.js';
import type { ConfigModel } from '../config/types.js';
import type { IpvsTimeouts, VirtualServiceSpec } from '../ipvs/types.js';

/** Outcome of loading a configuration file. */
export interface ConfigLoad {
  ok: boolean;
  /** Errors that refuse the file ("file:line: message"). */
  errors: string[];
  warnings: string[];
  /** The stable codes of the warnings (e.g. 'interface-missing'), for keepalived -t's verdict. */
  warningCodes?: string[];
  services: VirtualServiceSpec[];
  timeouts?: IpvsTimeouts;
  /** Whether the file configures VRRP instances (they need raw sockets). */
  hasVrrp: boolean;
  /** The config part's model, handed to the VRRP and health ports (keepalived -P / -C leave parts out). */
  model?: DaemonModel;
}

/** The configuration model the daemon runs: the config part's ConfigModel, parts of it for -P / -C. */
export type DaemonModel = Partial<ConfigModel>;

/** A function that loads a file. */
export type ConfigLoader = (file: string) => Promise<ConfigLoad>;

interface Diag {
  severity: string;
  code?: string;
  file: string;
  line: number;
  message: string;
}

function where(d: Diag): string {
  return d.line ? `${d.file}:${d.line}: ${d.message}` : `${d.file}: ${d.message}`;
}

function codesOf(ds: Diag[]): string[] {
  return ds.filter((d) => d.severity === 'warning' && d.code).map((d) => d.code!);
}

/** Loads with the config part's loadConfig in a worker thread (the event loop keeps VRRP going meanwhile). */
export const loadDaemonConfig: ConfigLoader = async (file) => {
  const r = await loadConfigInWorker(file, { hostChecks: true });
  const errors = r.diagnostics.filter((d) => d.severity === 'error').map(where);
  const warnings = r.diagnostics.filter((d) => d.severity === 'warning').map(where);
  return {
    ok: r.ok && errors.length === 0,
    errors,
    warnings,
    warningCodes: codesOf(r.diagnostics),
    services: r.model.ipvs?.services ?? [],
    timeouts: r.model.ipvs?.timeouts,
    hasVrrp: (r.model.vrrp?.instances?.length ?? 0) > 0,
    model: r.model,
  };
};

/** Which parts of a file the daemon runs (keepalived -P: VRRP only, -C: virtual servers and checkers only). */
export type Subsystems = 'all' | 'vrrp' | 'check';

/** A loader with keepalived's -i config id, -P/-C subsystem choice and -B (no BFD) applied to what loadDaemonConfig gives. */
export function daemonConfigLoader(o: { configId?: string; subsystems?: Subsystems; noBfd?: boolean }): ConfigLoader {
  return async (file) => {
    const r = await loadConfigInWorker(file, { hostChecks: true, ...(o.configId !== undefined ? { configId: o.configId } : {}) });
    const errors = r.diagnostics.filter((d) => d.severity === 'error').map(where);
    const warnings = r.diagnostics.filter((d) => d.severity === 'warning').map(where);
    const vrrpOnly = o.subsystems === 'vrrp';
    const checkOnly = o.subsystems === 'check';
    const model: DaemonModel = { ...r.model };
    if (vrrpOnly && model.ipvs) model.ipvs = { ...model.ipvs, services: [] };
    if (vrrpOnly) delete model.health;
    if (checkOnly) delete model.vrrp;
    if (o.noBfd) model.bfd = [];
    return {
      ok: r.ok && errors.length === 0,
      errors,
      warnings,
      warningCodes: codesOf(r.diagnostics),
      services: vrrpOnly ? [] : (r.model.ipvs?.services ?? []),
      timeouts: r.model.ipvs?.timeouts,
      hasVrrp: !checkOnly && (r.model.vrrp?.instances?.length ?? 0) > 0,
      model,
    };
  };
}
