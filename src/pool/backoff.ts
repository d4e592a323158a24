// The reconnection backoff (SPEC 5): when a known point may be dialed again after failures
// in a row or a disconnection. A pure function of the point's history and the clock.

/** When a point may be dialed again (SPEC 5: 1 s, ×1.2 per failure in a row; 60 s after a disconnection). */
export interface BackoffConfig {
  /** Wait after the first failure, ms (default 1000). */
  readonly firstRetryMs: number
  /** Each further failure in a row multiplies the wait by this, >= 1 (default 1.2). */
  readonly retryFactor: number
  /** The wait never exceeds this, ms (default 300 000: 5 min). */
  readonly maxRetryMs: number
  /** Wait after a normal disconnection, ms (default 60 000). */
  readonly afterDisconnectMs: number
}

export const DEFAULT_BACKOFF: BackoffConfig = {
  firstRetryMs: 1000,
  retryFactor: 1.2,
  maxRetryMs: 300_000,
  afterDisconnectMs: 60_000,
}

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
