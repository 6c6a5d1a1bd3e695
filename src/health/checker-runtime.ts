// The records a running HealthManager keeps per service, real server and checker, and the live view read from them.
import type { TimerHandle } from './clock.js';
import type { CheckerState } from './policy/dampener.js';
import type { ServicePolicy } from './policy/service-policy.js';
import type { ResolvedChecker, ResolvedRealServer, ResolvedService } from './resolve.js';
import type { ServiceHealthView } from './types.js';

/** One running checker: its config, dampener state, timer and last result. */
export interface CheckerRt {
  cfg: ResolvedChecker;
  state: CheckerState;
  timer: TimerHandle | null;
  /** Planned start of the current delay_loop cycle (drift-free cadence anchor). */
  anchorMs: number;
  running: boolean;
  retried: boolean;
  dead: boolean;
  lastError: string;
  lastCheckMs: number;
  rs: RsRt;
}

/** One real server of a running service and its checkers. */
export interface RsRt {
  res: ResolvedRealServer;
  checkers: CheckerRt[];
  svc: SvcRt;
}

/** One running virtual service: its resolved spec, policy (quorum, sorry server), real servers and ha_suspend state. */
export interface SvcRt {
  res: ResolvedService;
  policy: ServicePolicy;
  rs: Map<string, RsRt>;
  suspended: boolean;
}

/** Live state of every service, real server and checker (for ulvsadm -L and the API). */
export function healthView(services: Iterable<SvcRt>): ServiceHealthView[] {
  const out: ServiceHealthView[] = [];
  for (const svc of services) {
    out.push({
      service: svc.res.id,
      quorumUp: svc.policy.quorumUp,
      sorryActive: svc.policy.sorryActive,
      suspended: svc.suspended,
      aliveWeight: svc.policy.aliveWeight(),
      realServers: [...svc.rs.values()].map((rs) => {
        const o = svc.policy.outputOf(rs.res.id);
        return {
          realServer: rs.res.id,
          alive: svc.policy.isAlive(rs.res.id),
          inService: o?.inService ?? false,
          weight: o?.weight ?? 0,
          checkers: rs.checkers.map((c) => ({
            type: c.cfg.type,
            up: c.state.up,
            failures: c.state.failures,
            lastError: c.lastError,
            lastCheckMs: c.lastCheckMs,
            checked: c.state.hasRun,
          })),
        };
      }),
    });
  }
  return out;
}
