/**
 * One connection or template both ways between the shared table's terms (SyncEntry, host-order address
 * words, our forwarding codes) and the sync message's (SyncConn, address text, IP_VS_CONN_F_* flags).
 */
import { formatIpWords, parseIpWords } from '../core/addr.js';
import { SyncFlag, SyncFwd, type SyncConn } from '../sync/message.js';
import { Fwd } from '../table/layout.js';
import type { SyncEntry } from '../table/conn-sync.js';

/** Our record forwarding code -> IP_VS_CONN_F_FWD_MASK value. */
export function syncFwdOf(f: Fwd): number {
  return f === Fwd.Nat ? SyncFwd.Masq : f === Fwd.Tun ? SyncFwd.Tunnel : f === Fwd.Local ? SyncFwd.LocalNode : SyncFwd.DRoute;
}

/** IP_VS_CONN_F_FWD_MASK value -> our record forwarding code (bypass counts as DR). */
export function fwdOfSync(flags: number): Fwd {
  const f = flags & SyncFlag.FwdMask;
  return f === SyncFwd.Masq ? Fwd.Nat : f === SyncFwd.Tunnel ? Fwd.Tun : f === SyncFwd.LocalNode ? Fwd.Local : Fwd.Dr;
}

/** A table entry as a sync message entry. */
export function syncConnOf(s: SyncEntry, fwmark: number): SyncConn {
  const fam = s.v6 ? 6 : 4;
  let flags = syncFwdOf(s.fwd);
  if (s.template) flags |= SyncFlag.Template | (s.cport === 0 ? SyncFlag.NoCport : 0);
  if (s.noOutput) flags |= SyncFlag.NoOutput;
  if (!s.template && s.proto === 6 && s.state !== 1) flags |= SyncFlag.Inactive;
  return {
    family: fam,
    protocol: s.proto,
    flags,
    state: s.template ? 0 : s.state,
    cport: s.cport,
    vport: s.vport,
    dport: s.dport,
    fwmark,
    timeoutS: Math.ceil(s.timeoutMs / 1000),
    caddr: formatIpWords(s.caddr, fam),
    vaddr: formatIpWords(s.vaddr, fam),
    daddr: formatIpWords(s.daddr, fam),
  };
}

/** A received message entry as a table entry (slots left for the data plane to resolve); false if unusable. */
export function syncEntryOf(c: SyncConn, s: SyncEntry): boolean {
  s.proto = c.protocol;
  s.v6 = c.family === 6;
  s.template = (c.flags & SyncFlag.Template) !== 0;
  s.state = s.template ? 0 : c.state;
  s.noOutput = (c.flags & SyncFlag.NoOutput) !== 0;
  s.fwd = fwdOfSync(c.flags);
  s.cport = c.cport;
  s.vport = c.vport;
  s.dport = c.dport;
  s.timeoutMs = Math.min(c.timeoutS, 7 * 86400) * 1000;
  s.inPkts = 0;
  s.caddr.fill(0);
  s.vaddr.fill(0);
  s.daddr.fill(0);
  return (
    parseIpWords(c.caddr, s.caddr) === c.family && parseIpWords(c.vaddr, s.vaddr) === c.family && parseIpWords(c.daddr, s.daddr) === c.family && s.timeoutMs > 0
  );
}
