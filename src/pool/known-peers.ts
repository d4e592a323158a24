// The pool's table of known peers (by base58 peer id): connection state, the application's
// metadata and score, where each was seen; bounded by a GC that keeps trusted and recent peers.
import type { History, PeerEvent } from './history.js'

/** `accepted`: a handshake with it reached the metadata and waits for the Acks; `running`: connected. */
export type PeerState = 'accepted' | 'running' | 'disconnected'

/** One known peer. `P` is the application's peer metadata. Times are wall-clock milliseconds. */

export interface PeerRecord<P> {
  readonly peerId: string
  state: PeerState
  trusted: boolean
  metadata: P
  lastSeen: number | undefined
  /** Points (listening addresses) where the peer was met, oldest first. */
  readonly points: Set<string>
  /** Its last events (created with the first). */
  history?: History<PeerEvent>
}

/** Points remembered per peer; the oldest drop out. */
const MAX_POINTS_PER_PEER = 16

export class KnownPeers<P> {
  readonly #records = new Map<string, PeerRecord<P>>()

  constructor(
    readonly max: number,
    readonly target: number,
    readonly initialMetadata: () => P,
  ) {}

  get size(): number {
    return this.#records.size
  }

  get(peerId: string): PeerRecord<P> | undefined {
    return this.#records.get(peerId)
  }

  values(): IterableIterator<PeerRecord<P>> {
    return this.#records.values()
  }

  /** The record of `peerId`, created (disconnected, initial metadata) if new, running the GC past `max`. */
  register(peerId: string): { record: PeerRecord<P>; created: boolean } {
    const known = this.#records.get(peerId)
    if (known) return { record: known, created: false }
    if (this.#records.size >= this.max) this.gc()
    const record: PeerRecord<P> = {
      peerId,
      state: 'disconnected',
      trusted: false,
      metadata: this.initialMetadata(),
      lastSeen: undefined,
      points: new Set(),
    }
    this.#records.set(peerId, record)
    return { record, created: true }
  }

  /** Puts a saved record back (state disconnected). */
  delete(peerId: string): boolean {
    return this.#records.delete(peerId)
  }

  restore(record: PeerRecord<P>): void {
    this.#records.set(record.peerId, { ...record, state: 'disconnected' })
  }

  /** Records that the peer was met at `point` (a listening point). */
  seenAt(r: PeerRecord<P>, point: string): void {
    r.points.delete(point)
    r.points.add(point)
    if (r.points.size > MAX_POINTS_PER_PEER) r.points.delete(r.points.values().next().value as string)
  }

  /**
   * Forgets disconnected, untrusted peers, least recently seen first, until `target` remain
   * (or none is removable); returns how many went.
   */
  gc(): number {
    const excess = this.#records.size - this.target
    if (excess <= 0) return 0
    const removable = [...this.#records.values()]
      .filter((r) => r.state === 'disconnected' && !r.trusted)
      .sort((a, b) => (a.lastSeen ?? 0) - (b.lastSeen ?? 0))
      .slice(0, excess)
    for (const r of removable) this.#records.delete(r.peerId)
    return removable.length
  }
}
