// The one time source of the layer: wall-clock milliseconds, one-shot timers and intervals,
// injected everywhere time is read or a timer is set, so tests drive it with a fake clock.

/**
 * A timer or interval a Clock set (Node's Timeout fits): `unref()` stops it keeping the process
 * alive, `ref()` makes it keep it again. Cancel it with the clock that set it.
 */
export interface TimerHandle {
  ref(): unknown
  unref(): unknown
}

/**
 * Time and timers. `now()` is wall-clock milliseconds (Date.now()), the time of the point and
 * peer histories, greylist expiries and score records, which survive a restart in peers.json;
 * durations read from it may go backwards when the system clock is set, so users clamp them.
 */
export interface Clock {
  /** Current time in milliseconds since the epoch. */
  now(): number
  /** Calls `fire` once after `delayMs`; the timer keeps the process alive until unref'd. */
  setTimeout(fire: () => void, delayMs: number): TimerHandle
  /** Cancels a timer set by setTimeout (undefined or already fired: nothing). */
  clearTimeout(timer: TimerHandle | undefined): void
  /** Calls `tick` every `periodMs` until cleared; keeps the process alive until unref'd. */
  setInterval(tick: () => void, periodMs: number): TimerHandle
  /** Cancels an interval set by setInterval. */
  clearInterval(timer: TimerHandle | undefined): void
}

/** The real clock: Date.now() and Node's timers (their handles are Node's Timeouts, no wrapper). */
export const systemClock: Clock = {
  now: Date.now,
  setTimeout: (fire, delayMs) => setTimeout(fire, delayMs),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout | undefined),
  setInterval: (tick, periodMs) => setInterval(tick, periodMs),
  clearInterval: (timer) => clearInterval(timer as NodeJS.Timeout | undefined),
}
