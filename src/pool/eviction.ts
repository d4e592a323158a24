// Which inbound connection a newcomer may replace when the inbound slots are full, after Bitcoin
// Core's SelectNodeToEvict: protect what an attacker finds costly to fake, then thin the biggest group.

/** An inbound, untrusted connection that could be evicted. */
export interface EvictionCandidate {
  readonly peerId: string
  /** Its network group (see netGroup). */
  readonly group: string
  readonly connectedAt: number
  /** Handshake round trip, ms; undefined: unknown (counts as the slowest). */
  readonly latencyMs: number | undefined
  /** When it last delivered a useful message; undefined: never. */
  readonly lastUsefulAt: number | undefined
  /** Its total score. */
  readonly score: number
}

export interface EvictionRules {
  /** A connection younger than this is never evicted (nor trimmed by the maintenance). */
  readonly graceMs: number
  /** Network groups, picked by a secret keyed hash, whose longest-connected member is kept. */
  readonly protectGroups: number
  /** The lowest-latency connections kept. */
  readonly protectLowLatency: number
  /** The connections that most recently delivered useful messages kept. */
  readonly protectRecentUseful: number
  /** Share (0..1) of the remaining candidates kept, the longest-connected. */
  readonly protectLongestShare: number
}

/** `list` without its first `count` members by `order` (those are protected). */
function protect<T>(list: T[], count: number, order: (a: T, b: T) => number): T[] {
  if (count <= 0 || list.length === 0) return list
  const sorted = [...list].sort(order)
  const kept = new Set(sorted.slice(0, count))
  return list.filter((c) => !kept.has(c))
}

/**
 * The peer id to evict, or undefined when every candidate is protected. In order:
 * 1. connections in their grace period are not candidates;
 * 2. a candidate with a negative score goes first (the lowest);
 * 3. protected: the longest-connected member of `protectGroups` groups chosen by `groupRank`
 *    (a keyed hash the attacker cannot predict), the `protectLowLatency` fastest, the
 *    `protectRecentUseful` most recently useful, then the `protectLongestShare` longest-connected
 *    of those left;
 * 4. among the rest, the group with the most candidates (ties: the one with the youngest member)
 *    loses its youngest member.
 */
export function selectToEvict(
  candidates: readonly EvictionCandidate[],
  rules: EvictionRules,
  now: number,
  groupRank: (group: string) => number,
): string | undefined {
  let list = candidates.filter((c) => now - c.connectedAt >= rules.graceMs)
  if (list.length === 0) return undefined
  let worst: EvictionCandidate | undefined
  for (const c of list) if (c.score < 0 && (worst === undefined || c.score < worst.score)) worst = c
  if (worst) return worst.peerId

  const oldestFirst = (a: EvictionCandidate, b: EvictionCandidate) => a.connectedAt - b.connectedAt
  if (rules.protectGroups > 0) {
    const groups = [...new Set(list.map((c) => c.group))]
      .sort((a, b) => groupRank(a) - groupRank(b))
      .slice(0, rules.protectGroups)
    const kept = new Set(
      groups.flatMap((g) =>
        list
          .filter((c) => c.group === g)
          .sort(oldestFirst)
          .slice(0, 1),
      ),
    )
    list = list.filter((c) => !kept.has(c))
  }
  list = protect(
    list,
    rules.protectLowLatency,
    (a, b) => (a.latencyMs ?? Infinity) - (b.latencyMs ?? Infinity),
  )
  const useful = list.filter((c) => c.lastUsefulAt !== undefined)
  const keptUseful = new Set(
    useful.sort((a, b) => b.lastUsefulAt! - a.lastUsefulAt!).slice(0, rules.protectRecentUseful),
  )
  list = list.filter((c) => !keptUseful.has(c))
  list = protect(list, Math.floor(list.length * rules.protectLongestShare), oldestFirst)
  if (list.length === 0) return undefined

  const byGroup = new Map<string, EvictionCandidate[]>()
  for (const c of list) {
    const members = byGroup.get(c.group)
    if (members) members.push(c)
    else byGroup.set(c.group, [c])
  }
  let loser: EvictionCandidate[] | undefined
  let loserYoungest = Number.NEGATIVE_INFINITY
  for (const members of byGroup.values()) {
    const youngest = Math.max(...members.map((c) => c.connectedAt))
    if (
      loser === undefined ||
      members.length > loser.length ||
      (members.length === loser.length && youngest > loserYoungest)
    ) {
      loser = members
      loserYoungest = youngest
    }
  }
  return loser!.reduce((a, b) => (b.connectedAt > a.connectedAt ? b : a)).peerId
}
