// An instance's real surroundings (native frame sender, ip addr/route commands, clock, interface reader), each replaceable by a test's fake.
import { loadNative } from '../native/addon.js';
import type { RawSockModule } from '../native/types.js';
import type { InstanceDeps } from './instance-deps.js';
import { readInterface } from './interface-info.js';
import type { NotifyQueue } from './notify.js';
import { addRoutesAndRules, removeRoutesAndRules } from './routes.js';
import type { VrrpTransport } from './socket.js';
import { addVipsFast, removeVipsFast } from './vip.js';

/**
 * An instance's surroundings: `transport()` (called once), the notify queue and FIFO writer, and the real
 * clock, interface reader, VIP and route commands and native frame sender unless `d` (tests) replaces them.
 */
export function instanceDepsOf(
  d: Partial<Omit<InstanceDeps, 'transport' | 'notify'>>,
  transport: () => VrrpTransport,
  notify: NotifyQueue,
  writeFifo: (line: string) => void,
  log: (msg: string) => void,
): InstanceDeps {
  let sendFrame = d.sendFrame;
  if (!sendFrame) {
    const mod = loadNative() as unknown as RawSockModule;
    sendFrame = (ifname, frame) => {
      mod.sendFrame(ifname, frame);
    };
  }
  return {
    transport: transport(),
    notify,
    now: d.now ?? (() => performance.now()),
    readInterface: d.readInterface ?? readInterface,
    addVips: d.addVips ?? addVipsFast,
    removeVips: d.removeVips ?? removeVipsFast,
    addRoutes: d.addRoutes ?? addRoutesAndRules,
    removeRoutes: d.removeRoutes ?? removeRoutesAndRules,
    writeFifo,
    // With faked VIP commands (tests), no_accept filtering is faked too unless given.
    ...(d.filterVips || d.addVips ? { filterVips: d.filterVips ?? (async () => []) } : {}),
    sendFrame,
    log: d.log ?? log,
  };
}
