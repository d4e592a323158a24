// The write-stall watch of a connection (Bitcoin Core's "no send progress" timeout): armed when
// the outgoing queue refuses a message, disarmed when one leaves it, it fires past the timeout.

import { InvalidArgumentError } from '../errors/index.js'
import { type Clock, systemClock, type TimerHandle } from '../io/clock.js'

/**
 * Watches one outgoing queue. `refused()` (the queue was full) starts the clock unless it runs;
 * `progressed()` (a message left the queue) stops it. If it runs for `timeoutMs`, `onStall` is
 * called with how long. One timer per stalled connection, none for the others.
 */
export class WriteStallWatch {
  readonly timeoutMs: number
  readonly #onStall: (stalledMs: number) => void
  #since = 0
  #timer: TimerHandle | undefined
  readonly #clock: Clock

  /** `timeoutMs` Infinity: never fires. */
  constructor(timeoutMs: number, onStall: (stalledMs: number) => void, clock: Clock = systemClock) {
    if (!(timeoutMs > 0)) throw new InvalidArgumentError(`writeStallTimeoutMs must be > 0, got ${timeoutMs}`)
    this.timeoutMs = timeoutMs
    this.#onStall = onStall
    this.#clock = clock
  }

  /** Whether the clock runs (the queue refused a message and none left it since). */
  get stalled(): boolean {
    return this.#timer !== undefined
  }

  /** The outgoing queue refused a message (or made a writer wait). */
  refused(): void {
    if (this.#timer !== undefined || this.timeoutMs === Number.POSITIVE_INFINITY) return
    this.#since = this.#clock.now()
    this.#timer = this.#clock.setTimeout(this.#fire, this.timeoutMs)
    this.#timer.unref()
  }

  /** A message left the outgoing queue: the peer is reading. */
  progressed(): void {
    if (this.#timer === undefined) return
    this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
  }

  readonly #fire = (): void => {
    this.#timer = undefined
    this.#onStall(this.#clock.now() - this.#since)
  }
}
