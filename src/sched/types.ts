/**
 * The contract between the schedulers and the rest of the data plane.
 * Schedulers are pure and deterministic (except twos): given a view of the service's destinations
 * in the kernel's list order and the flow, they return a destination index or -1 (NULL).
 */

/** The 5-tuple of the packet being scheduled (moved to src/core/flow-key.ts; re-exported here, to remove). */
export type { FlowKey } from '../core/flow-key.js';
import type { FlowKey } from '../core/flow-key.js';

/**
 * Read-only view of one virtual service's destinations, index 0 = the kernel's list head (the most
 * recently added real server). Counters may be shared with other workers and change between calls.
 */
export interface DestView {
  readonly count: number;
  /** Current weight (0 = quiesced). */
  weight(i: number): number;
  activeConns(i: number): number;
  inactiveConns(i: number): number;
  /** IP_VS_DEST_F_OVERLOAD: set by the -x/-y thresholds. */
  overloaded(i: number): boolean;
  /** IP_VS_DEST_F_AVAILABLE: false once the real server was deleted but connections still refer to it. */
  available(i: number): boolean;
  /** Address words of destination i (same layout as FlowKey addresses) and its port. */
  addr(i: number): Uint32Array;
  port(i: number): number;
  /**
   * Optional: the kernel's dest->last_weight (latest non-zero weight, or 0 only when the dest was
   * added with weight 0). mh uses it; when absent mh tracks it itself from the update() sequence.
   */
  lastWeight?(i: number): number;
}

/** One scheduler instance, bound to one virtual service. */
export interface Scheduler {
  /** ipvsadm's name for it. */
  readonly name: string;
  /**
   * Called after any add, delete or edit of a destination (the kernel's add_dest/del_dest/upd_dest):
   * rebuild tables and reset state as the kernel does. `change` tells which kind of change it was.
   */
  update(dests: DestView, change: DestChange): void;
  /** Picks a destination for a new connection: its index in `dests`, or -1 when none is eligible. */
  schedule(dests: DestView, flow: FlowKey, nowMs: number): number;
}

/** What changed in the destination list since the last update(), for schedulers whose reaction differs. */
export type DestChange =
  | { kind: 'init'; generation?: number }
  | { kind: 'add'; index: number; generation?: number }
  | { kind: 'del'; index: number; generation?: number }
  | { kind: 'edit'; index: number; generation?: number };
// `generation` (>= 1, increasing per service): when several scheduler instances share one state
// buffer (worker threads), each calls update() with the same generation and the shared part of the
// change (rr/wrr pointers, lblc/lblcr tables) is applied once. Without it every call applies it.
