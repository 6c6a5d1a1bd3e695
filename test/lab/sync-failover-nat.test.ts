// lab: alone — a failover timed against kill -9; 2 of 21 NAT runs under load reset every session (unexplained, see bench/sync.md), so it runs by itself.
/**
 * Connection sync, NAT: 4 long-lived sessions survive kill -9 of the MASTER (body in sync-failover.ts).
 */
import { testSyncFailover } from './sync-failover.js';

testSyncFailover('nat');
