// The connection slots (the counters of Octez's p2p_pool): live connections by direction, the
// slots reserved by handshakes about to be accepted, those being evicted, handshakes in flight.
import type { SlotLimits } from './config.js'

/** Connections counted against the limits: live ones not being evicted, plus reserved ones. */
export interface SlotsTaken {
  readonly inbound: number
  readonly total: number
}

/**
 * The slot counters of one pool. A handshake past the admission checks reserves a slot
 * (`reserveOutbound`/`reserveInbound`) and gives it back (`unreserve`) once it is accepted or
 * failed; a live connection holds its slot from `opened` to `closed`. `K` identifies a live
 * connection (the pool's ActiveConnection) being evicted, whose slot is free already.
 */
export class Slots<K> {
  readonly limits: SlotLimits
  #liveInbound = 0
  #liveTotal = 0
  #reservedInbound = 0
  #reservedOutbound = 0
  #outgoingHandshakes = 0
  #refusingHandshakes = 0
  /** Connections being closed to make room, with their direction: no longer counted. */
  readonly #evicting = new Map<K, boolean>()
  #evictingInbound = 0

  constructor(limits: SlotLimits) {
    this.limits = limits
  }

  /** Live inbound connections (evicted ones included until they close). */
  get inbound(): number {
    return this.#liveInbound
  }

  /** Live outbound connections. */
  get outbound(): number {
    return this.#liveTotal - this.#liveInbound
  }

  /** Outgoing handshakes in progress plus incoming ones being answered Nack (busy). */
  get handshakesOutsideTable(): number {
    return this.#outgoingHandshakes + this.#refusingHandshakes
  }

  get reserved(): number {
    return this.#reservedInbound + this.#reservedOutbound
  }

  taken(): SlotsTaken {
    return {
      inbound: this.#liveInbound - this.#evictingInbound + this.#reservedInbound,
      total: this.#liveTotal - this.#evicting.size + this.#reservedInbound + this.#reservedOutbound,
    }
  }

  /** Whether a dial may start: fewer connections than the ceiling. */
  mayDial(): boolean {
    return this.taken().total < this.limits.ceiling
  }

  /** Reserves an outbound slot below the ceiling; false when there is none. */
  reserveOutbound(): boolean {
    if (this.taken().total >= this.limits.ceiling) return false
    this.#reservedOutbound++
    return true
  }

  /** Whether an inbound connection needs another to be evicted first (inbound maximum or ceiling reached). */
  inboundFull(): boolean {
    const taken = this.taken()
    return taken.inbound >= this.limits.maxInbound || taken.total >= this.limits.ceiling
  }

  /** Reserves an inbound slot (after inboundFull, or once a victim is evicting). */
  reserveInbound(): void {
    this.#reservedInbound++
  }

  /** Gives back the slot reserved by a handshake, accepted or failed. */
  unreserve(incoming: boolean): void {
    if (incoming) this.#reservedInbound--
    else this.#reservedOutbound--
  }

  /** A connection became live. */
  opened(incoming: boolean): void {
    this.#liveTotal++
    if (incoming) this.#liveInbound++
  }

  /** A live connection closed. */
  closed(incoming: boolean): void {
    this.#liveTotal--
    if (incoming) this.#liveInbound--
  }

  /** A live connection is being closed to make room: its slot counts as free from now. */
  evict(key: K, incoming: boolean): void {
    if (this.#evicting.has(key)) return
    this.#evicting.set(key, incoming)
    if (incoming) this.#evictingInbound++
  }

  isEvicting(key: K): boolean {
    return this.#evicting.has(key)
  }

  /** An evicted connection finished closing (no-op for others). */
  evicted(key: K): void {
    const incoming = this.#evicting.get(key)
    if (incoming === undefined) return
    this.#evicting.delete(key)
    if (incoming) this.#evictingInbound--
  }

  handshakeStarted(kind: 'outgoing' | 'refusing'): void {
    if (kind === 'outgoing') this.#outgoingHandshakes++
    else this.#refusingHandshakes++
  }

  handshakeEnded(kind: 'outgoing' | 'refusing'): void {
    if (kind === 'outgoing') this.#outgoingHandshakes--
    else this.#refusingHandshakes--
  }
}
