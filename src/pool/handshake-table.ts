// The table of incoming handshakes in progress: bounded, with a share per subnet, and when full
// the pending handshake of the most represented subnet makes room (Bitcoin Core's eviction idea).

import { netGroup } from '../acl/net-group.js'
import { type Clock, systemClock } from '../io/clock.js'

/** How far a pending handshake got: waiting for the peer's connection message, or past it. */
export type HandshakeStage = 'connection_message' | 'authenticating'

/** One incoming handshake in progress. */
export interface PendingHandshakeEntry<S> {
  /** What the pool closes to drop it (its socket). */
  readonly handle: S
  readonly ip: string
  /** The subnet it counts towards (IPv4 /16, IPv6 /32: `netGroup`). */
  readonly group: string
  /** When it entered the table. */
  readonly since: number
  stage: HandshakeStage
}

/**
 * Where a newcomer from a subnet would go: a free slot; the slot of `victim` (the table is
 * full and `victim`'s subnet holds at least two more slots than the newcomer's); or nowhere, because its
 * subnet already holds its share (`share`) or is itself among the most represented (`full`).
 */
export type HandshakePlan<S> =
  | { readonly kind: 'free' }
  | { readonly kind: 'evict'; readonly victim: PendingHandshakeEntry<S> }
  | { readonly kind: 'share' }
  | { readonly kind: 'full' }

/**
 * The incoming handshakes in progress. At most `capacity` at once, at most `perSubnet` of them
 * from one subnet. When the table is full, a newcomer takes the slot of a handshake from the
 * subnet holding the most slots, if it holds at least two more than the newcomer's (no churn
 * between near-equals): the oldest of those still waiting for their connection message (an
 * honest peer sends it at once), else its oldest. So a few subnets cannot hold every slot, however fast they reconnect: a newcomer from
 * another subnet always finds one, and the attackers' sockets push each other out.
 */
export class HandshakeTable<S> {
  readonly capacity: number
  readonly perSubnet: number
  readonly #clock: Clock
  readonly #groups = new Map<string, Set<PendingHandshakeEntry<S>>>()
  #size = 0

  constructor(capacity: number, perSubnet: number, clock: Clock = systemClock) {
    this.capacity = capacity
    this.perSubnet = perSubnet
    this.#clock = clock
  }

  get size(): number {
    return this.#size
  }

  /** Pending handshakes from `ip`'s subnet. */
  heldBy(ip: string): number {
    return this.#groups.get(netGroup(ip))?.size ?? 0
  }

  /** Where a newcomer from `ip` would go (nothing changes; `add` and `remove` do). */
  plan(ip: string): HandshakePlan<S> {
    const held = this.#groups.get(netGroup(ip))?.size ?? 0
    if (held >= this.perSubnet) return { kind: 'share' }
    if (this.#size < this.capacity) return { kind: 'free' }
    let largest: Set<PendingHandshakeEntry<S>> | undefined
    let largestVictim: PendingHandshakeEntry<S> | undefined
    for (const entries of this.#groups.values()) {
      if (largest !== undefined && entries.size < largest.size) continue
      const victim = victimOf(entries)
      // Ties: the group whose victim has waited longest.
      if (largest === undefined || entries.size > largest.size || victim.since < largestVictim!.since) {
        largest = entries
        largestVictim = victim
      }
    }
    if (largest === undefined || largest.size <= held + 1) return { kind: 'full' }
    return { kind: 'evict', victim: largestVictim! }
  }

  /** Counts a new pending handshake (the caller made room first). */
  add(handle: S, ip: string): PendingHandshakeEntry<S> {
    const entry: PendingHandshakeEntry<S> = {
      handle,
      ip,
      group: netGroup(ip),
      since: this.#clock.now(),
      stage: 'connection_message',
    }
    let entries = this.#groups.get(entry.group)
    if (!entries) {
      entries = new Set()
      this.#groups.set(entry.group, entries)
    }
    entries.add(entry)
    this.#size++
    return entry
  }

  /** Forgets a pending handshake (idempotent). */
  remove(entry: PendingHandshakeEntry<S>): void {
    const entries = this.#groups.get(entry.group)
    if (!entries?.delete(entry)) return
    this.#size--
    if (entries.size === 0) this.#groups.delete(entry.group)
  }

  /** Pending handshakes per subnet, the largest first (for logs and tests). */
  bySubnet(): Array<{ readonly subnet: string; readonly count: number }> {
    return [...this.#groups]
      .map(([subnet, entries]) => ({ subnet, count: entries.size }))
      .sort((a, b) => b.count - a.count)
  }
}

/** The entry of a group to drop first: the oldest still silent, else the oldest. */
function victimOf<S>(entries: Set<PendingHandshakeEntry<S>>): PendingHandshakeEntry<S> {
  let silent: PendingHandshakeEntry<S> | undefined
  let oldest: PendingHandshakeEntry<S> | undefined
  for (const e of entries) {
    if (oldest === undefined || e.since < oldest.since) oldest = e
    if (e.stage === 'connection_message' && (silent === undefined || e.since < silent.since)) silent = e
  }
  return silent ?? oldest!
}
