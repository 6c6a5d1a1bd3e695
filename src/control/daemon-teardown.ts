// The order a daemon stops its parts in: BGP, health checks, VRRP, sync daemons, BFD, FIFOs, mail, data plane, socket, pid file.
import type { ControlServer } from '../api/server.js';
import { bfdSessions } from '../bfd/registry.js';
import { notifyFifos } from '../util/notify-fifo.js';
import type { DaemonOptions } from './daemon-options.js';
import { mailAlerts } from './mail-alerts.js';
import { releasePidFile } from './runtime-paths.js';
import type { SyncManager } from './sync-manager.js';

/** Stops a daemon's parts in order (BGP withdrawn first, the control socket last), logging each failure and going on, then frees the pid file. */
export async function stopDaemonParts(opts: DaemonOptions, sync: SyncManager, server: ControlServer | undefined): Promise<void> {
  const steps: Array<[string, () => Promise<void> | undefined]> = [
    // Withdraw first: the router moves the traffic away while the rules still forward it.
    ['BGP', () => opts.bgp?.stop()],
    ['health checks', () => opts.health?.stop()],
    ['VRRP', () => opts.vrrp?.stop()],
    [
      'sync daemons',
      () => {
        sync.stopAll();
        return undefined;
      },
    ],
    [
      'BFD',
      () => {
        bfdSessions().stop();
        return undefined;
      },
    ],
    [
      'notify FIFOs',
      () => {
        notifyFifos().close();
        return undefined;
      },
    ],
    [
      'mail alerts',
      () => {
        mailAlerts().close();
        return undefined;
      },
    ],
    ['data plane', () => opts.dataPlane.stop()],
    ['control socket', () => server?.close()],
  ];
  for (const [what, fn] of steps) {
    try {
      await fn();
    } catch (e) {
      opts.logger.error(`stopping ${what} failed: ${(e as Error).message}`);
    }
  }
  releasePidFile(opts.pidPath);
}
