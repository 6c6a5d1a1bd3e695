/**
 * What the IPVS connection core (ipvs-core.ts) needs from the compiled configuration, as interfaces:
 * the data-plane snapshot implements them, tests implement them by hand. Keeps table/ free of
 * snapshot details.
 */
import type { FlowKey } from '../core/flow-key.js';
import type { ConnKey } from './conn-key.js';
import type { Fwd } from './layout.js';

/** One real server as the core sees it. */
export interface CoreDest {
  /** Stable slot in the shared dest stats. */
  readonly slot: number;
  readonly fwd: Fwd;
  /** Real server port; 0 = keep the packet's port (fwmark / port-0 services). */
  readonly port: number;
  /** Current weight (0 = quiesced). */
  readonly weight: number;
  /** Address words (host order, IPv4 in word 0). */
  readonly addr: Int32Array;
  readonly v6: boolean;
}

/** One virtual service as the core sees it. */
export interface CoreService {
  /** Stable slot in the shared service stats. */
  readonly slot: number;
  /** Firewall mark of an -f service, 0 for address services. */
  readonly fwmark: number;
  /** Service port (0 for port-0 and fwmark services). */
  readonly port: number;
  readonly persistent: boolean;
  readonly persistTimeoutMs: number;
  /** Persistence netmask as 4 address words (IPv4: word 0). */
  readonly netmask: Int32Array;
  /** -o one-packet scheduling (applies to UDP only). */
  readonly onePacket: boolean;
  /** Dests in the kernel's list order. */
  readonly dests: readonly CoreDest[];
  /** Runs the service's scheduler: an index into `dests`, or -1. */
  schedule(flow: FlowKey, nowMs: number): number;
}

/** Finds the virtual service a new flow belongs to (ip_vs_service_find: fwmark, then addr/port, then port 0). */
export interface ServiceResolver {
  findService(k: ConnKey, fwmark: number): CoreService | null;
}

/** Behaviour knobs (sysctls) and timeouts the core applies, compiled once per snapshot. */
export interface CoreConfig {
  /** Per-TCP-state timeouts in ms (index = TcpState). */
  readonly tcpTimeoutsMs: Uint32Array;
  readonly udpTimeoutMs: number;
  /** Timeout for protocols without a state machine here (SCTP is treated as single-state). */
  readonly otherTimeoutMs: number;
  readonly expireNodestConn: boolean;
  readonly expireQuiescentTemplate: boolean;
  /** conn_reuse_mode bitmap (bit 0: TIME_WAIT/CLOSE, bit 1: also FIN_WAIT on DR/TUN). */
  readonly connReuseMode: number;
  readonly sloppyTcp: boolean;
  /** secure_tcp mode 0..3 (0 off, 1/2 automatic under table pressure, 3 always). */
  readonly secureTcp: number;
  /** drop_entry mode 0..3 (automatic modes act when the table is nearly full). */
  readonly dropEntry: number;
  /** drop_packet mode 0..3. */
  readonly dropPacket: number;
  /** am_droprate for drop_packet mode 3. */
  readonly amDroprate: number;
  /** Dests by slot: undefined = not in the configuration (not AVAILABLE). */
  readonly destBySlot: ReadonlyArray<CoreDest | undefined>;
}
