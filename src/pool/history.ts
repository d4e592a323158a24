// The last events of each known point and peer (Octez's P2p_point.Pool_event and
// P2p_peer.Pool_event): bounded rings on the records, read by the /network/…/log routes.

/** Events kept per point and per peer (Octez's log_size). */
export const HISTORY_SIZE = 100

/**
 * What happened at a point (Octez's point events): we dialed it; the handshake reached the
 * metadata and we went on; we refused the peer there (Nack); the dial failed or the peer refused
 * us; the connection went live; we closed it; the peer (or the network) closed it.
 */
export type PointEventKind =
  | 'outgoing_request'
  | 'accepting_request'
  | 'rejecting_request'
  | 'request_rejected'
  | 'connection_established'
  | 'disconnection'
  | 'external_disconnection'

export interface PointEvent {
  readonly kind: PointEventKind
  /** Wall-clock milliseconds. */
  readonly at: number
  /** The peer met there, when known. */
  readonly peerId: string | undefined
  /** Why (a refusal's reason, a dial error, a close reason). */
  readonly detail: string | undefined
}

/** What happened with a peer (Octez's peer events: `incoming_request` is its accepting_request). */
export type PeerEventKind =
  | 'incoming_request'
  | 'rejecting_request'
  | 'request_rejected'
  | 'connection_established'
  | 'disconnection'
  | 'external_disconnection'

export interface PeerEvent {
  readonly kind: PeerEventKind
  readonly at: number
  /** The remote IP address of the connection. */
  readonly address: string
  /** Its listening port, when known. */
  readonly port: number | undefined
  readonly detail: string | undefined
}

/** The last `capacity` events, oldest first; a new one past capacity replaces the oldest. */
export class History<E> {
  readonly #events: E[] = []
  #next = 0

  constructor(readonly capacity = HISTORY_SIZE) {}

  get length(): number {
    return this.#events.length
  }

  push(event: E): void {
    if (this.#events.length < this.capacity) this.#events.push(event)
    else {
      this.#events[this.#next] = event
      this.#next = (this.#next + 1) % this.capacity
    }
  }

  /** The events held, oldest first (a copy). */
  events(): E[] {
    return [...this.#events.slice(this.#next), ...this.#events.slice(0, this.#next)]
  }
}
