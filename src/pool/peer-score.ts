// Peer scores after gossipsub's: per peer id, counters of observed behaviour that decay each at its
// own half-life, weighted and summed with the application's score; kept a while after disconnect.
import { type Clock, systemClock } from '../io/clock.js'

/** The behaviour counters a score is built from. */
export const SCORE_COMPONENTS = [
  'uptime',
  'useful',
  'invalid',
  'oversized',
  'violation',
  'handshakeFailure',
] as const

/**
 * `uptime`: seconds connected; `useful`: useful application messages the peer delivered first
 * (reported by the application); `invalid`: messages invalid for the application or the wire;
 * `oversized`: messages over their size bound; `violation`: protocol violations (MAC errors,
 * unrequested or malformed swaps); `handshakeFailure`: failed handshakes once its id was known.
 */
export type ScoreComponent = (typeof SCORE_COMPONENTS)[number]

/** How one counter counts: contribution = weight · min(counter, cap); the counter halves every halfLifeMs. */
export interface ComponentRule {
  readonly weight: number
  readonly halfLifeMs: number
  readonly cap: number
}

export interface ScoreRules {
  readonly components: Readonly<Record<ScoreComponent, ComponentRule>>
  /** How long a disconnected peer's counters are kept (a reconnection finds them). */
  readonly retainMs: number
  /** A peer whose total falls below this is disconnected and greylisted (trusted peers excepted). */
  readonly disconnectBelow: number
  /** Records kept at most; past it, the disconnected peers gone longest are forgotten first. */
  readonly maxRecords: number
}

/** A score and how it is made, for the admin API. */
export interface ScoreDetail {
  /** `application` plus every component's contribution. */
  readonly total: number
  /** The application's score of the peer's metadata. */
  readonly application: number
  readonly components: Readonly<
    Record<ScoreComponent, { readonly value: number; readonly weight: number; readonly contribution: number }>
  >
}

interface ScoreRecord {
  /** Counter values as of `at`, in SCORE_COMPONENTS order. */
  readonly values: Float64Array
  at: number
  connected: boolean
  disconnectedAt: number | undefined
  lastUsefulAt: number | undefined
}

const UPTIME = SCORE_COMPONENTS.indexOf('uptime')
const COMPONENT_INDEX = new Map(SCORE_COMPONENTS.map((c, i) => [c, i] as const))

/**
 * The score table. Decay is computed lazily from each record's timestamp (no timers): a counter
 * `v` becomes `v·2^(−Δ/halfLife)`; while connected, uptime grows by the closed form of
 * `dv/dt = 1 − λv` (seconds). Records of disconnected peers go `retainMs` after the disconnection
 * (or earlier when the table is over `maxRecords`).
 */
export class PeerScores {
  readonly rules: ScoreRules
  readonly #clock: Clock
  readonly #records = new Map<string, ScoreRecord>()
  /** Per component: decay rate per ms (ln 2 / half-life). */
  readonly #rates: Float64Array
  readonly #weights: Float64Array
  readonly #caps: Float64Array

  constructor(rules: ScoreRules, clock: Clock = systemClock) {
    this.rules = rules
    this.#clock = clock
    this.#rates = Float64Array.from(SCORE_COMPONENTS, (c) => Math.LN2 / rules.components[c].halfLifeMs)
    this.#weights = Float64Array.from(SCORE_COMPONENTS, (c) => rules.components[c].weight)
    this.#caps = Float64Array.from(SCORE_COMPONENTS, (c) => rules.components[c].cap)
  }

  /** Records held (connected peers and retained ones). */
  get size(): number {
    return this.#records.size
  }

  has(peerId: string): boolean {
    return this.#expire(peerId) !== undefined
  }

  /** The peer is connected: uptime starts counting. */
  connected(peerId: string): void {
    const r = this.#ensure(peerId)
    this.#advance(r)
    r.connected = true
    r.disconnectedAt = undefined
  }

  /** The peer disconnected: uptime stops, the retention period starts. */
  disconnected(peerId: string): void {
    const r = this.#records.get(peerId)
    if (!r) return
    this.#advance(r)
    r.connected = false
    r.disconnectedAt = r.at
  }

