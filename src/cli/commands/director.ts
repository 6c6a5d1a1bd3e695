/**
 * `ulvs director`: the data plane alone (no VRRP, no health checks) from ipvsadm-save rules. Compiles
 * a snapshot against this host's interfaces, starts the packet workers (dataplane/pool.ts), installs
 * the netfilter/route setup (host/director.ts), refreshes real servers' MACs, and on SIGINT/SIGTERM
 * (or a crash) removes everything it added. Runnable directly: `node dist/cli/commands/director.js ...`.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { UsageError, UserError, type CliCommand } from '../command.js';
import { coalesceOption } from '../dataplane-flags.js';
import { LinkType } from '../../core/batch.js';
import { DataplanePool, type PoolCounters } from '../../dataplane/pool.js';
import { keepMarkJumpLast, setupDirectorNet, teardownDirectorNet, leftovers } from '../../host/director.js';
import { checkBackendSupports, drDestsOf, planDirectorNet, xskRedirectOf, type DirectorBackend } from '../../host/director-plan.js';
import { SnapshotCompiler } from '../../dataplane/snapshot.js';
import type { SnapshotEnv } from '../../dataplane/snapshot-types.js';
import { buildFilter } from '../../io/bpf.js';
import { readHostEnv } from '../../host/host-env.js';
import { NeighbourTracker } from '../../host/neighbours.js';
import { parseRulesText } from '../../ipvs/rules-text.js';
import type { IpvsRules } from '../../ipvs/types.js';
import { loadNative } from '../../native/addon.js';
import { attachSharedState, createSharedState } from '../../table/shared-state.js';
import { dropReasonName as reasonName } from '../../packet/drop-reasons.js';

const USAGE = `usage: ulvs director --rules FILE --iface IF [options]
       ulvs director --cleanup

Runs the data plane alone from ipvsadm-save rules (-A/-a lines) until SIGINT/SIGTERM.

options:
  --rules FILE        ipvsadm-save / ipvsadm -S output (or ipvsadm-restore input)
  --iface IF          director interface (repeat for several); VIPs are added to the first
  --backend B         nfqueue | afpacket | afxdp (default afpacket; afxdp falls back to afpacket where AF_XDP cannot start)
  --workers N         packet workers (default: one per core)
  --queue-base N      first NFQUEUE number (default 0; worker i uses N+i)
  --address A[/LEN]   extra address to hold while running (e.g. the NAT gateway); repeatable
  --fail-open         NFQUEUE: let the kernel have packets when a queue is full (default: drop)
  --afp-ring V        AF_PACKET ring: 2 (default: a packet is handled when it arrives) or 3 (block
                      batching: every packet of a quiet flow waits up to 1 ms)
  --afxdp-coalesce-us N  AF_XDP: while traffic is dense (32+ frames a wakeup), less than a full batch
                      waits up to N µs, so one wakeup serves many frames (less CPU per packet); sparse
                      traffic and request/response wait for nothing (0..100000; default 250; 0: off)
  --max-conns N       connection table size (default 1048576)
  --stats-s S         print counters every S seconds (default 0: only at exit)
  --cleanup           remove rules/routes/addresses a previous run left, then exit

SIGINT/SIGTERM stop it and remove everything it added; SIGUSR2 crashes worker 0 (a supervisor drill).
`;

/** A running director (what `ulvs director`, the lab and the tests drive). */
export interface RunningDirector {
  pool: DataplanePool;
  /** Stops the workers and removes every rule, route and address; idempotent. */
  stop(): Promise<void>;
}

/** Options of startDirector. */
export interface DirectorOptions {
  rules: IpvsRules;
  interfaces: string[];
  backend: DirectorBackend;
  workers?: number;
  queueBase?: number;
  addresses?: string[];
  failOpen?: boolean;
  /** AF_PACKET ring layout (PoolOptions.afpRing). */
  afpRing?: 2 | 3;
  /** AF_XDP interrupt moderation in µs (PoolOptions.xskCoalesceUs). */
  xskCoalesceUs?: number;
  maxConns?: number;
  log?: (line: string) => void;
}

function realServerAddresses(rules: IpvsRules): string[] {
  return [...new Set(rules.services.flatMap((s) => s.realServers.map((r) => r.address)))];
}

