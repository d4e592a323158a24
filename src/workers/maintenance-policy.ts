// The maintenance worker's decisions as pure functions: its bounds, which points to dial (diverse
// networks first), which connections to drop (low scores first, never young ones or the outbound minimum), the backoff.

import { type NetGroupPrefixes, netGroup, pointHost } from '../acl/net-group.js'
import { type BackoffConfig, nextAttemptAt, type PointHistory } from '../pool/backoff.js'

/** A known point as the maintenance sees it (the pool's PointInfo has these fields). */
export interface KnownPointView extends PointHistory {
  /** `"a.b.c.d:port"` or `"[ipv6]:port"`. */
  readonly point: string
  readonly trusted: boolean
  readonly state: 'disconnected' | 'requested' | 'accepted' | 'running'
  readonly lastAttempt?: number | undefined
  /** Banned by the administrator (itself or its IP); trusted points are dialed only if the pool says not banned. */
  readonly banned: boolean
  /** Its IP is greylisted. */
  readonly greylisted: boolean
}

/** A live connection as the maintenance sees it. */
export interface ConnectionView {
  readonly peerId: string
  /** The peer's listening point, if known. */
  readonly point?: string | undefined
  /** Remote IP address of the socket. */
  readonly remoteAddress: string
  /** The peer, its point or its IP is trusted: never dropped by the maintenance. */
  readonly trusted: boolean
  /** The peer's score (higher is better). */
  readonly score: number
  /** The peer dialed us; undefined counts as outbound. */
  readonly incoming?: boolean | undefined
  /** When the connection became live (the worker's clock); undefined: long ago. */
  readonly connectedAt?: number | undefined
}

/** What candidate choice looks at. */
export interface CandidateView {
  readonly points: ReadonlyArray<KnownPointView>
  readonly connections: ReadonlyArray<ConnectionView>
  /** Points being dialed now: not candidates, but they count in their network group. */
  readonly dialing: ReadonlySet<string>
  /** Points not to dial again (already tried in this step). */
  readonly exclude: ReadonlySet<string>
  readonly now: number
}

/** Whether `p` may be dialed now. */
function isEligible(
  p: KnownPointView,
  view: CandidateView,
  connected: ReadonlySet<string>,
  backoff: BackoffConfig,
) {
  return (
    p.state === 'disconnected' &&
    !p.banned &&
    !p.greylisted &&
    !view.exclude.has(p.point) &&
    !view.dialing.has(p.point) &&
    !connected.has(p.point) &&
    nextAttemptAt(p, view.now, backoff) <= view.now
  )
}

/** Trusted first, then the oldest last attempt (never tried: oldest), then by point for determinism. */
function byPreference(a: KnownPointView, b: KnownPointView): number {
  if (a.trusted !== b.trusted) return a.trusted ? -1 : 1
  const attemptA = a.lastAttempt ?? Number.NEGATIVE_INFINITY
  const attemptB = b.lastAttempt ?? Number.NEGATIVE_INFINITY
  if (attemptA !== attemptB) return attemptA < attemptB ? -1 : 1
  return a.point < b.point ? -1 : a.point > b.point ? 1 : 0
}

/**
 * Up to `count` points to dial, best first. Eligible: disconnected, not banned, not greylisted,
 * not excluded or being dialed, not the point of a live connection, and past its backoff
 * (`nextAttemptAt`). Order: trusted points first; then points in the network groups (IPv4 /16,
 * IPv6 /32 by default) holding the fewest of our connections, dials in progress and points
 * already chosen — so groups we have no connection to come first and no group can fill every
 * slot (eclipse resistance); among equals, the oldest last attempt first.
 */
