// What a vrrp_instance needs from its surroundings (transport, VIPs, routes, notify) and the counters it keeps.
import type { DropReason } from './codec.js';
import type { InterfaceInfo } from './interface-info.js';
import type { NotifyQueue } from './notify.js';
import type { VrrpTransport } from './socket.js';
import type { IpRouteSpec, IpRuleSpec, VipSpec } from './types.js';

/** What an instance needs from its surroundings (real ones from VrrpManager, fakes in tests). */
export interface InstanceDeps {
  transport: VrrpTransport;
  notify: NotifyQueue;
  /** Monotonic milliseconds. */
  now(): number;
  readInterface(name: string): Promise<InterfaceInfo | undefined>;
  addVips(vips: VipSpec[], dev: string): Promise<string[]>;
  removeVips(vips: VipSpec[], dev: string): Promise<string[]>;
  sendFrame(ifname: string, frame: Uint8Array): void;
  log(msg: string): void;
  /** Installs virtual_routes then virtual_rules (default: ip route/rule through routes.ts). */
  addRoutes?(routes: readonly IpRouteSpec[], rules: readonly IpRuleSpec[]): Promise<string[]>;
  /** no_accept: drop (on) or pass (off) traffic to/from the VIPs while MASTER (default: iptables, no-accept.ts). */
  filterVips?(vips: readonly VipSpec[], on: boolean): Promise<string[]>;
  /** use_vmac without vmac_xmit_base: the VMAC was set up before the transport was bound to it (these errors). */
  vmacSetup?: string[];
  /** Writes a line to the notify FIFOs (notify_fifo, vrrp_notify_fifo). */
  writeFifo?(line: string): void;
  /** Removes virtual_rules then virtual_routes. */
  removeRoutes?(routes: readonly IpRouteSpec[], rules: readonly IpRuleSpec[]): Promise<string[]>;
}

/** Counters of one instance (keepalived's vrrp_stats vocabulary). */
export interface InstanceStats {
  advertsReceived: number;
  advertsSent: number;
  becomeMaster: number;
  releaseMaster: number;
  priorityZeroReceived: number;
  priorityZeroSent: number;
  garpSent: number;
  drops: Partial<Record<DropReason, number>>;
}
