// Discovery over live connections (Octez's default answerer): Bootstrap is answered with known
// points, Advertise teaches points, and Swap_request/Swap_ack trade one connection for another.

import { peerIdFromB58 } from '../crypto/index.js'
import type { Clock } from '../io/clock.js'
import { pointWireError } from '../wire/index.js'
import type { AnswererHandlers } from './answerer.js'
import type { P2pConfig } from './config.js'
import type { KnownPoints } from './known-points.js'
import type { ScoreComponent } from './peer-score.js'
import { isNamedPoint } from './point-address.js'
import { canonicalPoint } from './point-text.js'
import {
  type ActiveConnection,
  ALTERNATIVE_POINTS,
  type SwapEvent,
  type SwapIgnoredReason,
} from './pool-types.js'

/** What discovery needs of the pool (which implements it): the tables, connect and disconnect, scores. */
export interface DiscoveryHost<A, C> {
  readonly config: Pick<P2pConfig, 'privateMode' | 'swapLingerMs' | 'identity'>
  /** The known points (a proposed point's state). */
  readonly points: Pick<KnownPoints, 'get'>
  readonly clock: Pick<Clock, 'now'>
  active(): Iterable<ActiveConnection<A, C>>
  find(peerId: string): ActiveConnection<A, C> | undefined
  findByPoint(point: string): ActiveConnection<A, C> | undefined
  knownGoodPoints(limit: number, exclude?: string): string[]
  mayLearn(point: string): boolean
  registerPoints(points: readonly string[], source: string | undefined): number
  penalize(peerId: string, component: ScoreComponent): void
  pushApplication(peerId: string, message: A): Promise<void>
  connect(point: string): Promise<unknown>
  disconnect(peerId: string): Promise<void>
  emit(event: 'swap', swap: SwapEvent): boolean
}

export class Discovery<A, C> {
  readonly #pool: DiscoveryHost<A, C>
  /** When we last took part in a swap (sent a request or acted on one), and last completed one. */
  #latestAcceptedSwap = Number.NEGATIVE_INFINITY
  #latestSuccessfulSwap = Number.NEGATIVE_INFINITY

  constructor(pool: DiscoveryHost<A, C>) {
    this.#pool = pool
  }

  /** The answerer's handlers for one connection. A private node ignores every discovery message. */
  handlersFor(active: ActiveConnection<A, C>): AnswererHandlers<A> {
    const pool = this.#pool
    return {
      application: (message) => pool.pushApplication(active.peerId, message),
      bootstrap: () => {
        if (!pool.config.privateMode) this.#answerBootstrap(active)
      },
      advertise: (points) => {
        if (pool.config.privateMode) return
        pool.registerPoints(points, active.peerId)
        // A point that is not printable ASCII is junk no honest node sends: dropped, and counted.
        if (points.some((p) => pointWireError(p) !== undefined)) pool.penalize(active.peerId, 'invalid')
      },
      swapRequest: (point, peerId) => {
        if (!pool.config.privateMode) this.#onSwapRequest(active, point, peerId)
      },
      swapAck: (point) => {
        if (!pool.config.privateMode) this.#onSwapAck(active, point)
      },
    }
  }

  /** Sends Bootstrap to every live connection; returns how many took it. */
  sendBootstrap(): number {
    let sent = 0
    for (const active of this.#pool.active()) if (active.connection.trySend({ kind: 'bootstrap' })) sent++
    return sent
  }

  /**
   * Sends Swap_request to the connection `to` (random by default), proposing the listening
   * point of the connected peer `propose` (random, public, other than `to`, by default).
   */
  sendSwapRequest(options: { to?: string; propose?: string }): boolean {
    const pool = this.#pool
    if (pool.config.privateMode) return false
    const recipient = options.to !== undefined ? pool.find(options.to) : pick([...pool.active()])
    if (!recipient) return false
    const proposed = options.propose !== undefined ? pool.find(options.propose) : this.#randomAddr(recipient)
    if (!proposed || proposed.point === undefined || proposed === recipient) return false
    const now = pool.clock.now()
    const sent = recipient.connection.trySend({
      kind: 'swap_request',
      point: proposed.point,
      peerId: peerIdFromB58(proposed.peerId),
    })
    if (!sent) return false
    this.#latestAcceptedSwap = now
    recipient.sentSwapRequest = { at: now, proposedPeerId: proposed.peerId }
    pool.emit('swap', { outcome: 'request_sent', peerId: recipient.peerId, point: proposed.point })
    return true
  }

  #answerBootstrap(active: ActiveConnection<A, C>): void {
    if (active.private) return // Octez does not answer private nodes
    const points = this.#pool.knownGoodPoints(ALTERNATIVE_POINTS, active.point)
    if (points.length > 0) active.connection.trySend({ kind: 'advertise', points })
  }

