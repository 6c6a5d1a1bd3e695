/**
 * The connection sync daemon (ipvsadm --start-daemon, keepalived's lvs_sync_daemon): a master scans the
 * shared connection table every period and sends what the kernel's rules say is due (sync/send-rules.ts:
 * sync_threshold, sync_period, sync_refresh_period, sync_retries) as IPVS sync version 1 messages; a
 * backup decodes what it receives and installs each entry into its own table as a live record. Counts
 * entries and messages both ways and every drop by reason.
 *
 * Beyond the kernel (sync/control-message.ts): every `fullSyncMs` (default 30 s) the master sends the
 * whole table again, so a backup that lost datagrams learns every connection, idle ones included; a
 * backup that starts asks for the whole table at once (bulk request, repeated every second until
 * answered) and is caught up when the master's bulk end arrives with at least as many entries received
 * since the request as it announces (or after `bulkTimeoutMs`: a kernel master never answers); a master
 * with nothing to send says it is alive every second, so a backup's lag is the time since it last heard
 * its master. Received datagrams go through a token bucket (`maxDatagramsPerS`): a flood costs a count.
 */
import {
  decodeSyncMessage,
  encodeSyncMessages,
  syncMaxlenForMtu,
  SYNC_DEFAULT_GROUP,
  SYNC_DEFAULT_PORT,
  SYNC_DEFAULT_TTL,
  type SyncConn,
} from '../sync/message.js';
import { PacedSender, TokenBucket } from '../sync/paced-sender.js';
import { SyncSocket } from '../sync/socket.js';
import { decodeSyncControl, encodeSyncControl, isSyncControl } from '../sync/control-message.js';
import { SYNC_SEND_DEFAULTS, syncableState, syncDue, type SyncSendParams, type SyncSentMark } from '../sync/send-rules.js';
import { newSyncEntry } from '../table/conn-sync.js';
import { syncConnOf, syncEntryOf } from './sync-entry.js';
import type { ConnSyncCounters, ConnSyncOptions, SyncTablePort } from './conn-sync-types.js';
import type { SyncDaemonInfo } from './types.js';

export type { ConnSyncCounters, ConnSyncOptions, SyncTablePort } from './conn-sync-types.js';

const SCAN_SLICE = 16_384;

/** One scan in progress (master). */
interface ScanContext {
  no: number;
  full: boolean;
  /** Bulk requests this scan answers. */
  nonces: number[];
  entries: number;
  live: number;
}

