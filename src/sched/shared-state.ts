/**
 * Scheduler state that several scheduler instances (one per worker thread) can share.
 *
 * Layout: an Int32Array over a caller-provided SharedArrayBuffer (or a private ArrayBuffer when
 * the scheduler is not shared). Word 0 is a spin lock (0 free, 1 held), word 1 the last applied
 * configuration generation, words 2.. belong to the scheduler. All-zero memory is a valid initial
 * state, so a fresh SharedArrayBuffer can be handed to every worker without an init step.
 * The lock is held around one schedule() or update() call only, never across a batch.
 */

/** Words of the common header (lock, generation). */
export const HEADER_WORDS = 2;
const LOCK = 0;
const GEN = 1;

/** A scheduler's shared memory: typed views plus the lock and generation protocol. */
export class SchedState {
  /** All words, header included. */
  readonly i32: Int32Array;
  /** The same memory as f64 (for timestamps); index = byte offset / 8. */
  readonly f64: Float64Array;

  private readonly shared: boolean;

  constructor(
    readonly buffer: SharedArrayBuffer | ArrayBuffer,
    byteLength: number,
  ) {
    this.shared = typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer;
    if (buffer.byteLength < byteLength) {
      throw new RangeError(`scheduler state needs ${byteLength} bytes, got ${buffer.byteLength}`);
    }
    this.i32 = new Int32Array(buffer, 0, byteLength >> 2);
    this.f64 = new Float64Array(buffer, 0, byteLength >> 3);
  }

  /**
   * Takes the lock (compare-and-swap 0 -> 1). Critical sections are one schedule() call, so it
   * spins first; if the holder was descheduled (more threads than cores) it then sleeps in 1 ms
   * Atomics.wait steps instead of burning the core (unlock does not notify, to stay cheap).
   */
  lock(): void {
    const a = this.i32;
    if (Atomics.compareExchange(a, LOCK, 0, 1) === 0) return;
    for (let spins = 0; ; spins++) {
      if (Atomics.load(a, LOCK) === 0 && Atomics.compareExchange(a, LOCK, 0, 1) === 0) return;
      if (spins >= 2000 && this.shared) Atomics.wait(a, LOCK, 1, 1);
    }
  }

  /** Releases the spin lock (a release store, so writes made under it are visible to the next holder). */
  unlock(): void {
    Atomics.store(this.i32, LOCK, 0);
  }

  /**
   * Under the lock: true when the shared part of a configuration change must be applied by this
   * caller. Without a generation it is always applied; with one, only by the first instance that
   * sees that generation (the others only rebuild their private tables).
   */
  claim(generation: number | undefined): boolean {
    if (generation === undefined) return true;
    if (generation > this.i32[GEN]!) {
      this.i32[GEN] = generation;
      return true;
    }
    return false;
  }
}

/** Bytes for a state with `words` scheduler words after the header (rounded to 8 bytes). */
export function stateBytes(words: number): number {
  return ((HEADER_WORDS + words) * 4 + 7) & ~7;
}

/** Options for createScheduler's third argument. */
export interface SchedulerShared {
  /** Shared memory of schedulerStateBytes(name) bytes, the same buffer for every worker. */
  state?: SharedArrayBuffer | ArrayBuffer;
  /** twos only: a source of uniform u32 values (defaults to Math.random); tests inject one. */
  random?: () => number;
  /** lblc/lblcr: entries the shared table can hold (default 32768; elements 2x for lblcr). */
  tableCapacity?: number;
  /** dh/sh/lblc/lblcr: use the older multiplicative hash (addr * 2654435761) instead of hash_32. */
  legacyHash?: boolean;
  /** lblc_expiration / lblcr_expiration sysctl in ms (default 24 h). */
  expirationMs?: number;
}
