/**
 * The daemon's HTTP endpoint (/metrics and the dashboard) as `ulvs run` serves it. The address being taken
 * (any local user can bind 127.0.0.1:9406 first) must not keep a director from starting: the daemon runs on
 * without it, says so, and tries again every `retryMs` until the address is free.
 */
import { daemonDashboardSource } from './dashboard-source.js';
import type { Daemon } from './daemon.js';
import type { Logger } from './logger.js';
import { daemonMetricsSource } from './metrics-source.js';
import { DashboardHistory } from '../dashboard/history.js';
import { dashboardRoutes } from '../dashboard/routes.js';
import { createMetricsRegistry } from '../metrics/registry.js';
import { type HttpRoutes, type MetricsServer, parseListenAddress, startMetricsServer } from '../metrics/server.js';

/** The running endpoint: closed with the daemon. */
export interface MetricsEndpoint {
  close(): Promise<void>;
}

/** Serves /metrics (and the dashboard unless `dashboard` is false) on `address`; throws only for a malformed address. */
export function serveMetricsEndpoint(daemon: Daemon, address: string, dashboard: boolean, log: Logger, retryMs = 5000): MetricsEndpoint {
  parseListenAddress(address);
  let history: DashboardHistory | undefined;
  let routes: HttpRoutes | undefined;
  if (dashboard) {
    const src = daemonDashboardSource(daemon);
    history = new DashboardHistory(src);
    history.start();
    routes = dashboardRoutes(src, history);
  }
  const registry = createMetricsRegistry(daemonMetricsSource(daemon));
  let server: MetricsServer | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let failures = 0;
  const attempt = async (): Promise<void> => {
    timer = undefined;
    try {
      const s = await startMetricsServer(address, registry, {}, routes);
      if (closed) return void (await s.close());
      server = s;
      const at = `${s.address.host.includes(':') ? `[${s.address.host}]` : s.address.host}:${s.address.port}`;
      log.info('metrics listening', { address: at });
      if (routes) log.info(`dashboard at http://${at}/`);
    } catch (e) {
      if (failures++ === 0)
        log.error(
          `cannot serve /metrics on ${address}: ${(e as Error).message}; the director runs on without /metrics${routes ? ' and the dashboard' : ''} and tries again every ${retryMs / 1000} s`,
        );
      if (!closed) timer = setTimeout(() => void attempt(), retryMs);
    }
  };
  const first = attempt();
  return {
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await first;
      history?.stop();
      await server?.close();
    },
  };
}
