/**
 * Connection sync, NAT: 4 long-lived sessions survive kill -9 of the MASTER (body in sync-failover.ts).
 */
import { testSyncFailover } from './sync-failover.js';

testSyncFailover('nat');
