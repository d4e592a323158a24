// Per-connection protocol violations (empty chunks, layer messages within their cooldown): a
// leaky counter with a budget, and how much of a score violation each one costs.
import { type Clock, systemClock } from '../io/clock.js'

/** One violation costs this much of the score's `violation` counter (50 make one, -5 by default). */
export const VIOLATION_SCORE_SHARE = 1 / 50
/** Violations are charged to the score in batches of this many (keeps the score off the hot path). */
export const VIOLATIONS_PER_SCORE_CHARGE = 10

/** What a violation was, for the close reason and the logs. */
export type ViolationKind = 'empty_chunk' | 'bootstrap' | 'advertise' | 'swap_request' | 'swap_ack'

/**
 * A connection's violations as a leaky bucket: each adds 1, `forgivenPerSecond` drain away each
 * second; the connection is over budget once the level passes `budget`. A burst of `budget`
 * violations is tolerated, and a sustained rate below `forgivenPerSecond` forever.
 */
export class ViolationCounter {
  readonly budget: number
  readonly forgivenPerSecond: number
  readonly #clock: Clock
  #level = 0
  #at = 0
  /** Every violation counted, forgiven or not. */
  total = 0

  constructor(budget: number, forgivenPerSecond: number, clock: Clock = systemClock) {
    this.budget = budget
    this.forgivenPerSecond = forgivenPerSecond
    this.#clock = clock
  }

  /** Counts one violation; true when the level is now over the budget. */
  charge(): boolean {
    const now = this.#clock.now()
    const forgiven = ((now - this.#at) * this.forgivenPerSecond) / 1000
    this.#level = Math.max(0, this.#level - forgiven) + 1
    this.#at = now
    this.total++
    return this.#level > this.budget
  }

  /** The level now (for the admin API and tests). */
  get level(): number {
    const forgiven = ((this.#clock.now() - this.#at) * this.forgivenPerSecond) / 1000
    return Math.max(0, this.#level - forgiven)
  }
}
