// The answerer: one loop per live connection that reads its messages, handles the layer's own
// (Bootstrap, Advertise, Swap_*) with Octez's per-connection rate limits, and passes the rest on.
import { type Clock, systemClock } from '../io/clock.js'
import type { Connection } from '../socket/index.js'

/** What the answerer calls for each kind of message it lets through. */
export interface AnswererHandlers<A> {
  bootstrap(): void
  advertise(points: readonly string[]): void
  swapRequest(point: string, peerId: Buffer): void
  swapAck(point: string, peerId: Buffer): void
  /** Resolves once the message is queued for the application (backpressure: the loop waits). */
  application(message: A): Promise<void>
  /**
   * A layer message arrived within its cooldown and was dropped: a violation the pool charges
   * to the connection (and may close it for).
   */
  excess?(kind: ExcessKind): void
}

/** The layer messages the answerer rate-limits, as named in violations. */
export type ExcessKind = 'bootstrap' | 'advertise' | 'swap_request' | 'swap_ack'

/** Octez's per-connection cooldowns: Bootstrap and Advertise 0.1 s, each swap message 60 s (SPEC 5). */
export const ANSWER_COOLDOWN_MS = {
  bootstrap: 100,
  advertise: 100,
  swapRequest: 60_000,
  swapAck: 60_000,
} as const

type Throttled = keyof typeof ANSWER_COOLDOWN_MS

/**
 * Per-connection rate limit of the layer's messages: a message arriving within its cooldown of
 * the last one of its kind that was handled is dropped (answered at most once per cooldown).
 */
export class AnswerThrottle {
  readonly #last: Record<Throttled, number> = {
    bootstrap: Number.NEGATIVE_INFINITY,
    advertise: Number.NEGATIVE_INFINITY,
    swapRequest: Number.NEGATIVE_INFINITY,
    swapAck: Number.NEGATIVE_INFINITY,
  }

  readonly #clock: Clock

  constructor(clock: Clock = systemClock) {
    this.#clock = clock
  }

  /** Whether a message of `kind` may be handled now; if so, it counts as handled. */
  admit(kind: Throttled): boolean {
    const now = this.#clock.now()
    if (now - this.#last[kind] < ANSWER_COOLDOWN_MS[kind]) return false
    this.#last[kind] = now
    return true
  }
}

/**
 * Reads `connection` until it closes, dispatching each message to `handlers`. Returns when the
 * connection is closed (its reason is on `connection.closeReason`) or the application side
 * stops taking messages (`application` rejects).
 */
export async function runAnswerer<A, C>(
  connection: Connection<A, C>,
  handlers: AnswererHandlers<A>,
  throttle: AnswerThrottle = new AnswerThrottle(),
): Promise<void> {
  for await (const message of connection) {
    switch (message.kind) {
      case 'application':
        try {
          await handlers.application(message.message)
        } catch {
          return
        }
        break
      case 'bootstrap':
        if (throttle.admit('bootstrap')) handlers.bootstrap()
        else handlers.excess?.('bootstrap')
        break
      case 'advertise':
        if (throttle.admit('advertise')) handlers.advertise(message.points)
        else handlers.excess?.('advertise')
        break
      case 'swap_request':
        if (throttle.admit('swapRequest')) handlers.swapRequest(message.point, message.peerId)
        else handlers.excess?.('swap_request')
        break
      case 'swap_ack':
        if (throttle.admit('swapAck')) handlers.swapAck(message.point, message.peerId)
        else handlers.excess?.('swap_ack')
        break
      case 'disconnect':
        // The connection handles Disconnect itself and never returns it.
        break
    }
  }
}
