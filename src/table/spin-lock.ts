/**
 * The spin lock in bit 31 of a shared Int32 word (connection-table bucket heads, the free-list head):
 * lock returns the word's other 31 bits; the holder unlocks by storing the new value with bit 31
 * clear. Atomics.compareExchange (acquire) and Atomics.store (release) order the plain accesses made
 * under the lock.
 */
import { HEAD_MASK, LOCK_BIT } from './layout.js';

/** Scratch word for the lock back-off sleep. */
const backoff = new Int32Array(new SharedArrayBuffer(4));
let canWait = true;

/** Locks word `b` of `a` (spinning, then sleeping 20 µs between tries); returns its value without the lock bit. */
export function lockWord(a: Int32Array, b: number): number {
  // Fast path: one CAS against the plainly-read word (no extra atomic load).
  const h0 = a[b]! & HEAD_MASK;
  if (Atomics.compareExchange(a, b, h0, h0 | LOCK_BIT) === h0) return h0;
  return lockSlow(a, b);
}

function lockSlow(a: Int32Array, b: number): number {
  for (let spins = 0; ; spins++) {
    const h = Atomics.load(a, b);
    if ((h & LOCK_BIT) === 0 && Atomics.compareExchange(a, b, h, h | LOCK_BIT) === h) return h;
    // The holder may have been preempted (more threads than cores): after a while, sleep 20 µs
    // between tries so it can run. Atomics.wait is not allowed on the main thread: spin there.
    if (spins > 256 && canWait) {
      try {
        Atomics.wait(backoff, 0, 0, 0.02);
      } catch {
        canWait = false;
      }
    }
  }
}
