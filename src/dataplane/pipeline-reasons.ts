/**
 * Pipeline-level drop reasons that the packet codec's table (packet/drop-reasons.ts, codes < 100)
 * does not have: connection-table bound and DoS defences. Codes 100+ are owned here.
 */
import { DROP_REASONS } from '../packet/drop-reasons.js';

/** Reason codes set by the pipeline itself. */
export const PipelineReason = {
  /** The connection table is full even after drop_entry: the new connection is refused. */
  TableFull: 100,
  /** drop_packet defence dropped a new connection (1 in rate while the table is nearly full). */
  DefenceDrop: 101,
  /** Internal error while processing the packet (a bug; the packet is dropped, the batch goes on). */
  Internal: 102,
  /** AF_PACKET: the next hop (real server, gateway or on-link client) has no neighbour entry yet (ARP/ND pending or failed). */
  NeighUnresolved: 110,
  /** AF_PACKET: no route on the director's interfaces towards the destination. */
  NoRoute: 111,
} as const;

const NAMES: Record<number, string> = {
  100: 'conn-table-full',
  101: 'drop-packet-defence',
  102: 'internal-error',
  110: 'neigh-unresolved',
  111: 'no-route',
};

/** Name of any reason code (codec or pipeline), for reports and metrics. */
export function reasonName(code: number): string {
  return NAMES[code] ?? DROP_REASONS[code]?.name ?? `unknown-${code}`;
}
