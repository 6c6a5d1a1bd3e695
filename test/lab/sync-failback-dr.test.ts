/**
 * Connection sync, DR: idle connections (the real servers answer the client directly), an upload and a UDP flow survive kill -9 of the
 * MASTER and a failback that waits for the bulk sync (body in sync-failback.ts).
 */
import { testSyncFailback } from './sync-failback.js';

testSyncFailback('dr');
