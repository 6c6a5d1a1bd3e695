/**
 * Time source of the health module: monotonic milliseconds and one-shot timers. The manager takes a
 * Clock so unit tests drive it with ManualClock (no real waiting).
 */

/** Handle of a scheduled timer. */
export type TimerHandle = { readonly id: number };

/** Monotonic time and one-shot timers. */
export interface Clock {
  /** Monotonic milliseconds (never goes backwards; not wall-clock time). */
  nowMs(): number;
  /** Runs fn once at absolute monotonic time atMs (or as soon as possible if already past). */
  at(atMs: number, fn: () => void): TimerHandle;
  /** Cancels a timer; unknown or fired handles are ignored. */
  cancel(handle: TimerHandle): void;
}

/** The real clock: performance.now() and unref'd setTimeout aimed at absolute deadlines (no drift accumulates). */
export class SystemClock implements Clock {
  private seq = 0;
  private readonly timers = new Map<number, NodeJS.Timeout>();

  nowMs(): number {
    return performance.now();
  }

  at(atMs: number, fn: () => void): TimerHandle {
    const id = ++this.seq;
    const t = setTimeout(
      () => {
        this.timers.delete(id);
        fn();
      },
      Math.max(0, atMs - performance.now()),
    );
    this.timers.set(id, t);
    return { id };
  }

  cancel(handle: TimerHandle): void {
    const t = this.timers.get(handle.id);
    if (t) {
      clearTimeout(t);
      this.timers.delete(handle.id);
    }
  }
}

/** A clock that only moves when told to: for unit tests of schedules and the policy. */
export class ManualClock implements Clock {
  private now = 0;
  private seq = 0;
  private readonly timers = new Map<number, { atMs: number; fn: () => void }>();

  nowMs(): number {
    return this.now;
  }

  at(atMs: number, fn: () => void): TimerHandle {
    const id = ++this.seq;
    this.timers.set(id, { atMs, fn });
    return { id };
  }

  cancel(handle: TimerHandle): void {
    this.timers.delete(handle.id);
  }

  /** Number of pending timers. */
  pending(): number {
    return this.timers.size;
  }

  /** Advances time by ms, firing due timers in deadline order (timers scheduled while firing also run if due). */
  advance(ms: number): void {
    const target = this.now + ms;
    for (;;) {
      let nextId = -1;
      let nextAt = Infinity;
      for (const [id, t] of this.timers) {
        if (t.atMs <= target && (t.atMs < nextAt || (t.atMs === nextAt && id < nextId))) {
          nextAt = t.atMs;
          nextId = id;
        }
      }
      if (nextId < 0) break;
      const t = this.timers.get(nextId)!;
      this.timers.delete(nextId);
      this.now = Math.max(this.now, t.atMs);
      t.fn();
    }
    this.now = target;
  }
}
