/**
 * The connection sync daemon (ipvsadm --start-daemon, keepalived's lvs_sync_daemon): a master scans the
 * shared connection table every period and multicasts new and changed entries (and a refresh of those
 * whose expiry moved) as IPVS sync version 1 messages; a backup decodes what it receives and installs
 * each entry into its own table as a live record. Counts entries and messages both ways and every
 * drop by reason.
 *
 * Send rules (after ip_vs_sync_conn_needed, adapted to a table scan instead of a per-packet hook):
 * TCP connections are sent in ESTABLISHED, FIN_WAIT, CLOSE, CLOSE_WAIT and TIME_WAIT only; any
 * connection once it has seen `threshold` packets; templates always; again on a state change, and again
 * when its expiry moved by at least max(refreshPeriod, 10 s) (new packets re-armed it) — so an idle
 * connection is not resent, a busy one at most once per refresh period. Beyond the kernel: every
 * `fullSyncMs` (default 30 s) the whole table is sent again, so a backup that (re)started late, or lost
 * datagrams, learns every connection, idle ones included.
 */
import { formatIpWords, parseIpWords } from '../core/addr.js';
import {
  decodeSyncMessage,
  encodeSyncMessages,
  syncMaxlenForMtu,
  SyncFlag,
  SyncFwd,
  SYNC_DEFAULT_GROUP,
  SYNC_DEFAULT_PORT,
  SYNC_DEFAULT_TTL,
  type SyncConn,
} from '../sync/message.js';
import { SyncSocket } from '../sync/socket.js';
import { Fwd } from '../table/layout.js';
import { newSyncEntry, type SyncEntry, type SyncInstallResult } from '../table/conn-sync.js';
import type { SyncDaemonInfo } from './types.js';

/** What the sync daemon needs from the data plane's shared table. */
export interface SyncTablePort {
  /** Calls fn with every live entry and its service's fwmark (0 if none); returns how many. */
  scanSync(nowMs: number, fn: (s: SyncEntry, fwmark: number) => void): number;
  /** Resolves `s`'s slots to this director's own and installs it, or says why not. */
  installSync(s: SyncEntry, fwmark: number, nowMs: number): SyncInstallResult | 'no-service' | 'no-dest';
}

/** Options of one sync daemon. */
export interface ConnSyncOptions {
  state: 'master' | 'backup';
  mcastInterface: string;
  syncId: number;
  syncMaxLen?: number;
  mcastGroup?: string;
  mcastPort?: number;
  mcastTtl?: number;
  /** Unicast peer instead of multicast. */
  peer?: string;
  /** sync_threshold: packets before a connection is first sent (default 3). */
  threshold?: number;
  /** Scan period in ms (default 500). */
  periodMs?: number;
  /** sync_refresh_period in ms: least gap between two refreshes of one entry (default 10 s). */
  refreshMs?: number;
  /** Period of a full resend of the table in ms (default 30 s; 0 = never). */
  fullSyncMs?: number;
  log?: (line: string) => void;
  /** Send datagrams here instead of opening a socket (tests; a backup is then fed through receive()). */
  transport?: { send(msg: Buffer): void };
}

/** Counters of one sync daemon (metrics and `ulvs status`). */
export interface ConnSyncCounters {
  messagesSent: number;
  entriesSent: number;
  messagesReceived: number;
  entriesReceived: number;
  installedNew: number;
  installedUpdated: number;
  /** Drops by reason: decode reasons, no-service, no-dest, table-full, foreign-peer. */
  drops: Record<string, number>;
  /** Time of the last message received or sent (ms since the epoch), 0 = none. */
  lastMessageMs: number;
  /** Master: time of the last full resend of the table (ms since the epoch), 0 = none yet. */
  lastFullSyncMs: number;
}

const SYNC_TCP_STATES = (1 << 1) | (1 << 4) | (1 << 6) | (1 << 7) | (1 << 5); // ES FIN_WAIT CLOSE CLOSE_WAIT TIME_WAIT

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

/** One running sync daemon (master or backup). */
export class ConnSync {
  /** Counters, live. */
  readonly counters: ConnSyncCounters = {
    messagesSent: 0,
    entriesSent: 0,
    messagesReceived: 0,
    entriesReceived: 0,
    installedNew: 0,
    installedUpdated: 0,
    drops: {},
    lastMessageMs: 0,
    lastFullSyncMs: 0,
  };
  private sock?: { send(msg: Buffer): void; close?(): void };
  private timer?: NodeJS.Timeout;
  /** Master: what was last sent per record index (generation, state, expiry). */
  private readonly sent = new Map<number, { gen: number; state: number; expiresMs: number; seen: number }>();
  private scanNo = 0;
  private readonly entry = newSyncEntry();

