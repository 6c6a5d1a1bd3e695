/**
 * `ulvs run -f FILE`: the daemon in the foreground. Logs to stdout, pid file and control socket per
 * network namespace, SIGHUP reloads, SIGTERM/SIGINT stop cleanly.
 */
import path from 'node:path';
import { BgpAnnouncer } from '../../bgp/announcer.js';
import { pathToFileURL } from 'node:url';
import { UsageError, UserError, type CliCommand } from '../command.js';
import { coalesceOption } from '../dataplane-flags.js';
import type { GetoptOptions } from '../getopt-long.js';
import { parseKeepalivedArgs, type KeepalivedArgs } from '../keepalived-args.js';
import { oneShot, runGenhash } from '../keepalived-modes.js';
import { createDataPlane, createHealth, createVrrp, type DataPlaneOptions } from '../../control/adapters.js';
import { capabilityProblem } from '../../control/capabilities.js';
import { daemonConfigLoader, loadDaemonConfig } from '../../control/config-source.js';
import { Daemon } from '../../control/daemon.js';
import { DaemonStartError } from '../../control/daemon-options.js';
import { createLogger, type Logger } from '../../control/logger.js';
import type { ConfigLoader } from '../../control/config-source.js';
import { installDaemonSignals } from '../../control/daemon-signals.js';
import { inferInterfaces } from '../../control/infer-interfaces.js';
import { OnDemandDataPlane } from '../../control/on-demand-dataplane.js';
import type { VirtualServiceSpec } from '../../ipvs/types.js';
import { serviceNotifier } from '../../control/service-notify.js';
import type { VrrpConfig } from '../../vrrp/types.js';
import { defaultInterfaces } from '../../host/host-env.js';
import { defaultPidPath, defaultSocketPath, inNamedNetns } from '../../control/runtime-paths.js';
import { raiseFdLimit } from '../../util/fd-limit.js';
import { DEFAULT_METRICS_ADDRESS } from '../../metrics/server.js';
import { serveMetricsEndpoint, type MetricsEndpoint } from '../../control/metrics-endpoint.js';

const usage = `usage: ulvs run -f FILE [options]

Runs the director in the foreground: the virtual services, VRRP instances and health checks of a
keepalived.conf, with a control socket for ulvsadm and 'ulvs reload|status'.

options:
  -f, --use-file FILE     keepalived.conf to load (required)
      --log-json          log JSON lines instead of text
      --socket PATH       control socket (default /run/ulvs/<netns-id>/ulvs.sock, or $ULVS_SOCKET)
      --pid-file PATH     pid file (default /run/ulvs/<netns-id>/ulvs.pid)
      --backend NAME      data plane: nfqueue (default), afpacket, afxdp (AF_XDP sockets fed by an XDP program;
                          afpacket where AF_XDP cannot start), or none (keep and list rules, forward nothing;
                          the default for a file with no virtual_server)
      --workers N         data-plane worker threads (default 1)
      --iface IF          the director's interfaces (repeat for several; default: the VRRP interfaces and
                          the routes to the virtual servers and real servers, else every Ethernet interface that is up)
      --queue-base N      first NFQUEUE number (worker i uses N+i; default 0)
      --afp-ring V        AF_PACKET ring: 2 (default: each packet handled as it arrives) or 3
                          (block batching: a packet of a quiet flow waits up to 1 ms)
      --afxdp-coalesce-us N  AF_XDP: while traffic is dense (32+ frames a wakeup), less than a full batch
                          waits up to N µs, so one wakeup serves many (less CPU per packet); sparse
                          traffic and request/response wait for nothing (0..100000; default 250;
                          0: off, each frame handled as it arrives)
      --sloppy-tcp        schedule a TCP packet of an unknown connection even without SYN (kernel IPVS's
                          net.ipv4.vs.sloppy_tcp=1): behind ECMP, a director that gets a flow another one
                          served picks the same real server (mh/sh) instead of dropping it
      --metrics HOST:PORT /metrics address (default ${DEFAULT_METRICS_ADDRESS}); --no-metrics disables it
      --no-metrics
      --no-dashboard      do not serve the web dashboard at http://HOST:PORT/ of --metrics (read only:
                          services, real servers, rates, VRRP, health, connections, the packet walk)

keepalived's options are taken too (ulvs keepalived --help lists them): -t[FILE] checks the file and
exits 0, 5 or 6 as keepalived; -P, -C, -B, -i, -d, -u and -p (= --pid-file) act as keepalived's; -n, -l,
-G, -R are what 'ulvs run' does anyway; the others are accepted with one log line saying what ulvs does
instead; -T runs genhash. Long options may be shortened to a unique prefix, as getopt_long allows.

signals: HUP reloads the file (a broken file changes nothing), TERM/INT stop cleanly, USR1 writes
/tmp/keepalived.data, USR2 /tmp/keepalived.stats, 36 (keepalived --signum=JSON) /tmp/keepalived.json;
any other signal that would end the process stops cleanly first. 'ulvs keepalived' adds a supervisor.
Needs CAP_NET_ADMIN and CAP_NET_RAW (not with --backend none and no vrrp_instance).`;

