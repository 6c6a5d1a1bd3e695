/**
 * `ulvs replay --dashboard`: the web dashboard for a replayed capture. The capture is replayed once, one
 * packet per batch, to list its packets (time, 5-tuple, TCP flags, verdict, real server) and to sample the
 * services' and real servers' rates over the capture's own clock (the charts); a click on packet N replays the capture up to N
 * and explains N there, so its walk shows the table as the packets before it left it, not as the capture
 * ends. The services, their counters and the connection table are those at the capture's end; a 5-tuple
 * typed into the walk form is explained against that end state. Served on the metrics server's routes
 * (GET only, the same caps); no VRRP, health or live samples in a replay.
 */
import { basename } from 'node:path';
import { Registry } from 'prom-client';
import { dashConnections, dashServices } from '../control/dashboard-source.js';
import { buildListing } from '../control/listing.js';
import { RateEstimator } from '../control/rate-estimator.js';
import { connectionEntries, serviceCounters } from '../control/table-view.js';
import { LinkType } from '../core/batch.js';
import { addPoint, DashboardHistory, type Series } from '../dashboard/history.js';
import { dashboardRoutes } from '../dashboard/routes.js';
import type { DashboardSource, DashReplayPacket } from '../dashboard/source.js';
import { explainPacket, type Explanation } from '../dataplane/explain.js';
import { addrPortText, serviceKeyText } from '../ipvs/service-key.js';
import { startMetricsServer } from '../metrics/server.js';
import { parseMac } from '../packet/addr.js';
import { buildFlowPacket } from '../packet/flow-frame.js';
import { UserError } from './command.js';
import { DEFAULT_REPLAY_DASHBOARD, runReplay, type ReplayOptions, type ReplayState } from './commands/replay.js';

/** Packets the list holds at most (the rest of a longer capture is replayed, counted, but not listed). */
export const MAX_LISTED_PACKETS = 200_000;
/** Walks kept, so clicking back and forth does not replay the capture again. */
const WALK_CACHE = 64;
/** Rate points kept for the charts (one per second of capture time). */
const MAX_POINTS = 3600;

/** The replay as the dashboard reads it, and the rate history sampled over the capture's clock. */
export interface ReplayDashboard {
  source: DashboardSource;
  history: DashboardHistory;
  /** Packets replayed (all of them, listed or not). */
  packets: number;
}

/** Replays `o.in` once and binds the dashboard to what it saw. Throws UserError (bad rules, bad capture). */
export async function loadReplayDashboard(o: ReplayOptions): Promise<ReplayDashboard> {
  const packets: DashReplayPacket[] = [];
  const rates: Series = { t: [], values: {} };
  let nextMs = Number.NaN;
  let last = new Map<string, { conns: number; inPkts: number; outPkts: number; inBytes: number }>();
  // One point per second of capture time: the counter deltas over that second, per service.
  const sample = (tMs: number, at: ReplayState): void => {
    const point: Record<string, number> = {};
    const now = new Map<string, { conns: number; inPkts: number; outPkts: number; inBytes: number }>();
    for (const c of serviceCounters(at.state, at.spec)) {
      const key = serviceKeyText(c.key);
      const prev = last.get(key) ?? { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0 };
      now.set(key, c.stats);
      point[`${key} cps`] = c.stats.conns - prev.conns;
      point[`${key} inPps`] = c.stats.inPkts - prev.inPkts;
      point[`${key} outPps`] = c.stats.outPkts - prev.outPkts;
      point[`${key} inBps`] = c.stats.inBytes - prev.inBytes;
      for (const d of c.dests) {
        const id = `${key} -> ${addrPortText(d.address, d.port)}`;
        now.set(id, d.stats);
        point[`${id} inPps`] = d.stats.inPkts - (last.get(id)?.inPkts ?? 0);
      }
    }
    last = now;
    addPoint(rates, tMs, point, MAX_POINTS);
  };
  const zero = (tMs: number): void => addPoint(rates, tMs, {}, MAX_POINTS);
  const r = await runReplay({
    ...o,
    onePerBatch: true,
    onPacket: (p, at) => {
      if (Number.isNaN(nextMs)) nextMs = p.timeMs + 1000;
      if (p.timeMs >= nextMs) {
        sample(nextMs, at);
        // A quiet gap: one zero point after the busy second, then on from the second this packet is in.
        if (p.timeMs >= nextMs + 1000) zero(nextMs + 1000);
        nextMs += Math.floor((p.timeMs - nextMs) / 1000) * 1000 + 1000;
      }
      if (packets.length < MAX_LISTED_PACKETS) packets.push(p);
    },
  });
  const end = r.final;
  if (!end) throw new UserError(`${o.in}: no packets to replay`);
  sample(Number.isNaN(nextMs) ? end.nowMs : nextMs, end);

  const walks = new Map<number, Explanation>();
  const walk = async (n: number): Promise<Explanation | undefined> => {
    if (n < 1 || n > r.packets) return undefined;
    const hit = walks.get(n);
    if (hit) return hit;
    const w = await runReplay({ ...o, out: '/dev/null', report: undefined, onPacket: undefined, dashboard: false, explain: n, reply: true });
    if (!w.explanation) return undefined;
    if (walks.size >= WALK_CACHE) walks.delete(walks.keys().next().value!);
    walks.set(n, w.explanation);
    return w.explanation;
  };
  const source: DashboardSource = {
    services: () => dashServices(buildListing(end.rules, serviceCounters(end.state, end.spec), new RateEstimator()).services, []),
    vrrp: () => [],
    health: () => [],
    connections: (limit) => dashConnections(connectionEntries(end.state, end.nowMs, limit)),
    explain: (flow) =>
      explainPacket({
        spec: end.spec,
        live: end.state,
        frame: buildFlowPacket({ ...flow, ether: { dst: parseMac(end.directorMac)!, src: parseMac('02:00:00:00:00:01')! } }),
        linkType: LinkType.Ether,
        nowMs: end.nowMs,
        fwmark: flow.fwmark,
        ifindex: 1,
        ifnames: end.ifnames,
        reply: flow.reply,
      }),
    samples: () => ({ rate: 0, samples: [] }),
    explainSample: () => undefined,
    replay: { file: basename(o.in), packets, walk },
  };
  const history = new DashboardHistory(source);
  Object.assign(history.rates, rates);
  return { source, history, packets: r.packets };
}

/** Replays, serves the dashboard on `o.listen` and runs until SIGINT/SIGTERM; resolves to the exit code. */
export async function serveReplayDashboard(o: ReplayOptions, log: (line: string) => void): Promise<number> {
  const d = await loadReplayDashboard(o);
  const listen = o.listen ?? DEFAULT_REPLAY_DASHBOARD;
  let server;
  try {
    server = await startMetricsServer(listen, new Registry(), {}, dashboardRoutes(d.source, d.history));
  } catch (e) {
    throw new UserError(`cannot serve the dashboard on ${listen}: ${(e as Error).message}; pick another address with --listen`);
  }
  const h = server.address.host.includes(':') ? `[${server.address.host}]` : server.address.host;
  const listed = d.source.replay!.packets.length;
  log(`replayed ${d.packets} packets${listed < d.packets ? ` (the first ${listed} listed)` : ''}`);
  process.stdout.write(`dashboard for ${d.source.replay!.file}: http://${h}:${server.address.port}/  (Ctrl-C stops)\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.close();
  return 0;
}
