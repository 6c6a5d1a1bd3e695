// What a VrrpManager can be given (fakes for tests, poll period, FIFO writer) and the status it reports per instance.
import type { InstanceDeps, InstanceStats } from './instance-deps.js';
import type { NotifyRecord } from './notify.js';
import type { VrrpTransport } from './socket.js';
import type { VrrpFamily, VrrpState } from './types.js';

/** Options of VrrpManager (all optional; tests inject fakes). */
export interface VrrpManagerOptions {
  log?: (msg: string) => void;
  /** Creates the transport of (family, interface); default: native raw socket. */
  transportFactory?: (family: VrrpFamily, ifname: string, protocol?: 112 | 51) => VrrpTransport & { close?(): void };
  /** Overrides parts of the instance dependencies (now, VIP commands, frame sender…). */
  deps?: Partial<Omit<InstanceDeps, 'transport' | 'notify'>>;
  /** Interface poll period for track_interface and the instances' own interfaces; default 200 ms. */
  linkPollMs?: number;
  /** Where INSTANCE/GROUP lines go; default: the daemon's notify FIFOs (src/util/notify-fifo.ts). */
  writeFifo?: (line: string) => void;
  /** Called after every notify script run. */
  onNotify?: (r: NotifyRecord) => void;
  /** Reads an interface's up/down state (default: sysfs); undefined = missing, a throw = unreadable. */
  readOperUp?: (name: string) => Promise<boolean | undefined>;
}

/** A snapshot of one instance for status output. */
export interface VrrpInstanceStatus {
  name: string;
  vrid: number;
  interface: string;
  state: VrrpState;
  priority: number;
  faults: string[];
  stats: InstanceStats;
}
