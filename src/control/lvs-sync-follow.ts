// lvs_sync_daemon as the configuration gives it, in the shape the sync manager follows (VRRP instance, multicast and send options).
import type { LvsSyncDaemonConfig } from '../config/types.js';
import type { VrrpFollowedSync } from './sync-manager.js';

/** The configuration's lvs_sync_daemon as a VrrpFollowedSync, or undefined when it has none. */
export function lvsSyncFollow(model: unknown): VrrpFollowedSync | undefined {
  const c = (model as { global?: { lvsSync?: LvsSyncDaemonConfig } } | undefined)?.global?.lvsSync;
  return (
    c && {
      instance: c.instance,
      options: {
        mcastInterface: c.interface,
        syncId: c.syncId,
        syncMaxLen: c.maxLen,
        mcastPort: c.port,
        mcastTtl: c.ttl,
        mcastGroup: c.group,
        peer: c.peer,
        send: {
          ...(c.threshold !== undefined ? { threshold: c.threshold } : {}),
          ...(c.period !== undefined ? { period: c.period } : {}),
          ...(c.refreshPeriodS !== undefined ? { refreshMs: c.refreshPeriodS * 1000 } : {}),
          ...(c.retries !== undefined ? { retries: c.retries } : {}),
        },
      },
    }
  );
}
