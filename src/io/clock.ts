// The time source of the I/O primitives: a monotonic clock and an unref'd repeating timer,
// injectable so unit tests drive flow meters and the scheduler with a manual clock.

/** Monotonic milliseconds and repeating timers. */
export interface Clock {
  /** Current time in milliseconds (monotonic, arbitrary origin). */
  now(): number
  /** Calls `tick` every `periodMs` until the returned function is called. Must not keep the process alive. */
  every(periodMs: number, tick: () => void): () => void
}

/** The real clock: `performance.now()` and `setInterval` unref'd. */
export const systemClock: Clock = {
  now: () => performance.now(),
  every(periodMs, tick) {
    const timer = setInterval(tick, periodMs)
    timer.unref()
    return () => clearInterval(timer)
  },
}