  /** Adds `amount` to a counter (at most its cap); returns the peer's behaviour score after it. */
  add(peerId: string, component: ScoreComponent, amount = 1): number {
    const r = this.#ensure(peerId)
    this.#advance(r)
    const i = COMPONENT_INDEX.get(component)!
    // Every Float64Array here has one slot per component: the `?? 0` never applies.
    r.values[i] = Math.min(this.#caps[i] ?? 0, (r.values[i] ?? 0) + amount)
    if (component === 'useful') r.lastUsefulAt = r.at
    return this.#sum(r)
  }

  /** Sum of the weighted counters (0 for an unknown peer): the score without the application's part. */
  behaviour(peerId: string): number {
    const r = this.#expire(peerId)
    if (!r) return 0
    this.#advance(r)
    return this.#sum(r)
  }

  /** When the peer last delivered a useful message (as reported), if it did while its record was kept. */
  lastUsefulAt(peerId: string): number | undefined {
    return this.#expire(peerId)?.lastUsefulAt
  }

  /** The score with its parts, `application` being the application's score of the peer's metadata. */
  detail(peerId: string, application: number): ScoreDetail {
    const r = this.#expire(peerId)
    if (r) this.#advance(r)
    let total = application
    const components = {} as Record<ScoreComponent, { value: number; weight: number; contribution: number }>
    SCORE_COMPONENTS.forEach((c, i) => {
      const value = r?.values[i] ?? 0
      const weight = this.#weights[i] ?? 0
      const contribution = weight * value
      total += contribution
      components[c] = { value, weight, contribution }
    })
    return { total, application, components }
  }

  /** Forgets records whose retention ended; returns how many went. */
  gc(): number {
    const now = this.#clock.now()
    let removed = 0
    for (const [peerId, r] of this.#records) {
      if (this.#retentionOver(r, now)) {
        this.#records.delete(peerId)
        removed++
      }
    }
    return removed
  }

  #retentionOver(r: ScoreRecord, now: number): boolean {
    return !r.connected && r.disconnectedAt !== undefined && now - r.disconnectedAt >= this.rules.retainMs
  }

  /** The record, unless its retention ended (then it is removed). */
  #expire(peerId: string): ScoreRecord | undefined {
    const r = this.#records.get(peerId)
    if (r && this.#retentionOver(r, this.#clock.now())) {
      this.#records.delete(peerId)
      return undefined
    }
    return r
  }

  #ensure(peerId: string): ScoreRecord {
    const known = this.#expire(peerId)
    if (known) return known
    if (this.#records.size >= this.rules.maxRecords && this.gc() === 0) this.#dropOldestDisconnected()
    const at = this.#clock.now()
    // A record made for a peer not connected (a failed handshake) is retained from now on.
    const r: ScoreRecord = {
      values: new Float64Array(SCORE_COMPONENTS.length),
      at,
      connected: false,
      disconnectedAt: at,
      lastUsefulAt: undefined,
    }
    this.#records.set(peerId, r)
    return r
  }

  #dropOldestDisconnected(): void {
    let oldest: [string, number] | undefined
    for (const [peerId, r] of this.#records) {
      if (r.connected || r.disconnectedAt === undefined) continue
      if (oldest === undefined || r.disconnectedAt < oldest[1]) oldest = [peerId, r.disconnectedAt]
    }
    if (oldest) this.#records.delete(oldest[0])
  }

  /** Brings the counters to now. */
  #advance(r: ScoreRecord): void {
    const now = this.#clock.now()
    const elapsed = now - r.at
    if (elapsed <= 0) return
    for (let i = 0; i < r.values.length; i++) {
      const rate = this.#rates[i] ?? 0
      const kept = Math.exp(-rate * elapsed)
      let v = (r.values[i] ?? 0) * kept
      // While connected, uptime gains 1 per second, decaying as it goes: ∫ e^(−λs) ds over the elapsed ms.
      if (i === UPTIME && r.connected) v += (1 - kept) / rate / 1000
      r.values[i] = Math.min(this.#caps[i] ?? 0, v)
    }
    r.at = now
  }

  #sum(r: ScoreRecord): number {
    let total = 0
    for (const [i, value] of r.values.entries()) total += (this.#weights[i] ?? 0) * value
    return total
  }
}
