// The pool's table of known points ("host:port" where a node listens): each point's connection
// state and history, bounded by a GC that keeps trusted and recently seen points.
import type { History, PointEvent } from './history.js'

/**
 * `requested`: we are dialing it; `accepted`: the handshake reached the metadata (incoming or
 * outgoing) and waits for the Acks; `running`: a live connection; `disconnected`: none.
 */
export type PointState = 'requested' | 'accepted' | 'running' | 'disconnected'

/** One known point. Times are wall-clock milliseconds. */
export interface PointRecord {
  readonly point: string
  state: PointState
  trusted: boolean
  /** Base58 id of the peer met there last (or being connected). */
  peerId: string | undefined
  lastAttempt: number | undefined
  lastFailure: number | undefined
  lastEstablished: number | undefined
  lastDisconnect: number | undefined
  /** Failed attempts in a row. */
  failures: number
  greylistedUntil: number | undefined
  /** The peer there announced itself private: never advertised. */
  private: boolean
  /** The peer id expected there (pinned: "HOST:PORT#PEER_ID"); another peer answering is refused. */
  expectedPeerId: string | undefined
  /** A named point: the IP address last dialed for it (undefined for IP points). */
  lastAddress: string | undefined
  /** Its last events (created with the first). */
  history?: History<PointEvent>
}

/** When the point was last seen alive (established or disconnected), for the GC's ordering. */
function lastSeen(r: PointRecord): number {
  return Math.max(r.lastEstablished ?? 0, r.lastDisconnect ?? 0, r.lastAttempt ?? 0)
}

export class KnownPoints {
  readonly #records = new Map<string, PointRecord>()

  constructor(
    readonly max: number,
    readonly target: number,
  ) {}

  get size(): number {
    return this.#records.size
  }

  get(point: string): PointRecord | undefined {
    return this.#records.get(point)
  }

  values(): IterableIterator<PointRecord> {
    return this.#records.values()
  }

  /**
   * The record of `point`, created (disconnected) if new; `created` says which. Adding past
   * `max` runs the GC first; if the GC cannot make room (all trusted or busy), the point is
   * not added and undefined is returned.
   */
  register(point: string): { record: PointRecord; created: boolean } | undefined {
    const known = this.#records.get(point)
    if (known) return { record: known, created: false }
    if (this.#records.size >= this.max) {
      this.gc()
      if (this.#records.size >= this.max) return undefined
    }
    const record: PointRecord = {
      point,
      state: 'disconnected',
      trusted: false,
      peerId: undefined,
      lastAttempt: undefined,
      lastFailure: undefined,
      lastEstablished: undefined,
      lastDisconnect: undefined,
      failures: 0,
      greylistedUntil: undefined,
      private: false,
      expectedPeerId: undefined,
      lastAddress: undefined,
    }
    this.#records.set(point, record)
    return { record, created: true }
  }

  /** Forgets a point. */
  delete(point: string): boolean {
    return this.#records.delete(point)
  }

  /** Puts a saved record back (state disconnected). */
  restore(record: PointRecord): void {
    this.#records.set(record.point, { ...record, state: 'disconnected' })
  }

  /**
   * Forgets disconnected, untrusted points, least recently seen first, until `target` remain
   * (or none is removable); returns how many went.
   */
  gc(): number {
    const excess = this.#records.size - this.target
    if (excess <= 0) return 0
    const removable = [...this.#records.values()]
      .filter((r) => r.state === 'disconnected' && !r.trusted)
      .sort((a, b) => lastSeen(a) - lastSeen(b))
      .slice(0, excess)
    for (const r of removable) this.#records.delete(r.point)
    return removable.length
  }

  /** Marks a dial starting. */
  requested(r: PointRecord, now: number): void {
    r.state = 'requested'
    r.lastAttempt = now
  }

  /** The handshake reached the metadata with `peerId` at this point. */
  accepted(r: PointRecord, peerId: string): void {
    r.state = 'accepted'
    r.peerId = peerId
  }

  running(r: PointRecord, peerId: string, now: number): void {
    r.state = 'running'
    r.peerId = peerId
    r.lastEstablished = now
    r.failures = 0
  }

  /** A dial or handshake failed. */
  failed(r: PointRecord, now: number): void {
    r.state = 'disconnected'
    r.lastFailure = now
    r.failures++
  }

  /** A live connection ended. */
  disconnected(r: PointRecord, now: number): void {
    r.state = 'disconnected'
    r.lastDisconnect = now
  }
}