/** Starts the data plane in this network namespace; rejects with one sentence if it cannot. */
export async function startDirector(o: DirectorOptions): Promise<RunningDirector> {
  const log = o.log ?? (() => {});
  // Before any worker starts: a refusal must leave nothing running.
  checkBackendSupports(o.rules, o.backend);
  loadNative();
  const linkType = o.backend === 'nfqueue' ? LinkType.Ip : LinkType.Ether;
  const shared = createSharedState({ maxConns: o.maxConns ?? 1 << 20 });
  const compiler = new SnapshotCompiler(attachSharedState(shared, 0));
  const peers = realServerAddresses(o.rules);
  // AF_PACKET transmits past the kernel's neighbour layer: resolve every next hop actively (host/neighbours.ts).
  let refreshNow: () => void = () => {};
  const neigh = o.backend !== 'nfqueue' ? new NeighbourTracker({ interfaces: o.interfaces, log, onChange: () => refreshNow() }) : undefined;
  const fixedHops = (e: SnapshotEnv): string[] => [...new Set([...peers, ...(e.routes ?? []).flatMap((r) => (r.via ? [r.via] : []))])];
  let env: SnapshotEnv = await readHostEnv(linkType, o.interfaces, peers);
  neigh?.setFixed(fixedHops(env));
  for (const p of peers) if (!env.neighbours?.[p]) log(`warning: no MAC for real server ${p} yet (not answering ARP?)`);
  let spec = compiler.compile(o.rules, env);
  const vips = o.rules.services.flatMap((s) => (s.key.kind === 'addr' ? [s.key.address] : []));
  const natRs = [...new Set(o.rules.services.flatMap((s) => s.realServers.filter((r) => r.forward === 'nat').map((r) => r.address)))];
  const pool = await DataplanePool.start({
    backend: o.backend,
    workers: o.workers,
    interfaces: o.interfaces,
    queueBase: o.queueBase,
    failOpen: o.failOpen,
    afpRing: o.afpRing,
    xskCoalesceUs: o.xskCoalesceUs,
    filter: o.backend !== 'nfqueue' ? buildFilter({ dst: vips, src: natRs }) : undefined,
    xsk:
      o.backend === 'afxdp' ? xskRedirectOf(planDirectorNet(o.rules, { backend: 'afxdp', interfaces: o.interfaces, workers: o.workers ?? 1 }), env) : undefined,
    shared,
    snapshot: spec,
    onEvent: (e) => {
      if (e.kind !== 'ready') log(e.message);
    },
    onNeighbourMiss: (a) => neigh?.want(a),
  });
  const plan = planDirectorNet(o.rules, {
    backend: pool.backend as DirectorBackend,
    interfaces: o.interfaces,
    workers: pool.size,
    queueBase: o.queueBase,
    extraAddresses: o.addresses,
    drDests: drDestsOf(spec, env),
  });
  try {
    const changed = await setupDirectorNet(plan);
    if (changed.length) log(`host sysctls changed for the ${plan.backend} data plane (restored on stop): ${changed.join(', ')}`);
    // The setup added addresses (VIPs): compile against the host as it is now, before traffic arrives.
    const after = await readHostEnv(linkType, o.interfaces, peers, 0);
    if (JSON.stringify(after) !== JSON.stringify(env)) {
      env = after;
      spec = compiler.compile(o.rules, env);
      pool.publish(spec);
    }
  } catch (e) {
    await pool.stop();
    await teardownDirectorNet();
    throw e;
  }
  // Real servers' MACs and routes can change: re-read them and publish a new snapshot when they do
  // (every 2 s, and on AF_PACKET at once on each neighbour-table change).
  let busy = false;
  let again = false;
  const refreshEnv = async (): Promise<void> => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      for (const f of await keepMarkJumpLast(plan))
        log(`moved ulvs' jump back to the end of the IPv${f} mangle PREROUTING chain: a rule added after it (a MARK for a fwmark service) is now seen first`);
      const next = await readHostEnv(linkType, o.interfaces, peers, 0, undefined, neigh?.nextHops());
      if (JSON.stringify(next) !== JSON.stringify(env)) {
        log(`host changed (interfaces, routes or real-server MACs): publishing a new snapshot`);
        if (process.env.ULVS_DEBUG) log(`old ${JSON.stringify(env)}\nnew ${JSON.stringify(next)}`);
        env = next;
        neigh?.setFixed(fixedHops(env));
        spec = compiler.compile(o.rules, env);
        pool.publish(spec);
      }
    } catch (e) {
      log(`refresh failed: ${(e as Error).message}`);
    } finally {
      busy = false;
    }
    if (again) {
      again = false;
      await refreshEnv();
    }
  };
  refreshNow = () => void refreshEnv();
  neigh?.start();
  const refresh = setInterval(() => void refreshEnv(), 2000);
  refresh.unref();
  let stopping: Promise<void> | undefined;
  return {
    pool,
    stop(): Promise<void> {
      stopping ??= (async () => {
        clearInterval(refresh);
        neigh?.stop();
        await pool.stop();
        await teardownDirectorNet();
      })();
      return stopping;
    },
  };
}

