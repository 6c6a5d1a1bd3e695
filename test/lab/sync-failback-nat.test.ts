/**
 * Connection sync, NAT: idle keep-alive connections, an upload and a UDP flow survive kill -9 of the
 * MASTER and a failback that waits for the bulk sync (body in sync-failback.ts).
 */
import { testSyncFailback } from './sync-failback.js';

testSyncFailback('nat');
