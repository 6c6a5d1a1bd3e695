/**
 * The shared table and counters as the control plane lists them: each service's and real server's counters
 * (ServiceCounters) and the connection entries (`ipvsadm -L -c`), read from a SharedState and the snapshot it
 * runs. The pool data plane reads its workers' state with these; `ulvs replay --dashboard` reads the replay's.
 */
import type { SnapshotSpec } from '../dataplane/snapshot-types.js';
import type { ServiceKey } from '../ipvs/types.js';
import { formatAddrWords } from '../table/addr.js';
import { listConnections } from '../table/conn-list.js';
import type { SharedState } from '../table/shared-state.js';
import type { ServiceCounters } from './ports.js';
import type { ConnectionEntry } from './types.js';

/** The ipvsadm service key of a compiled service. */
export function keyOfSpec(s: SnapshotSpec['services'][number]): ServiceKey {
  if (s.fwmark) return { kind: 'fwmark', fwmark: s.fwmark, family: s.family };
  return {
    kind: 'addr',
    protocol: s.proto === 17 ? 'udp' : s.proto === 132 ? 'sctp' : 'tcp',
    family: s.family,
    address: formatAddrWords(s.vaddr, s.family),
    port: s.port,
  };
}

/** Counters of every service of `spec` and its real servers (summed over workers: the shared stats). */
export function serviceCounters(state: SharedState, spec: SnapshotSpec): ServiceCounters[] {
  const st = state.stats;
  const bySlot = new Map(spec.dests.map((d) => [d.slot, d]));
  return spec.services.map((s) => ({
    key: keyOfSpec(s),
    stats: st.serviceTotals(s.slot),
    dests: s.destSlots.map((slot) => {
      const d = bySlot.get(slot)!;
      return {
        address: d.address,
        port: d.port,
        activeConns: st.active(slot),
        inactiveConns: st.inactive(slot),
        persistConns: st.persistent(slot),
        stats: st.destTotals(slot),
      };
    }),
  }));
}

/** The connection entries at `nowMs` (the first `limit` when given), as `ipvsadm -L -c` lists them. */
export function connectionEntries(state: SharedState, nowMs: number, limit?: number): ConnectionEntry[] {
  return listConnections(state.conns, nowMs, limit).map((c) => ({
    protocol: c.protocol === 'UDP' ? 'udp' : c.protocol === 'SCTP' ? 'sctp' : 'tcp',
    family: c.family,
    clientAddress: c.client,
    clientPort: c.clientPort,
    virtualAddress: c.fwmark ? '0.0.0.0' : c.virtual,
    virtualPort: c.virtualPort,
    destFamily: c.dest.includes(':') ? 6 : 4,
    destAddress: c.dest,
    destPort: c.destPort,
    state: c.state,
    expiresS: Math.floor(c.expiresMs / 1000),
    peName: '',
    peData: '',
  }));
}
