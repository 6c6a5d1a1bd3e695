/**
 * systemd's notify protocol (sd_notify(3)) for Type=notify units: READY=1, RELOADING=1, STOPPING=1 and
 * WATCHDOG=1 every half WatchdogSec. Sent with the native addon (native/sysd.cc): Node has no AF_UNIX
 * datagram sockets, and a systemd-notify(1) child exits before systemd can tell whose message it was.
 * Does nothing when $NOTIFY_SOCKET is unset (not started by systemd).
 */
import { loadNative } from '../native/addon.js';
import type { SysdModule } from '../native/types.js';

/** A notifier bound to this process's $NOTIFY_SOCKET. */
export interface ServiceNotifier {
  /** Sends one state line ("READY=1", "STATUS=...") ; false when there is no socket. */
  notify(state: string): boolean;
  /** Starts WATCHDOG=1 pings while `alive()` says so (no-op without WatchdogSec); returns a stop function. */
  startWatchdog(alive: () => boolean): () => void;
}

/** The notifier for this process (a no-op one when not under systemd or without the addon). */
export function serviceNotifier(env: NodeJS.ProcessEnv = process.env): ServiceNotifier {
  let send: ((s: string) => boolean) | undefined;
  if (env.NOTIFY_SOCKET) {
    try {
      const m = loadNative() as unknown as Partial<SysdModule>;
      if (typeof m.sdNotify === 'function') send = (s) => m.sdNotify!(s);
    } catch {
      /* no addon: no notifications */
    }
  }
  return {
    notify: (state) => (send ? send(state) : false),
    startWatchdog(alive) {
      const usec = Number(env.WATCHDOG_USEC ?? 0);
      const forPid = env.WATCHDOG_PID ? Number(env.WATCHDOG_PID) === process.pid : true;
      if (!send || !usec || !forPid) return () => undefined;
      const timer = setInterval(
        () => {
          if (alive()) send!('WATCHDOG=1');
        },
        Math.max(100, usec / 2000),
      );
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}
