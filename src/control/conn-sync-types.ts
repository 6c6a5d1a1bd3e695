/** The sync daemon's contracts: what it needs from the shared table, its options and its counters. */
import type { SyncSendParams } from '../sync/send-rules.js';
import type { SyncDaemonInfo } from './types.js';
import type { SyncEntry, SyncInstallResult } from '../table/conn-sync.js';

/** What the sync daemon needs from the data plane's shared table. */
export interface SyncTablePort {
  /** Calls fn with every live entry (of records from..to-1, default all) and its service's fwmark (0 if none); returns how many. */
  scanSync(nowMs: number, fn: (s: SyncEntry, fwmark: number) => void, from?: number, to?: number): number;
  /** Records in use so far (the end of a scan); absent: scans run whole at once. */
  highWater?(): number;
  /** Resolves `s`'s slots to this director's own and installs it, or says why not. */
  installSync(s: SyncEntry, fwmark: number, nowMs: number): SyncInstallResult | 'no-service' | 'no-dest';
}

/** Options of one sync daemon. */
export interface ConnSyncOptions extends SyncDaemonInfo {
  /** Unicast peer instead of multicast. */
  peer?: string;
  /** The kernel's send rules (sync_threshold, sync_period, sync_refresh_period, sync_retries); defaults as the kernel's. */
  send?: Partial<SyncSendParams>;
  /** Scan period in ms (default 500). */
  periodMs?: number;
  /** Period of a full resend of the table in ms (default 30 s; 0 = never). */
  fullSyncMs?: number;
  /** Backup: ask the master for its whole table at start (default true). */
  bulk?: boolean;
  /** Backup: give up waiting for the bulk answer after this many ms (default 10 s) and count as caught up. */
  bulkTimeoutMs?: number;
  /** Backup: called once when caught up (bulk answered whole, or timed out). */
  onCaughtUp?: (how: 'bulk' | 'timeout') => void;
  /** Datagrams a second handled at most (token bucket, burst the same; default 5000); the rest are dropped and counted. */
  maxDatagramsPerS?: number;
  log?: (line: string) => void;
  /** Clock in ms (default Date.now; tests). */
  clock?: () => number;
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
  /** Master: time of the last full send of the table; backup: of the last bulk sync completed (ms since the epoch), 0 = none yet. */
  lastFullSyncMs: number;
  /** Backup: bulk requests sent; master: bulk requests answered. */
  bulkRequests: number;
  /** Backup: holds the master's table (bulk answered whole, or timed out); master: always. */
  caughtUp: boolean;
  /** Backup: ms since the master was last heard (it speaks at least once a second), 0 before; master: 0. */
  lagMs: number;
}