/** ulvs run's own options; keepalived's (keepalived-args.ts) are taken beside them. */
const RUN_OPTIONS = {
  'log-json': { type: 'boolean' },
  socket: { type: 'string' },
  'pid-file': { type: 'string' },
  backend: { type: 'string' },
  workers: { type: 'string' },
  iface: { type: 'string', multiple: true },
  'queue-base': { type: 'string' },
  'afp-ring': { type: 'string' },
  'afxdp-coalesce-us': { type: 'string' },
  metrics: { type: 'string' },
  'no-metrics': { type: 'boolean' },
  'no-dashboard': { type: 'boolean' },
  'sloppy-tcp': { type: 'boolean' },
} as const satisfies GetoptOptions;

/** What `ulvs run`, one process with no supervisor, says of keepalived's options that concern the supervisor or child pid files. */
function runWarnings(a: KeepalivedArgs): string[] {
  const out = [...a.warnings];
  if (a.dontReleaseVrrp || a.dontReleaseIpvs) out.push('-V / -I: ulvs releases VIPs and rules on stop in any case (a stopped data plane cannot forward)');
  if (a.given.includes('vrrp_pid') || a.given.includes('checkers_pid'))
    out.push("-r / -c: 'ulvs run' is one process: its pid is in the -p (--pid-file) file; 'ulvs keepalived' writes the child pid files");
  return out;
}

async function run(argv: string[]): Promise<number> {
  const log0 = createLogger(false);
  const genhash = runGenhash(argv, (m) => log0.warn(m));
  if (genhash !== undefined) return genhash;
  const a = parseKeepalivedArgs(argv, RUN_OPTIONS);
  const v = a.extra as {
    [K in keyof typeof RUN_OPTIONS]?: (typeof RUN_OPTIONS)[K] extends { multiple: true }
      ? string[]
      : (typeof RUN_OPTIONS)[K]['type'] extends 'string'
        ? string
        : boolean;
  };
  const done = await oneShot(a, usage);
  if (done !== undefined) return done;
  if (!a.given.includes('use-file')) throw new UsageError('-f FILE is required');
  if (a.namespace !== undefined)
    throw new UserError(
      `-s (--namespace): 'ulvs run' runs where it is started: use 'ip netns exec ${a.namespace} ulvs run ...', or 'ulvs keepalived -s ${a.namespace}'`,
    );
  const file = a.file;
  const backend = (v.backend ?? 'nfqueue') as DataPlaneOptions['backend'];
  if (!['nfqueue', 'afpacket', 'afxdp', 'none'].includes(backend)) throw new UsageError(`--backend must be nfqueue, afpacket, afxdp or none, not '${backend}'`);
  if (v['afp-ring'] !== undefined && v['afp-ring'] !== '2' && v['afp-ring'] !== '3') throw new UsageError(`--afp-ring must be 2 or 3, not '${v['afp-ring']}'`);
  const workers = Number(v.workers ?? '1');
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new UsageError('--workers must be an integer from 1 to 64');
  if (a.umask !== undefined) process.umask(a.umask);
  const log = createLogger(!!v['log-json']);
  for (const w of runWarnings(a)) log.warn(w);
  const loadConfig =
    a.configId !== undefined || a.subsystems !== 'all' || a.noBfd
      ? daemonConfigLoader({ configId: a.configId, subsystems: a.subsystems, noBfd: a.noBfd })
      : loadDaemonConfig;
  const model = (await loadConfig(file)).model;
  if (a.dumpConf) log.info('configuration', { model });
  if (model?.netNamespace !== undefined && !inNamedNetns(model.netNamespace))
    throw new UserError(
      `${file}: net_namespace ${model.netNamespace}: 'ulvs run' runs in the network namespace it is started in: run 'ip netns exec ${model.netNamespace} ulvs run ...', or 'ulvs keepalived', which starts its daemon there`,
    );
  return runDaemon({
    file,
    backend: v.backend === undefined ? undefined : backend,
    workers,
    interfaces: v.iface,
    queueBase: v['queue-base'] ? Number(v['queue-base']) : undefined,
    afpRing: v['afp-ring'] === '3' ? 3 : undefined,
    xskCoalesceUs: coalesceOption(v['afxdp-coalesce-us']),
    sloppyTcp: v['sloppy-tcp'] === true,
    socketPath: v.socket,
    pidPath: v['pid-file'] ?? (a.given.includes('pid') ? a.pidFile : undefined),
    metrics: v['no-metrics'] ? false : v.metrics,
    dashboard: !v['no-dashboard'],
    log,
    loadConfig,
  });
}