/** One running sync daemon (master or backup). */
export class ConnSync {
  /** Counters, live (lagMs is computed when read through snapshot()). */
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
    bulkRequests: 0,
    caughtUp: false,
    lagMs: 0,
  };
  private sock?: { send(msg: Buffer): void; close?(): void };
  private timers: NodeJS.Timeout[] = [];
  /** Master: what was last sent per record index (generation + the send rules' mark). */
  private readonly sent = new Map<number, SyncSentMark & { gen: number; seen: number }>();
  private scanNo = 0;
  private readonly entry = newSyncEntry();
  private readonly rules: SyncSendParams;
  /** Master: nonces of bulk requests to answer; time of the last answer. */
  private readonly pendingBulk = new Set<number>();
  private lastBulkMs = -Infinity;
  /** Master: least gap between two whole-table answers (twice the time the last one took to send, >= 1 s). */
  private bulkGapMs = 1000;
  private lastRequestMs = -Infinity;
  private requestGapMs = 1000;
  private lastSendMs = 0;
  /** Backup: the bulk request outstanding and entries received since it was sent. */
  private nonce = 0;
  private sinceRequest = 0;
  private bulkDeadlineMs = 0;
  private lastHeardMs = 0;
  private readonly bucket: TokenBucket;
  private readonly out = new PacedSender((m) => this.sock?.send(m));
  private stopped = false;
  private scanning = false;
  private fullWanted = false;

  private constructor(
    readonly o: ConnSyncOptions,
    private readonly table: SyncTablePort,
  ) {
    this.rules = { ...SYNC_SEND_DEFAULTS, ...o.send };
    this.bucket = new TokenBucket(o.maxDatagramsPerS ?? 5000);
    if (o.state === 'master') this.counters.caughtUp = true;
  }

  /** Opens the socket and starts sending (master) or receiving and asking for the table (backup). */
  static async start(o: ConnSyncOptions, table: SyncTablePort): Promise<ConnSync> {
    const d = new ConnSync(o, table);
    const clock = o.clock ?? Date.now;
    if (o.transport) d.sock = o.transport;
    else {
      d.sock = await SyncSocket.open({
        role: o.state,
        interface: o.mcastInterface,
        group: o.mcastGroup,
        port: o.mcastPort,
        ttl: o.mcastTtl,
        peer: o.peer,
        onMessage: (m) => d.receive(m, clock()),
        onForeign: () => d.drop('foreign-peer'),
      });
    }
    const every = (ms: number, fn: () => void): void => {
      const h = setInterval(fn, ms);
      h.unref();
      d.timers.push(h);
    };
    if (o.state === 'master') {
      if ((o.periodMs ?? 500) > 0) every(o.periodMs ?? 500, () => d.scanInSlices());
    } else if (o.bulk !== false) {
      d.bulkDeadlineMs = clock() + (o.bulkTimeoutMs ?? 10_000);
      d.requestBulk(clock());
      if (!o.transport) every(1000, () => d.tick(clock()));
    } else d.caughtUp('bulk', 0);
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

  /** The counters as of `nowMs` (lag computed). */
  snapshot(nowMs: number): ConnSyncCounters {
    const lagMs = this.o.state === 'backup' && this.lastHeardMs ? Math.max(0, nowMs - this.lastHeardMs) : 0;
    return { ...this.counters, drops: { ...this.counters.drops }, lagMs };
  }

  private maxlen(): number {
    return this.o.syncMaxLen ?? syncMaxlenForMtu(1500);
  }

  private drop(reason: string, n = 1): void {
    this.counters.drops[reason] = (this.counters.drops[reason] ?? 0) + n;
  }

  private send(m: Buffer, nowMs: number): void {
    this.counters.messagesSent++;
    this.counters.lastMessageMs = nowMs;
    this.lastSendMs = nowMs;
    if (!this.out.send(m)) this.drop('send-queue-full');
  }

  /** Backup: sends a bulk request with a fresh nonce. */
  private requestBulk(nowMs: number): void {
    this.lastRequestMs = nowMs;
    this.nonce = (Math.random() * 0xffffffff) >>> 0 || 1;
    this.sinceRequest = 0;
    this.counters.bulkRequests++;
    this.send(encodeSyncControl(this.o.syncId, { kind: 'bulk-request', nonce: this.nonce }), nowMs);
  }

  private caughtUp(how: 'bulk' | 'timeout', nowMs: number): void {
    if (this.counters.caughtUp) return;
    this.counters.caughtUp = true;
    if (how === 'bulk') this.counters.lastFullSyncMs = nowMs;
    this.o.log?.(
      how === 'bulk'
        ? `sync: caught up with the master's table (${this.sinceRequest} entries since the bulk request)`
        : `sync: no whole table from a master within ${this.o.bulkTimeoutMs ?? 10_000} ms (none, or a kernel IPVS master, which does not answer bulk requests): going on without`,
    );
    this.o.onCaughtUp?.(how);
  }

  /**
   * Backup, once a second: gives up at the deadline; else asks again, backing off (1, 2, 4 s between
   * requests) and only while the master is silent — a whole table still arriving is not asked for twice.
   */
  tick(nowMs: number): void {
    if (this.o.state !== 'backup' || this.counters.caughtUp) return;
    if (nowMs >= this.bulkDeadlineMs) return this.caughtUp('timeout', nowMs);
    if (nowMs - this.lastRequestMs < this.requestGapMs || nowMs - this.lastHeardMs < 1000) return;
    this.requestGapMs = Math.min(this.requestGapMs * 2, 4000);
    this.requestBulk(nowMs);
  }

  /** Master: one whole scan of the table at once; sends what is due (everything when `forceFull`). Returns the number of entries sent. */
  scan(nowMs: number, forceFull = false): number {
    const ctx = this.beginScan(nowMs, forceFull);
    this.scanRange(ctx, nowMs, 0, Number.MAX_SAFE_INTEGER);
    this.endScan(ctx, nowMs);
    return ctx.entries;
  }

  /**
   * Master (timer, bulk requests): one whole scan in slices of SCAN_SLICE records, yielding to the event
   * loop between them, so 100 000 or a million connections never hold up the VRRP adverts of the same
   * thread (a whole-table send of 100 000 took 0.6 s at once). A scan asked for meanwhile runs next.
   */
  private scanInSlices(forceFull = false, nowMs = (this.o.clock ?? Date.now)()): void {
    const clock = this.o.clock ?? Date.now;
    const hw = this.table.highWater?.();
    if (hw === undefined) {
      this.scan(nowMs, forceFull);
      return;
    }
    if (this.scanning) {
      this.fullWanted ||= forceFull;
      return;
    }
    this.scanning = true;
    const ctx = this.beginScan(nowMs, forceFull);
    let pos = 0;
    let first = true;
    const step = (): void => {
      if (this.stopped) return;
      const now = first ? nowMs : clock();
      first = false;
      this.scanRange(ctx, now, pos, pos + SCAN_SLICE);
      pos += SCAN_SLICE;
      if (pos < hw) {
        setImmediate(step);
        return;
      }
      this.endScan(ctx, now);
      this.scanning = false;
      if (this.fullWanted) {
        this.fullWanted = false;
        this.scanInSlices(true);
      }
    };
    step();
  }

  private beginScan(nowMs: number, forceFull: boolean): ScanContext {
    const fullMs = this.o.fullSyncMs ?? 30_000;
    const full = forceFull || (fullMs > 0 && (this.counters.lastFullSyncMs === 0 || nowMs - this.counters.lastFullSyncMs >= fullMs));
    if (full) this.counters.lastFullSyncMs = nowMs;
    // Only requests already here are answered by this scan: the backup counts entries from its request on.
    const nonces = full ? [...this.pendingBulk] : [];
    for (const n of nonces) this.pendingBulk.delete(n);
    return { no: ++this.scanNo, full, nonces, entries: 0, live: 0 };
  }

  private scanRange(ctx: ScanContext, nowMs: number, from: number, to: number): void {
    const out: SyncConn[] = [];
    const { no, full } = ctx;
    const rules = this.rules;
    const sent = this.sent;
    const e = { template: false, proto: 0, state: 0, inPkts: 0, expiresMs: 0, timeoutMs: 0 };
    ctx.live += this.table.scanSync(
      nowMs,
      (s, fwmark) => {
        e.template = s.template;
        e.proto = s.proto;
        e.state = s.state;
        e.inPkts = s.inPkts;
        e.expiresMs = nowMs + s.timeoutMs;
        e.timeoutMs = s.stateTimeoutMs;
        const prev = sent.get(s.idx);
        const last = prev && prev.gen === s.gen ? prev : undefined;
        if (last) last.seen = no;
        const mark = full
          ? syncableState(e)
            ? { state: e.state, pkts: e.inPkts, expiresMs: e.expiresMs, atMs: nowMs, retries: 0 }
            : undefined
          : syncDue(rules, e, last, nowMs);
        if (!mark) return;
        sent.set(s.idx, { ...mark, gen: s.gen, seen: no });
        out.push(syncConnOf(s, fwmark));
      },
      from,
      to,
    );
    for (const m of encodeSyncMessages(this.o.syncId, out, this.maxlen())) this.send(m, nowMs);
    this.counters.entriesSent += out.length;
    ctx.entries += out.length;
  }

  private endScan(ctx: ScanContext, nowMs: number): void {
    for (const [idx, v] of this.sent) if (v.seen !== ctx.no) this.sent.delete(idx);
    if (ctx.nonces.length) {
      for (const nonce of ctx.nonces) this.send(encodeSyncControl(this.o.syncId, { kind: 'bulk-end', nonce, entries: ctx.entries }), nowMs);
      this.lastBulkMs = nowMs;
      this.bulkGapMs = Math.max(1000, 2 * this.out.backlogMs());
    } else if (nowMs - this.lastSendMs >= 1000) this.send(encodeSyncControl(this.o.syncId, { kind: 'alive', entries: ctx.live }), nowMs);
  }

  /** One received datagram: entries (backup), a bulk request (master), a bulk end or alive (backup). */
  receive(msg: Uint8Array, nowMs: number): void {
    if (!this.bucket.take(nowMs)) {
      this.drop('rate-limit');
      return;
    }
    if (isSyncControl(msg)) {
      const c = decodeSyncControl(msg, this.o.syncId);
      if (!c.ok) return this.drop(c.reason);
      const m = c.msg;
      if (this.o.state === 'master') {
        if (m.kind !== 'bulk-request') return this.drop('not-backup');
        this.counters.bulkRequests++;
        if (this.pendingBulk.size < 16) this.pendingBulk.add(m.nonce);
        // At most one whole-table answer a second, however many backups (or a flood) ask.
        const wait = Math.max(0, this.lastBulkMs + this.bulkGapMs - nowMs);
        if (wait === 0) this.scanInSlices(true, nowMs);
        else if (this.pendingBulk.size === 1) {
          const h = setTimeout(() => this.pendingBulk.size && this.scanInSlices(true), wait);
          h.unref();
          this.timers.push(h);
        }
        return;
      }
      if (m.kind === 'bulk-request') return this.drop('not-master');
      this.heard(nowMs);
      if (m.kind === 'bulk-end' && m.nonce === this.nonce && !this.counters.caughtUp) {
        if (this.sinceRequest >= m.entries) this.caughtUp('bulk', nowMs);
        else {
          this.drop('bulk-incomplete');
          this.lastHeardMs = nowMs - 1000; // the next tick asks again (after its back-off)
        }
      }
      return;
    }
    if (this.o.state === 'master') return this.drop('not-backup');
    const r = decodeSyncMessage(msg, { syncid: this.o.syncId });
    if (!r.ok) {
      this.drop(r.reason);
      return;
    }
    this.counters.messagesReceived++;
    this.heard(nowMs);
    for (const why of r.skipped) this.drop(why);
    for (const c of r.conns) {
      this.counters.entriesReceived++;
      this.sinceRequest++;
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

  private heard(nowMs: number): void {
    this.counters.lastMessageMs = nowMs;
    this.lastHeardMs = nowMs;
  }

  /** Stops the daemon and closes its socket. */
  stop(): void {
    this.stopped = true;
    this.out.stop();
    for (const h of this.timers) clearInterval(h);
    this.timers = [];
    this.sock?.close?.();
    this.o.log?.(`sync thread stopped: state = ${this.o.state.toUpperCase()}`);
  }
}
