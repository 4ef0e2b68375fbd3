/**
 * A deadline that may lie weeks ahead (INTERNAL). Node's `setTimeout` takes
 * at most 2^31-1 ms (about 24.8 days): a longer delay is replaced by 1 ms,
 * so a `MaxRuntimeInSeconds` of up to 2,419,200 s (28 days, the API limit)
 * cannot be one timer. The deadline is an absolute time; the timer is armed
 * for at most {@link MAX_TIMER_DELAY_MS} and re-armed for what remains until
 * the deadline is reached.
 */

/** The longest delay `setTimeout` honours: 2^31-1 ms. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** A running deadline. */
export interface Deadline {
  /** Absolute time (ms since the epoch) at which `onExpire` runs. */
  readonly at: number;
  /** Stop it; `onExpire` will not run. Idempotent. */
  cancel(): void;
}

/**
 * Run `onExpire` once, `delayMs` from now (any non-negative length, also
 * longer than {@link MAX_TIMER_DELAY_MS}). The timer does not keep the
 * process alive on its own (`unref`), like every timer of a job whose
 * containers are awaited anyway.
 */
export function startDeadline(delayMs: number, onExpire: () => void): Deadline {
  if (!Number.isFinite(delayMs) || delayMs < 0) {
    throw new RangeError(`A deadline needs a finite, non-negative delay in ms, got ${delayMs}.`);
  }
  const at = Date.now() + delayMs;
  let timer: NodeJS.Timeout | undefined;
  let cancelled = false;
  const arm = () => {
    const remaining = at - Date.now();
    if (remaining <= 0) {
      timer = undefined;
      onExpire();
      return;
    }
    timer = setTimeout(arm, Math.min(remaining, MAX_TIMER_DELAY_MS));
    timer.unref?.();
  };
  arm();
  return {
    at,
    cancel: () => {
      if (cancelled) { return; }
      cancelled = true;
      if (timer) { clearTimeout(timer); }
      timer = undefined;
    },
  };
}
