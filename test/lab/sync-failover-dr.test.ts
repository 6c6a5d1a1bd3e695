/**
 * Connection sync, DR: 4 long-lived sessions survive kill -9 of the MASTER; the real servers answer the
 * client directly, the new MASTER only sees the client's side (body in sync-failover.ts).
 */
import { testSyncFailover } from './sync-failover.js';

testSyncFailover('dr');