/** What runDaemon needs: `ulvs run`'s options, or what `ulvs keepalived` made of keepalived's. */
export interface DaemonParams {
  file: string;
  /** undefined: nfqueue when the file has virtual servers, none when it has only VRRP. */
  backend?: DataPlaneOptions['backend'];
  workers: number;
  /** undefined or empty: from the config and the routing table (infer-interfaces.ts). */
  interfaces?: string[];
  queueBase?: number;
  afpRing?: 2 | 3;
  /** AF_XDP interrupt moderation in µs (--afxdp-coalesce-us). */
  xskCoalesceUs?: number;
  /** net.ipv4.vs.sloppy_tcp: any non-RST TCP packet may create a connection. */
  sloppyTcp?: boolean;
  socketPath?: string;
  pidPath?: string;
  /** false: no /metrics; a string: its address. */
  metrics?: string | false;
  /** Serve the dashboard on the metrics address (default true). */
  dashboard?: boolean;
  log: Logger;
  loadConfig: ConfigLoader;
  /** keepalived's tmp_dir for the dump files (default /tmp). */
  tmpDir?: string;
}

/** Runs the daemon in this process until TERM/INT (or a fatal signal); resolves to the exit code. */
export async function runDaemon(p: DaemonParams): Promise<number> {
  const log = p.log;
  const { backend, interfaces, onDemand } = await dataPlaneShape(p);
  if (backend !== 'none' && !onDemand) {
    const problem = capabilityProblem();
    if (problem) throw new UserError(problem);
  }
  await raiseFdLimit((m) => log.warn(m));
  const socketPath = p.socketPath ?? defaultSocketPath();
  const pidPath = p.pidPath ?? defaultPidPath();
  const dpOptions = {
    backend,
    workers: p.workers,
    interfaces,
    queueBase: p.queueBase,
    afpRing: p.afpRing,
    xskCoalesceUs: p.xskCoalesceUs,
    sysctls: p.sloppyTcp ? { sloppyTcp: true } : undefined,
  };
  // A file without a virtual server: no data plane until one is added (ulvsadm -A, a reload), as kernel
  // IPVS forwards whatever ipvsadm adds beside a VRRP-only keepalived.conf.
  const dataPlane = onDemand
    ? new OnDemandDataPlane(async (services) => {
        const problem = capabilityProblem();
        if (problem) throw new UserError(problem);
        const found = interfaces.length ? interfaces : await interfacesFor(services, onDemand.vrrpInterfaces, p.file);
        log.info('first virtual service: starting the data plane', { backend, interfaces: found });
        return createDataPlane({ ...dpOptions, interfaces: found }, log);
      }, `none until a virtual server is added (then ${backend})`)
    : await createDataPlane(dpOptions, log);
  const daemon = new Daemon({
    configFile: p.file,
    socketPath,
    pidPath,
    logger: log,
    loadConfig: p.loadConfig,
    dataPlane,
    vrrp: await createVrrp(log),
    health: await createHealth(log),
    bgp: new BgpAnnouncer(path.join(path.dirname(pidPath), 'bgpd'), (m) => log.info(m), !!p.sloppyTcp),
    onDrained: () => process.kill(process.pid, 'SIGTERM'),
  });
  try {
    await daemon.start();
  } catch (e) {
    await dataPlane.stop().catch(() => undefined);
    if (e instanceof DaemonStartError) throw new UserError(`${e.message}:\n${e.errors.map((x) => '  ' + x).join('\n')}`);
    throw new UserError((e as Error).message);
  }
  let metrics: MetricsEndpoint | undefined;
  if (p.metrics !== false) {
    try {
      metrics = serveMetricsEndpoint(daemon, p.metrics ?? DEFAULT_METRICS_ADDRESS, p.dashboard !== false, log);
    } catch (e) {
      await daemon.stop();
      throw new UserError(`cannot serve /metrics: ${(e as Error).message}`);
    }
  }
  const supervised = process.env.ULVS_SUPERVISED === '1' && typeof process.send === 'function';
  const notifier = serviceNotifier(supervised ? {} : process.env);
  const send = (m: string): void => {
    if (supervised && process.connected) process.send!({ ulvs: m });
  };
  const onOrphaned = (): void => {
    log.warn('the supervisor is gone: stopping');
    process.kill(process.pid, 'SIGTERM');
  };
  return new Promise<number>((resolve) => {
    let beat: NodeJS.Timeout | undefined;
    let stopWatchdog = (): void => undefined;
    const uninstall = installDaemonSignals({
      reload: () => daemon.reload(),
      dumpInput: () => daemon.dumpInput(),
      log,
      tmpDir: p.tmpDir,
      onReloading: (phase) => {
        if (phase === 'done') {
          send('reloaded');
          notifier.notify('READY=1');
        } else notifier.notify('RELOADING=1');
      },
      stop: (sig, code) => {
        log.info(`${sig}: stopping`);
        notifier.notify('STOPPING=1');
        uninstall();
        if (beat) clearInterval(beat);
        stopWatchdog();
        void (async () => {
          await metrics?.close();
          await daemon.stop();
          if (supervised) {
            process.off('disconnect', onOrphaned);
            if (process.connected) process.disconnect();
          }
          resolve(code);
        })();
      },
    });
    // The supervisor is gone (kill -9 of it): stop cleanly rather than run on unsupervised.
    if (supervised) process.once('disconnect', onOrphaned);
    send('ready');
    notifier.notify('READY=1');
    stopWatchdog = notifier.startWatchdog(() => true);
    if (supervised) {
      beat = setInterval(() => send('alive'), 1000);
      beat.unref();
    }
  });
}