  private constructor(
    readonly o: ConnSyncOptions,
    private readonly table: SyncTablePort,
  ) {}

  /** Opens the socket and starts sending (master) or receiving (backup). */
  static async start(o: ConnSyncOptions, table: SyncTablePort): Promise<ConnSync> {
    const d = new ConnSync(o, table);
    if (o.transport) d.sock = o.transport;
    else {
      d.sock = await SyncSocket.open({
        role: o.state,
        interface: o.mcastInterface,
        group: o.mcastGroup,
        port: o.mcastPort,
        ttl: o.mcastTtl,
        peer: o.peer,
        onMessage: (m) => d.receive(m, Date.now()),
        onForeign: () => d.drop('foreign-peer'),
      });
    }
    if (o.state === 'master') {
      if ((o.periodMs ?? 500) > 0) {
        d.timer = setInterval(() => d.scan(Date.now()), o.periodMs ?? 500);
        d.timer.unref();
      }
    }
    o.log?.(`sync thread started: state = ${o.state.toUpperCase()}, mcast_ifn = ${o.mcastInterface}, syncid = ${o.syncId}`);
    return d;
  }

  /** What `ipvsadm -L --daemon` prints for this daemon. */
  info(): SyncDaemonInfo {
    return {
      state: this.o.state,
      mcastInterface: this.o.mcastInterface,
      syncId: this.o.syncId,
      syncMaxLen: this.maxlen(),
      mcastGroup: this.o.mcastGroup ?? SYNC_DEFAULT_GROUP,
      mcastPort: this.o.mcastPort ?? SYNC_DEFAULT_PORT,
      mcastTtl: this.o.mcastTtl ?? SYNC_DEFAULT_TTL,
    };
  }

  private maxlen(): number {
    return this.o.syncMaxLen ?? syncMaxlenForMtu(1500);
  }

  private drop(reason: string, n = 1): void {
    this.counters.drops[reason] = (this.counters.drops[reason] ?? 0) + n;
  }

  /** Master: one scan of the table; sends what is due. Returns the number of entries sent. */
  scan(nowMs: number): number {
    const threshold = this.o.threshold ?? 3;
    const refresh = Math.max(this.o.refreshMs ?? 10_000, 1000);
    const out: SyncConn[] = [];
    const no = ++this.scanNo;
    const fullMs = this.o.fullSyncMs ?? 30_000;
    const full = fullMs > 0 && nowMs - this.counters.lastFullSyncMs >= fullMs;
    if (full) this.counters.lastFullSyncMs = nowMs;
    this.table.scanSync(nowMs, (s, fwmark) => {
      if (!s.template) {
        if (s.proto === 6 && ((1 << s.state) & SYNC_TCP_STATES) === 0) return;
        if (s.proto !== 6 && s.inPkts < threshold) return;
      }
      const expiresMs = nowMs + s.timeoutMs;
      const last = this.sent.get(s.idx);
      if (last && last.gen === s.gen) {
        last.seen = no;
        if (!full && last.state === s.state && Math.abs(expiresMs - last.expiresMs) < refresh) return;
      }
      this.sent.set(s.idx, { gen: s.gen, state: s.state, expiresMs, seen: no });
      out.push(syncConnOf(s, fwmark));
    });
    for (const [idx, v] of this.sent) if (v.seen !== no) this.sent.delete(idx);
    if (out.length === 0) return 0;
    for (const m of encodeSyncMessages(this.o.syncId, out, this.maxlen())) {
      this.sock?.send(m);
      this.counters.messagesSent++;
    }
    this.counters.entriesSent += out.length;
    this.counters.lastMessageMs = nowMs;
    return out.length;
  }

  /** Backup: one received datagram. */
  receive(msg: Uint8Array, nowMs: number): void {
    const r = decodeSyncMessage(msg, { syncid: this.o.syncId });
    if (!r.ok) {
      this.drop(r.reason);
      return;
    }
    this.counters.messagesReceived++;
    this.counters.lastMessageMs = nowMs;
    for (const why of r.skipped) this.drop(why);
    for (const c of r.conns) {
      this.counters.entriesReceived++;
      const s = this.entry;
      if (!syncEntryOf(c, s)) {
        this.drop('bad-entry');
        continue;
      }
      const res = this.table.installSync(s, c.fwmark, nowMs);
      if (res === 'new') this.counters.installedNew++;
      else if (res === 'updated') this.counters.installedUpdated++;
      else this.drop(res === 'full' ? 'table-full' : res);
    }
  }

  /** Stops the daemon and closes its socket. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.sock?.close?.();
    this.o.log?.(`sync thread stopped: state = ${this.o.state.toUpperCase()}`);
  }
}