  /**
   * The peer proposes `pointText` (a peer it is connected to). Unless we swapped within
   * swap_linger or already deal with that point, we propose one of ours back (Swap_ack), dial
   * the proposed point and, once connected, drop the peer we proposed.
   */
  #onSwapRequest(source: ActiveConnection<A, C>, pointText: string, peerId: Buffer): void {
    const pool = this.#pool
    const swap = this.#answerSwapRequest(source, pointText, peerId)
    if (typeof swap === 'string') {
      pool.emit('swap', { outcome: 'ignored', peerId: source.peerId, point: pointText, reason: swap })
      if (swap === 'bad_point') pool.penalize(source.peerId, 'violation')
      return
    }
    pool.emit('swap', { outcome: 'ack_sent', peerId: source.peerId, point: swap.proposed.point! })
    void this.#swap(source.peerId, swap.proposed.peerId, swap.point)
  }

  /** Sends Swap_ack if the request is to be honoured: returns the point to dial and the peer proposed back, or why not. */
  #answerSwapRequest(
    source: ActiveConnection<A, C>,
    pointText: string,
    peerId: Buffer,
  ): { point: string; proposed: ActiveConnection<A, C> } | SwapIgnoredReason {
    const pool = this.#pool
    const point = canonicalPoint(pointText)
    if (point === undefined) return 'bad_point'
    if (!pool.mayLearn(point)) return 'unroutable'
    const sinceLastSwap = pool.clock.now() - Math.max(this.#latestAcceptedSwap, this.#latestSuccessfulSwap)
    if (sinceLastSwap < pool.config.swapLingerMs) return 'linger'
    if (peerId.equals(pool.config.identity.peerId)) return 'bad_point'
    const known = pool.points.get(point)
    if (known !== undefined && known.state !== 'disconnected') return 'point_busy'
    const proposed = this.#randomAddr(source)
    if (proposed?.point === undefined) return 'no_candidate'
    const acked = source.connection.trySend({
      kind: 'swap_ack',
      point: proposed.point,
      peerId: peerIdFromB58(proposed.peerId),
    })
    return acked ? { point, proposed } : 'queue_full'
  }

  /** The answer to our Swap_request: dial the point it proposes, then drop the peer we proposed. */
  #onSwapAck(source: ActiveConnection<A, C>, pointText: string): void {
    const pool = this.#pool
    const sent = source.sentSwapRequest
    const point = canonicalPoint(pointText)
    let reason: SwapIgnoredReason | undefined
    if (!sent) reason = 'not_requested'
    else if (point === undefined) reason = 'bad_point'
    else if (!pool.mayLearn(point)) reason = 'unroutable'
    else if (pool.findByPoint(point) !== undefined) reason = 'point_busy'
    if (reason !== undefined || !sent || point === undefined) {
      pool.emit('swap', { outcome: 'ignored', peerId: source.peerId, point: pointText, reason })
      // An unrequested or malformed Swap_ack breaks the protocol (a busy point does not).
      if (reason === 'not_requested' || reason === 'bad_point') pool.penalize(source.peerId, 'violation')
      return
    }
    source.sentSwapRequest = undefined
    void this.#swap(source.peerId, sent.proposedPeerId, point)
  }

  async #swap(sourcePeerId: string, replacedPeerId: string, newPoint: string): Promise<void> {
    const pool = this.#pool
    // The linger runs from here whatever the dial's outcome: a failed dial must not let the
    // next request in (one Swap_ack, one dial and one disclosed peer per swapLingerMs).
    this.#latestAcceptedSwap = pool.clock.now()
    try {
      await pool.connect(newPoint)
    } catch {
      pool.emit('swap', { outcome: 'failed', peerId: sourcePeerId, point: newPoint })
      return
    }
    this.#latestSuccessfulSwap = pool.clock.now()
    pool.emit('swap', { outcome: 'succeeded', peerId: sourcePeerId, point: newPoint })
    await pool.disconnect(replacedPeerId)
  }

  /** A random live connection other than `other`, with a known listening IP point (names stay ours), not private. */
  #randomAddr(other: ActiveConnection<A, C>): ActiveConnection<A, C> | undefined {
    return pick(
      [...this.#pool.active()].filter(
        (a) => a !== other && !a.private && a.point !== undefined && !isNamedPoint(a.point),
      ),
    )
  }
}

function pick<T>(items: readonly T[]): T | undefined {
  return items.length === 0 ? undefined : items[Math.floor(Math.random() * items.length)]
}