/**
 * The backend and interfaces to run: as given, else from the file. A file without a virtual server (and
 * no --backend) starts its data plane on demand, when the first virtual service is added.
 */
async function dataPlaneShape(
  p: DaemonParams,
): Promise<{ backend: DataPlaneOptions['backend']; interfaces: string[]; onDemand?: { vrrpInterfaces: string[] } }> {
  if (p.backend === 'none') return { backend: 'none', interfaces: p.interfaces ?? [] };
  if (p.interfaces?.length && p.backend) return { backend: p.backend, interfaces: p.interfaces };
  const cfg = await p.loadConfig(p.file);
  if (!cfg.ok) return { backend: p.backend ?? 'nfqueue', interfaces: p.interfaces ?? [] }; // the daemon reports the errors
  const vrrpIfs = ((cfg.model as { vrrp?: VrrpConfig } | undefined)?.vrrp?.instances ?? []).map((i) => i.interface);
  if (!cfg.services.length && !p.backend) return { backend: 'nfqueue', interfaces: p.interfaces ?? [], onDemand: { vrrpInterfaces: vrrpIfs } };
  const backend = p.backend ?? 'nfqueue';
  if (p.interfaces?.length) return { backend, interfaces: p.interfaces };
  const interfaces = await interfacesFor(cfg.services, vrrpIfs, p.file);
  p.log.info('interfaces from the configuration and the routing table', { interfaces });
  return { backend, interfaces };
}

/** The interfaces that reach `services` (routes to VIPs and real servers, VRRP interfaces), else the Ethernet ones up. */
async function interfacesFor(services: VirtualServiceSpec[], vrrpIfs: string[], file: string): Promise<string[]> {
  let interfaces = await inferInterfaces(services, vrrpIfs);
  if (!interfaces.length) interfaces = await defaultInterfaces();
  if (!interfaces.length)
    throw new UserError(
      `${file}: no interface found for the virtual servers (no route to them or their real servers, no Ethernet interface up): give --iface IF`,
    );
  return interfaces;
}

/** `ulvs run`. */
export const command: CliCommand = { name: 'run', summary: 'run the director from a keepalived.conf', usage, run };

// Runnable directly (lab tests run the TS source in a namespace): `node src/cli/commands/run.ts -f FILE ...`.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`ulvs run: ${(e as Error).message}\n`);
      process.exit(e instanceof UsageError ? 2 : 1);
    },
  );
}
