// What a daemon is made of (its options and ports), a refused start, and what a reload reports.
import type { BgpAnnouncer } from '../bgp/announcer.js';
import { ERROR_CODES, UlvsError } from '../core/errors.js';
import type { ConfigLoader } from './config-source.js';
import type { Logger } from './logger.js';
import type { DataPlanePort, HealthPort, VrrpPort } from './ports.js';

/** Everything a daemon is made of. */
export interface DaemonOptions {
  configFile: string;
  socketPath: string;
  pidPath: string;
  logger: Logger;
  loadConfig: ConfigLoader;
  dataPlane: DataPlanePort;
  vrrp?: VrrpPort;
  health?: HealthPort;
  /** Rate estimator period; default the kernel's 2 s. */
  rateIntervalMs?: number;
  /** The ulvs_bgp announcer (bgpd): told the rules after each publish, withdrawn first on stop and drain. */
  bgp?: BgpAnnouncer;
  /** Called once `ulvs drain` has withdrawn and waited: the caller stops the daemon (run.ts: SIGTERM). */
  onDrained?: () => void;
}

/** A refused start: the configuration has errors (nothing was applied). */
export class DaemonStartError extends UlvsError {
  constructor(
    message: string,
    readonly errors: string[] = [],
  ) {
    super(message, ERROR_CODES.DaemonStart);
  }
}

/** What a reload did. */
export interface ReloadReport {
  ok: boolean;
  file: string;
  /** Why the file was refused (nothing changed then). */
  errors: string[];
  warnings: string[];
  /** Rule changes applied, e.g. "add-service TCP 10.0.0.1:80". */
  changes: string[];
  /** Changes made outside the file (ulvsadm) to the file's services, undone by this reload. */
  reverted: string[];
  failed: string[];
}
