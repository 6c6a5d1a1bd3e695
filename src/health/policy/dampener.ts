/**
 * The per-checker state rule of keepalived (check_tcp.c tcp_epilog, same in every checker): a failed
 * attempt is retried after delay_before_retry until `retry` retries have failed; then an UP checker goes
 * DOWN (retry+1 consecutive failures). One success brings a DOWN checker UP. Pure: no timers, no I/O.
 */

/** Mutable-free state of one checker. */
export interface CheckerState {
  /** Checker considered up (keepalived is_up). */
  up: boolean;
  /** Retries already spent in the current failure run (keepalived retry_it). */
  retryIt: number;
  /** At least one check has completed (keepalived has_run). */
  hasRun: boolean;
  /** Consecutive failed attempts (for views and logs only). */
  failures: number;
}

/** Timing of one checker as the rule needs it. */
export interface DampenerConfig {
  retry: number;
  delayLoopMs: number;
  delayBeforeRetryMs: number;
}

/** Result of one step: the new state, a transition if any, and when to check next. */
export interface DampenerStep {
  state: CheckerState;
  /** 'up' / 'down' when the checker changed state with this result, else null. */
  transition: 'up' | 'down' | null;
  /** Delay until the next attempt: delay_loop, or delay_before_retry while retrying. */
  nextDelayMs: number;
  /** True when the next attempt is a retry (so the scheduler measures the delay from now, not the cadence). */
  retrying: boolean;
}

/**
 * Initial state at first start: alpha checkers start DOWN; all start with their retries already spent,
 * so one failure is enough to bring a non-alpha checker down initially (keepalived check_data.c).
 */
export function initialCheckerState(alpha: boolean, retry: number): CheckerState {
  return { up: !alpha, retryIt: retry, hasRun: false, failures: 0 };
}

/** Applies one check result to the state (keepalived tcp_epilog). */
export function stepChecker(s: CheckerState, cfg: DampenerConfig, success: boolean): DampenerStep {
  if (success || s.retryIt >= cfg.retry) {
    const transition = success && !s.up ? 'up' : !success && s.up ? 'down' : null;
    return {
      state: { up: transition ? transition === 'up' : s.up, retryIt: 0, hasRun: true, failures: success ? 0 : s.failures + 1 },
      transition,
      nextDelayMs: cfg.delayLoopMs,
      retrying: false,
    };
  }
  return {
    state: { up: s.up, retryIt: s.retryIt + 1, hasRun: true, failures: s.failures + 1 },
    transition: null,
    nextDelayMs: cfg.delayBeforeRetryMs,
    retrying: true,
  };
}

/**
 * State of a checker retained across a reload (keepalived ipwrapper.c migrate_checkers): keeps up/down
 * and has_run; a DOWN checker needs one success; an UP one keeps its spent retries capped at the new retry.
 */
export function migrateCheckerState(old: CheckerState, newRetry: number): CheckerState {
  if (!old.up) return { ...old, retryIt: newRetry + 1 };
  return { ...old, retryIt: old.retryIt >= newRetry ? newRetry : old.retryIt };
}

/**
 * Worst-case time from the failure to the checker going DOWN for an UP checker that last succeeded:
 * up to one delay_loop until the next check, then retry+1 attempts of at most attemptMs each,
 * separated by retry delays of delay_before_retry.
 */
export function detectionBoundMs(cfg: DampenerConfig, attemptMs: number): number {
  return cfg.delayLoopMs + (cfg.retry + 1) * attemptMs + cfg.retry * cfg.delayBeforeRetryMs;
}