/** Formats pool counters as a few lines (totals, per worker, drops by reason). */
export function formatCounters(c: PoolCounters): string {
  const t = c.totals;
  const lines = [
    `packets ${t.packets} (transmitted ${t.transmitted}, modified ${t.modified}, accepted ${t.accepted}, dropped ${t.dropped}) in ${t.batches} batches; restarts ${t.restarts}`,
  ];
  for (const w of c.workers) lines.push(`  worker ${w.workerIndex}: ${w.alive ? 'up' : 'DOWN'} packets ${w.packets} io ${JSON.stringify(w.io)}`);
  for (const [code, n] of Object.entries(c.dropReasons)) {
    lines.push(`  dropped ${n}: ${reasonName(Number(code))}`);
  }
  return lines.join('\n');
}

/** The `ulvs director` subcommand. */
export const command: CliCommand = {
  name: 'director',
  summary: 'run the data plane alone from ipvsadm-save rules (no VRRP, no health checks)',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    let v;
    try {
      v = parseArgs({
        args: argv,
        options: {
          rules: { type: 'string' },
          iface: { type: 'string', multiple: true },
          backend: { type: 'string', default: 'afpacket' },
          workers: { type: 'string' },
          'queue-base': { type: 'string' },
          address: { type: 'string', multiple: true },
          'fail-open': { type: 'boolean' },
          'max-conns': { type: 'string' },
          'stats-s': { type: 'string' },
          cleanup: { type: 'boolean' },
          'afp-ring': { type: 'string' },
          'afxdp-coalesce-us': { type: 'string' },
        },
      }).values;
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (process.getuid?.() !== 0) throw new UserError('ulvs director needs root (CAP_NET_ADMIN and CAP_NET_RAW)');
    if (v.cleanup) {
      await teardownDirectorNet();
      const left = await leftovers();
      process.stdout.write(left.length ? `still present:\n${left.join('\n')}\n` : 'clean: no ulvs rules, routes or addresses left\n');
      return left.length ? 1 : 0;
    }
    if (!v.rules) throw new UsageError('--rules is required');
    if (!v.iface?.length) throw new UsageError('--iface is required');
    if (v.backend !== 'nfqueue' && v.backend !== 'afpacket' && v.backend !== 'afxdp')
      throw new UsageError(`--backend must be nfqueue, afpacket or afxdp, not '${v.backend}'`);
    if (v['afp-ring'] !== undefined && v['afp-ring'] !== '2' && v['afp-ring'] !== '3')
      throw new UsageError(`--afp-ring must be 2 or 3, not '${v['afp-ring']}'`);
    const coalesceUs = coalesceOption(v['afxdp-coalesce-us']);
    let text: string;
    try {
      text = readFileSync(v.rules, 'utf8');
    } catch (e) {
      throw new UserError(`cannot read ${v.rules}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    let rules: IpvsRules;
    try {
      rules = parseRulesText(text, v.rules);
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    const log = (l: string): void => {
      process.stderr.write(`ulvs director: ${l}\n`);
    };
    let d: RunningDirector;
    try {
      d = await startDirector({
        rules,
        interfaces: v.iface,
        backend: v.backend,
        workers: v.workers ? Number(v.workers) : undefined,
        queueBase: v['queue-base'] ? Number(v['queue-base']) : undefined,
        addresses: v.address,
        failOpen: v['fail-open'],
        afpRing: v['afp-ring'] === '3' ? 3 : undefined,
        xskCoalesceUs: coalesceUs,
        maxConns: v['max-conns'] ? Number(v['max-conns']) : undefined,
        log,
      });
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    process.stdout.write(
      `ulvs director: ${rules.services.length} virtual service(s), ${d.pool.size} ${d.pool.backend} worker(s) on ${v.iface.join(', ')}; ready\n`,
    );
    const statsS = Number(v['stats-s'] ?? 0);
    const timer = statsS > 0 ? setInterval(() => process.stdout.write(formatCounters(d.pool.counters()) + '\n'), statsS * 1000) : undefined;
    return new Promise<number>((resolve) => {
      const finish = async (sig: string): Promise<void> => {
        if (timer) clearInterval(timer);
        const c = d.pool.counters();
        await d.stop();
        process.stdout.write(`${formatCounters(c)}\nulvs director: stopped on ${sig}; rules, routes and addresses removed\n`);
        resolve(0);
      };
      process.once('SIGINT', () => void finish('SIGINT'));
      process.once('SIGTERM', () => void finish('SIGTERM'));
      // Drill: SIGUSR2 crashes worker 0 (the supervisor restarts it; established connections continue).
      process.on('SIGUSR2', () => {
        log('SIGUSR2: crashing worker 0');
        d.pool.crashWorker(0);
      });
      process.once('uncaughtException', (e) => {
        log(`crashed: ${e.stack ?? e}`);
        void d.stop().finally(() => process.exit(70));
      });
    });
  },
};

const self = import.meta.url;
if (process.argv[1] && self === pathToFileURL(process.argv[1]).href) {
  command.run(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`ulvs director: ${(e as Error).message}\n`);
      process.exit(e instanceof UsageError ? 2 : 1);
    },
  );
}
