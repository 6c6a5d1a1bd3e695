/**
 * Maps a synced entry onto this director's own compiled rules (ip_vs_proc_conn's service and dest
 * lookup): the virtual service by fwmark, else by protocol + VIP + port (then port 0); the real server
 * by address and port within that service. The slots written into the entry are this director's, so
 * its workers forward the flow as their own.
 */
import type { SnapshotSpec } from '../dataplane/snapshot-types.js';
import type { SyncEntry } from '../table/conn-sync.js';

function sameAddr(a: readonly number[], w: Int32Array, v6: boolean): boolean {
  for (let j = 0; j < (v6 ? 4 : 1); j++) if (a[j]! >>> 0 !== w[j]! >>> 0) return false;
  return true;
}

/** Fills s.svcSlot, s.destSlot and s.fwd from `spec`, or says what is missing. */
export function resolveSyncSlots(spec: SnapshotSpec, s: SyncEntry, fwmark: number): 'ok' | 'no-service' | 'no-dest' {
  const fam = s.v6 ? 6 : 4;
  let svc = fwmark !== 0 ? spec.services.find((v) => v.fwmark === fwmark && v.family === fam) : undefined;
  if (!svc && !(s.template && s.proto === 0)) {
    const proto = s.proto;
    svc =
      spec.services.find((v) => v.fwmark === 0 && v.family === fam && v.proto === proto && v.port === s.vport && sameAddr(v.vaddr, s.vaddr, s.v6)) ??
      spec.services.find((v) => v.fwmark === 0 && v.family === fam && v.proto === proto && v.port === 0 && sameAddr(v.vaddr, s.vaddr, s.v6));
    // A template of a port-0 / FTP service carries vport 0: the service on that VIP and protocol.
    if (!svc && s.template && s.vport === 0)
      svc = spec.services.find((v) => v.fwmark === 0 && v.family === fam && v.proto === proto && sameAddr(v.vaddr, s.vaddr, s.v6));
  }
  if (!svc) return 'no-service';
  const want = new Set(svc.destSlots);
  const d = spec.dests.find(
    (x) => want.has(x.slot) && x.family === fam && sameAddr(x.addr, s.daddr, s.v6) && (x.port === s.dport || x.port === 0 || (s.template && s.dport === 0)),
  );
  if (!d) return 'no-dest';
  s.svcSlot = svc.slot;
  s.destSlot = d.slot;
  s.fwd = d.fwd;
  return 'ok';
}

/** The fwmark of the service in `slot` (0 if none or unknown). */
export function fwmarkOfSlot(spec: SnapshotSpec | undefined, slot: number): number {
  return spec?.services.find((v) => v.slot === slot)?.fwmark ?? 0;
}
