/**
 * `ulvs run -f FILE`: the daemon in the foreground. Logs to stdout, pid file and control socket per
 * network namespace, SIGHUP reloads, SIGTERM/SIGINT stop cleanly.
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { UsageError, UserError, type CliCommand } from '../command.js';
import { createDataPlane, createHealth, createVrrp, type DataPlaneOptions } from '../../control/adapters.js';
import { capabilityProblem } from '../../control/capabilities.js';
import { loadDaemonConfig } from '../../control/config-source.js';
import { Daemon, DaemonStartError } from '../../control/daemon.js';
import { createLogger } from '../../control/logger.js';
import { defaultInterfaces } from '../../io/host-env.js';
import { daemonMetricsSource } from '../../control/metrics-source.js';
import { defaultPidPath, defaultSocketPath } from '../../control/runtime-paths.js';
import { raiseFdLimit } from '../../util/fd-limit.js';
import { createMetricsRegistry } from '../../metrics/registry.js';
import { DEFAULT_METRICS_ADDRESS, startMetricsServer, type MetricsServer } from '../../metrics/server.js';

const usage = `usage: ulvs run -f FILE [options]

Runs the director in the foreground: the virtual services, VRRP instances and health checks of a
keepalived.conf, with a control socket for ulvsadm and 'ulvs reload|status'.

options:
  -f, --use-file FILE     keepalived.conf to load (required)
      --log-json          log JSON lines instead of text
      --socket PATH       control socket (default /run/ulvs/<netns-id>/ulvs.sock, or $ULVS_SOCKET)
      --pid-file PATH     pid file (default /run/ulvs/<netns-id>/ulvs.pid)
      --backend NAME      data plane: nfqueue (default), afpacket, or none (keep and list rules, forward nothing)
      --workers N         data-plane worker threads (default 1)
      --iface IF          the director's interface (repeat for several; default: every Ethernet interface that is up)
      --queue-base N      first NFQUEUE number (worker i uses N+i; default 0)
      --afp-ring V        AF_PACKET ring: 2 (default: each packet handled as it arrives) or 3
                          (block batching: a packet of a quiet flow waits up to 1 ms)
      --metrics HOST:PORT /metrics address (default ${DEFAULT_METRICS_ADDRESS}); --no-metrics disables it
      --no-metrics

signals: HUP reloads the file (a broken file changes nothing), TERM/INT stop cleanly.
Needs CAP_NET_ADMIN and CAP_NET_RAW (not with --backend none and no vrrp_instance).`;

async function run(argv: string[]): Promise<number> {
  let v;
  try {
    v = parseArgs({
      args: argv, allowPositionals: false, strict: true,
      options: {
        'use-file': { type: 'string', short: 'f' }, 'log-json': { type: 'boolean' }, socket: { type: 'string' }, 'pid-file': { type: 'string' },
        backend: { type: 'string' }, workers: { type: 'string' }, iface: { type: 'string', multiple: true }, 'queue-base': { type: 'string' }, 'afp-ring': { type: 'string' }, metrics: { type: 'string' }, 'no-metrics': { type: 'boolean' },
      },
    }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const file = v['use-file'];
  if (!file) throw new UsageError('-f FILE is required');
  const backend = (v.backend ?? 'nfqueue') as DataPlaneOptions['backend'];
  if (!['nfqueue', 'afpacket', 'none'].includes(backend)) throw new UsageError(`--backend must be nfqueue, afpacket or none, not '${backend}'`);
  if (v['afp-ring'] !== undefined && v['afp-ring'] !== '2' && v['afp-ring'] !== '3') throw new UsageError(`--afp-ring must be 2 or 3, not '${v['afp-ring']}'`);
  const workers = Number(v.workers ?? '1');
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new UsageError('--workers must be an integer from 1 to 64');
  if (backend !== 'none') {
    const problem = capabilityProblem();
    if (problem) throw new UserError(problem);
  }
  const log = createLogger(!!v['log-json']);
  await raiseFdLimit((m) => log.warn(m));
  const socketPath = v.socket ?? defaultSocketPath();
  const pidPath = v['pid-file'] ?? defaultPidPath();
  let interfaces = v.iface ?? [];
  if (backend !== 'none' && !interfaces.length) {
    interfaces = await defaultInterfaces();
    if (!interfaces.length) throw new UserError('no Ethernet interface is up: name the director\'s interface with --iface IF');
    log.info('director interfaces (no --iface given)', { interfaces: interfaces.join(',') });
  }
  const dataPlane = await createDataPlane({ backend, workers, interfaces, queueBase: v['queue-base'] ? Number(v['queue-base']) : undefined, afpRing: v['afp-ring'] === '3' ? 3 : undefined }, log);
  const daemon = new Daemon({ configFile: file, socketPath, pidPath, logger: log, loadConfig: loadDaemonConfig, dataPlane, vrrp: await createVrrp(log), health: await createHealth(log) });
  try {
    await daemon.start();
  } catch (e) {
    await dataPlane.stop().catch(() => undefined);
    if (e instanceof DaemonStartError) throw new UserError(`${e.message}:\n${e.errors.map((x) => '  ' + x).join('\n')}`);
    throw new UserError((e as Error).message);
  }
  let metrics: MetricsServer | undefined;
  if (!v['no-metrics']) {
    try {
      metrics = await startMetricsServer(v.metrics ?? DEFAULT_METRICS_ADDRESS, createMetricsRegistry(daemonMetricsSource(daemon)));
      log.info('metrics listening', { address: `${metrics.address.host}:${metrics.address.port}` });
    } catch (e) {
      await daemon.stop();
      throw new UserError(`cannot serve /metrics: ${(e as Error).message}`);
    }
  }
  return new Promise<number>((resolve) => {
    const onHup = (): void => { log.info('SIGHUP: reloading'); void daemon.reload().catch((e) => log.error(`reload failed: ${(e as Error).message}`)); };
    const onStop = (sig: string) => (): void => {
      log.info(`${sig}: stopping`);
      process.off('SIGHUP', onHup);
      void (async () => {
        await metrics?.close();
        await daemon.stop();
        resolve(0);
      })();
    };
    process.on('SIGHUP', onHup);
    process.once('SIGTERM', onStop('SIGTERM'));
    process.once('SIGINT', onStop('SIGINT'));
  });
}

/** `ulvs run`. */
export const command: CliCommand = { name: 'run', summary: 'run the director from a keepalived.conf', usage, run };

// Runnable directly (lab tests run the TS source in a namespace): `node src/cli/commands/run.ts -f FILE ...`.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
    process.stderr.write(`ulvs run: ${(e as Error).message}\n`);
    process.exit(e instanceof UsageError ? 2 : 1);
  });
}
