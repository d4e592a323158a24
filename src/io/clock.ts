// The time source of the I/O primitives: a monotonic clock and an unref'd repeating timer,
// injectable so unit tests drive flow meters and the scheduler with a manual clock.

/** A running repeating timer. */
export interface RepeatingTimer {
  stop(): void
  /** Whether the timer keeps the process alive (it starts not to, as an unref'd Node timer). */
  keepAlive(on: boolean): void
}

/** Monotonic milliseconds and repeating timers. */
export interface Clock {
  /** Current time in milliseconds (monotonic, arbitrary origin). */
  now(): number
  /** Calls `tick` every `periodMs` until stopped; the timer does not keep the process alive. */
  every(periodMs: number, tick: () => void): RepeatingTimer
}

/** The real clock: `performance.now()` and an unref'd `setInterval`. */
export const systemClock: Clock = {
  now: () => performance.now(),
  every(periodMs, tick) {
    const timer = setInterval(tick, periodMs).unref()
    return {
      stop: () => clearInterval(timer),
      keepAlive: (on) => {
        if (on) timer.ref()
        else timer.unref()
      },
    }
  },
}