export function chooseCandidates(
  view: CandidateView,
  count: number,
  backoff: BackoffConfig,
  prefixes: NetGroupPrefixes,
): KnownPointView[] {
  const connected = new Set<string>()
  const groupLoad = new Map<string, number>()
  const addLoad = (group: string) => groupLoad.set(group, (groupLoad.get(group) ?? 0) + 1)
  for (const c of view.connections) {
    if (c.point !== undefined) connected.add(c.point)
    addLoad(netGroup(c.remoteAddress, prefixes))
  }
  for (const point of view.dialing) addLoad(netGroup(pointHost(point), prefixes))

  // Eligible points by group, each group's list in order of preference (its head is its best).
  const groups = new Map<string, KnownPointView[]>()
  for (const p of view.points) {
    if (!isEligible(p, view, connected, backoff)) continue
    const group = netGroup(pointHost(p.point), prefixes)
    const members = groups.get(group)
    if (members) members.push(p)
    else groups.set(group, [p])
  }
  const queues = [...groups].map(([group, members]) => ({
    group,
    members: members.sort(byPreference),
    next: 0,
  }))

  const chosen: KnownPointView[] = []
  while (chosen.length < count) {
    // The queue whose next member comes first, and that member (an exhausted queue has none).
    let best: { queue: (typeof queues)[number]; head: (typeof queues)[number]['members'][number] } | undefined
    for (const queue of queues) {
      const head = queue.members[queue.next]
      if (head === undefined) continue
      if (best === undefined) {
        best = { queue, head }
        continue
      }
      if (head.trusted !== best.head.trusted) {
        if (head.trusted) best = { queue, head }
        continue
      }
      const load = groupLoad.get(queue.group) ?? 0
      const bestLoad = groupLoad.get(best.queue.group) ?? 0
      if (load < bestLoad || (load === bestLoad && byPreference(head, best.head) < 0)) best = { queue, head }
    }
    if (best === undefined) break
    chosen.push(best.head)
    best.queue.next++
    addLoad(best.queue.group)
  }
  return chosen
}

/** Which connections the maintenance may drop, and how it picks them. */
export interface VictimPolicy {
  /** The best-scored untrusted connections never dropped by the maintenance (default 4). */
  readonly protectedBest: number
  /**
   * Chance, in (0, 1], that each pick takes the lowest-scored remaining connection; otherwise
   * it moves on to the next lowest with the same chance, and so on (1: strictly lowest first).
   * The randomness keeps an attacker from predicting which connections survive (default 0.5).
   */
  readonly lowestScoreBias: number
  /** Connections younger than this are never dropped, ms (default 0). */
  readonly graceMs?: number
  /** Outbound connections are never dropped below this many (default 0). */
  readonly minOutbound?: number
}

/** A score usable for ordering: NaN counts as the lowest. */
function orderedScore(c: ConnectionView): number {
  return Number.isNaN(c.score) ? Number.NEGATIVE_INFINITY : c.score
}

/**
 * Up to `count` connections to drop. Trusted connections, those younger than `graceMs` (at
 * `now`) and the `protectedBest` best-scored others are never chosen, nor an outbound one that
 * would leave fewer than `minOutbound`; the rest go lowest score first, with the randomness of
 * `lowestScoreBias` drawn from `random` (uniform in [0, 1), e.g. Math.random or a seeded RNG).
 */
export function chooseVictims(
  connections: ReadonlyArray<ConnectionView>,
  count: number,
  policy: VictimPolicy,
  random: () => number,
  now = 0,
): ConnectionView[] {
  const graceMs = policy.graceMs ?? 0
  const ranked = connections
    .filter((c) => !c.trusted && !(c.connectedAt !== undefined && now - c.connectedAt < graceMs))
    .sort((a, b) => orderedScore(a) - orderedScore(b) || 0)
  const droppable = ranked.slice(0, Math.max(0, ranked.length - policy.protectedBest))
  let outbound = connections.filter((c) => c.incoming !== true).length
  const minOutbound = policy.minOutbound ?? 0
  const victims: ConnectionView[] = []
  while (victims.length < count && droppable.length > 0) {
    let i = 0
    while (i < droppable.length - 1 && random() >= policy.lowestScoreBias) i++
    const [victim] = droppable.splice(i, 1)
    if (victim === undefined) break // i < droppable.length: never
    if (victim.incoming === true) victims.push(victim)
    else if (outbound > minOutbound) {
      victims.push(victim)
      outbound--
    }
  }
  return victims
}
