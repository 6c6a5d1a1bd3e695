/**
 * Binding of the HealthManager to the daemon (src/control/adapters.ts creates it with createHealthPort):
 * takes the loaded configuration model, turns manager events into decisions the daemon lays over the
 * rules, and watches local addresses for ha_suspend. HealthPort, HealthPortDecision and HealthPortView
 * are the one declaration of those shapes: control/ports.ts re-exports them (health must not import control).
 */
import { networkInterfaces } from 'node:os';
import type { ServiceKey } from '../ipvs/types.js';
import { HealthManager, type CheckAttempt } from './manager.js';
import type { HealthServiceSpec, RealServerChange, SorryServerChange } from './types.js';

/** A decision the daemon applies: a real server's (or the sorry server's) presence and weight. */
export interface HealthPortDecision {
  keys: ServiceKey[];
  address: string;
  port: number;
  inService: boolean;
  weight: number;
  /** True for a sorry server (not a configured real server). */
  sorry?: boolean;
  forward?: 'dr' | 'nat' | 'tun';
}

/** One real server's health for status and metrics. */
export interface HealthPortView {
  service: string;
  realServer: string;
  alive: boolean;
  inService: boolean;
  weight: number;
  /** Probes run and failed since the daemon started (successes and failures). */
  checks: number;
  failures: number;
  /**
   * No checker of the real server has run yet: the first probe comes after a random warmup of up to
   * `warmup` (default delay_loop, 60 s unless set), as keepalived's; until then checks is 0 and alive is the initial state.
   */
  firstCheckPending: boolean;
  /** The real server's checker types (TCP_CHECK, HTTP_GET, ...); empty: it has none and is always alive. */
  checkers: string[];
  /** The virtual services of the block (one, or a virtual_server_group's members). */
  keys: ServiceKey[];
}

/** The part of the configuration model the health port reads (config's ConfigModel has it). */
export interface HealthConfigPart {
  /** One spec per virtual_server block; absent when the daemon runs VRRP only (keepalived -P). */
  health?: HealthServiceSpec[];
}

/** What the daemon needs from the health manager (control/ports.ts re-exports it). */
export interface HealthPort {
  /** Applies a (new) configuration; retained real servers keep their checker state. */
  apply(config: HealthConfigPart | undefined): Promise<void>;
  /** Registers the callback for decisions. */
  onDecision(cb: (d: HealthPortDecision) => void): void;
  stop(): Promise<void>;
  views(): HealthPortView[];
}

/** The health port createHealthPort returns: HealthPort plus the manager itself, for callers that want events directly. */
export interface HealthPortImpl extends HealthPort {
  readonly manager: HealthManager;
}

interface LogLike {
  info?(msg: string): void;
  warn?(msg: string): void;
  error?(msg: string): void;
}

/** Local addresses now (for ha_suspend). */
function localAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.add(a.address.replace(/%.*$/, ''));
  return out;
}

/** Creates the daemon's health port; `opts.log` receives the manager's log lines. */
export function createHealthPort(opts: { log?: LogLike; vipPollMs?: number } = {}): HealthPortImpl {
  const manager = new HealthManager();
  const specs = new Map<string, HealthServiceSpec>();
  const counts = new Map<string, { checks: number; failures: number }>();
  const cbs: Array<(d: HealthPortDecision) => void> = [];
  let vipTimer: NodeJS.Timeout | null = null;
  const decide = (d: HealthPortDecision) => {
    for (const cb of cbs) {
      try {
        cb(d);
      } catch (e) {
        opts.log?.error?.(`health decision listener threw: ${(e as Error).message}`);
      }
    }
  };
  manager.on('change', (e: RealServerChange) => {
    const s = specs.get(e.service);
    if (s) decide({ keys: s.keys, address: e.address, port: e.port, inService: e.inService, weight: e.weight });
    opts.log?.info?.(
      `health: ${e.service} real server ${e.realServer} ${e.alive ? 'alive' : 'dead'}, ${e.inService ? `in service weight ${e.weight}` : 'out of service'} (${e.reason})`,
    );
  });
  manager.on('sorry', (e: SorryServerChange) => {
    const s = specs.get(e.service);
    if (s) decide({ keys: s.keys, address: e.address, port: e.port, inService: e.inService, weight: e.weight, sorry: true, forward: s.sorryServer?.forward });
  });
  manager.on('attempt', (a: CheckAttempt) => {
    const k = `${a.service}\n${a.realServer}`;
    const c = counts.get(k) ?? { checks: 0, failures: 0 };
    c.checks++;
    if (!a.ok) c.failures++;
    counts.set(k, c);
  });
  manager.on('log', (l: { level: string; message: string }) => {
    if (l.level === 'error') opts.log?.error?.(l.message);
    else if (l.level === 'warning') opts.log?.warn?.(l.message);
    else opts.log?.info?.(l.message);
  });
  const pollVips = () => {
    const local = localAddresses();
    for (const s of specs.values()) if (s.haSuspend) for (const v of s.vips) manager.setVipPresent(v, local.has(v));
  };
  let started = false;
  return {
    manager,
    async apply(config: HealthConfigPart | undefined) {
      const list = config?.health ?? [];
      specs.clear();
      for (const s of list) specs.set(s.id, s);
      pollVips();
      if (!started) {
        started = true;
        manager.start(list);
      } else manager.reload(list);
      if (!vipTimer && list.some((s) => s.haSuspend)) {
        vipTimer = setInterval(pollVips, opts.vipPollMs ?? 1000);
        vipTimer.unref();
      }
    },
    onDecision(cb) {
      cbs.push(cb);
    },
    async stop() {
      if (vipTimer) clearInterval(vipTimer);
      vipTimer = null;
      await manager.stop();
    },
    views() {
      const out: HealthPortView[] = [];
      for (const svc of manager.view()) {
        for (const rs of svc.realServers) {
          const c = counts.get(`${svc.service}\n${rs.realServer}`) ?? { checks: 0, failures: 0 };
          out.push({
            service: svc.service,
            realServer: rs.realServer,
            alive: rs.alive,
            inService: rs.inService,
            weight: rs.weight,
            checks: c.checks,
            failures: c.failures,
            firstCheckPending: rs.checkers.length > 0 && rs.checkers.every((k) => !k.checked),
            checkers: rs.checkers.map((k) => k.type),
            keys: specs.get(svc.service)?.keys ?? [],
          });
        }
      }
      return out;
    },
  };
}
