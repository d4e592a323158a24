// The reconnection backoff (SPEC 5): when a known point may be dialed again after failures
// in a row or a disconnection. A pure function of the point's history and the clock.

import { type BackoffConfig, DEFAULT_BACKOFF } from './config.js'

export { type BackoffConfig, DEFAULT_BACKOFF } from './config.js'

/** A known point's connection history, as the backoff reads it. Times in the clock's milliseconds. */
export interface PointHistory {
  readonly lastFailure?: number | undefined
  readonly lastDisconnect?: number | undefined
  /** Failed attempts in a row (0 after a success). */
  readonly failures: number
}

/**
 * The earliest time the point may be dialed, never before `now`: after `n` failures in a row,
 * `lastFailure + min(maxRetryMs, firstRetryMs · retryFactor^(n−1))`; after a disconnection,
 * `lastDisconnect + afterDisconnectMs`; the later of the two when both apply.
 */
export function nextAttemptAt(
  point: PointHistory,
  now: number,
  config: BackoffConfig = DEFAULT_BACKOFF,
): number {
  let at = now
  if (point.failures > 0 && point.lastFailure !== undefined) {
    const wait = Math.min(config.maxRetryMs, config.firstRetryMs * config.retryFactor ** (point.failures - 1))
    at = Math.max(at, point.lastFailure + wait)
  }
  if (point.lastDisconnect !== undefined) at = Math.max(at, point.lastDisconnect + config.afterDisconnectMs)
  return at
}
