/**
 * Connection sync, TUN: 4 long-lived sessions survive kill -9 of the MASTER; the real servers
 * decapsulate IPIP and answer the client directly, the new MASTER encapsulates the synced flows to the
 * same real servers (body in sync-failover.ts).
 */
import { testSyncFailover } from './sync-failover.js';

testSyncFailover('tun');
