/**
 * Re-export shim (to remove): the packet batch moved to src/core/batch.ts, below every layer that
 * uses it. Import it from there.
 */
export { Verdict, LinkType, createBatch, putFrame, frameOf, type PacketBatch } from '../core/batch.js';
