// The admin RPC's JSON shapes (docs/RPC.md): the library's connection, peer, point, ACL and
// statistics records turned into snake_case objects with null for "never"; the admin client reads them.

import type { P2p } from '../p2p.js'
import type { ConnectionInfo, PeerInfo, PeerState, PointInfo, PointState } from '../pool/index.js'
// The only value imported (no other module is loaded), so the admin client may import this one.
import {
  type ComponentRule,
  SCORE_COMPONENTS,
  type ScoreComponent,
  type ScoreDetail,
} from '../pool/peer-score.js'
import type { SlotCounts } from '../pool/pool.js'
import type { ObservedHead, ObservedHeads } from '../shell/observer.js'
import type { StepReport } from '../workers/maintenance.js'

export interface FlowJson {
  total_sent: number
  total_recv: number
  current_inflow: number
  current_outflow: number
}

/** Connections by direction, handshakes in flight, and their limits in effect. */
export interface SlotsJson {
  ceiling: number
  min_outbound: number
  max_inbound: number
  inbound: number
  outbound: number
  handshakes: number
  max_handshakes: number
}

export interface StatJson extends FlowJson {
  connections: number
  incoming_handshakes: number
  known_points: number
  known_peers: number
  peer_id: string
  uptime_ms: number
  slots: SlotsJson
}

/** A name in snake_case: `handshakeFailure` -> `handshake_failure`. */
type SnakeCase<S extends string> = S extends `${infer C}${infer Rest}`
  ? `${C extends Lowercase<C> ? C : `_${Lowercase<C>}`}${SnakeCase<Rest>}`
  : S

/** `handshakeFailure` -> `handshake_failure`. */
const snake = <S extends string>(name: S): SnakeCase<S> =>
  name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) as SnakeCase<S>

/** A score component's name in the RPC (`handshakeFailure` is `handshake_failure`). */
export type ScoreComponentJson = SnakeCase<ScoreComponent>

/** The score components by their RPC names, in the library's order. */
export const SCORE_COMPONENTS_JSON: readonly ScoreComponentJson[] = SCORE_COMPONENTS.map(snake)

/** How a component counts: contribution = weight · min(counter, cap); the counter halves every half_life_ms. */
export interface ScoreRuleJson {
  weight: number
  half_life_ms: number
  cap: number
}

/** A score: total = application + the components' contributions (weight × value). */
export interface ScoreDetailJson {
  total: number
  application: number
  components: Record<ScoreComponentJson, { value: number; weight: number; contribution: number }>
}

export interface ScoreThresholdsJson {
  disconnect_below: number
  retain_ms: number
  max_records: number
}

export interface ScoresJson {
  thresholds: ScoreThresholdsJson
  rules: Record<ScoreComponentJson, ScoreRuleJson>
  /** Lowest total first. */
  peers: { peer_id: string; state: PeerState; trusted: boolean; score_detail: ScoreDetailJson }[]
}

export interface AddressLimitJson {
  ipv4_bits: number
  ipv6_bits: number
  max_connections: number
  new_per_minute: number
}

export interface AdmissionJson {
  slots: SlotsJson
  admission: {
    per_address: AddressLimitJson
    per_subnet: AddressLimitJson
    exempt: string[]
    max_handshakes_in_flight: number
  }
  eviction: {
    grace_ms: number
    protect_groups: number
    protect_low_latency: number
    protect_recent_useful: number
    protect_longest_share: number
  }
}

export interface ConnectionJson {
  peer_id: string
  point: string | null
  remote_addr: string
  remote_port: number
  incoming: boolean
  private: boolean
  trusted: boolean
  score: number
  connected_at: number
  latency_ms: number
  version: { chain_name: string; distributed_db_version: number; p2p_version: number }
  stats: FlowJson
}

export interface PeerJson {
  peer_id: string
  state: PeerState
  trusted: boolean
  banned: boolean
  greylisted: boolean
  score: number
  score_detail: ScoreDetailJson
  last_seen: number | null
  points: string[]
  /** The head the peer announced last; only when the node runs the observer (null: none yet). */
  head?: PeerHeadJson | null
}

/** A peer's announced head (the observer's record), as /network/peers shows it. */
export interface PeerHeadJson {
  level: number
  block_hash: string
  predecessor: string
  /** The block's time, RFC 3339. */
  timestamp: string
  /** Hex, one string per element. */
  fitness: string[]
  proto: number
  chain_id: string
  /** 'current_head' or 'current_branch': the message it came in. */
  source: string
  /** When we received it, ms since the epoch. */
  received_at: number
  chain_name: string
  distributed_db_version: number
  p2p_version: number
}

export interface PointJson {
  point: string
  state: PointState
  trusted: boolean
  banned: boolean
  greylisted: boolean
  peer_id: string | null
  last_attempt: number | null
  last_failure: number | null
  last_established: number | null
  last_disconnect: number | null
  failures: number
  greylisted_until: number | null
  next_attempt_at: number
  /** The peer id pinned at this point (another one is refused), or null. */
  expected_peer_id: string | null
  /** A point named by DNS name: the IP address last dialed for it, or null. */
  last_address: string | null
}

/** The answer of PATCH /network/peers/:peer_id for a peer the node does not know. */
export interface PeerAclJson {
  peer_id: string
  banned: boolean
  trusted: boolean
}

/** The answer of PATCH /network/points/:point (a point, an IP or a CIDR prefix). */
export interface PointAclJson {
  point: string
  banned: boolean
  trusted: boolean
}

export interface GreylistJson {
  ips: { ip: string; until: number; reason: string }[]
  /** Points greylisted instead of their IP (nodes sharing an IP exempt from the admission limits). */
  points?: { point: string; until: number; reason: string }[]
  peers: { peer_id: string; until: number; reason: string }[]
}

export interface AclJson {
  banned_ips: string[]
  banned_points: string[]
  banned_peers: string[]
  trusted_ips: string[]
  trusted_points: string[]
  trusted_peers: string[]
  greylist: GreylistJson
}

/** A P2p instance of any application, as the RPC reads it. */
// biome-ignore lint/suspicious/noExplicitAny: the RPC serves any application's messages and metadata
export type AnyP2p = P2p<any, any, any>

const orNull = <T>(v: T | undefined): T | null => (v === undefined ? null : v)

/** An object's keys in snake_case, its values mapped by `value`. */
function snakeKeys<K extends string, V, W>(
  record: Readonly<Record<K, V>>,
  keys: readonly K[],
  value: (v: V) => W,
): Record<SnakeCase<K>, W> {
  return Object.fromEntries(keys.map((k) => [snake(k), value(record[k])])) as Record<SnakeCase<K>, W>
}

export function slotsJson(s: SlotCounts): SlotsJson {
  return {
    ceiling: s.ceiling,
    min_outbound: s.minOutbound,
    max_inbound: s.maxInbound,
    inbound: s.inbound,
    outbound: s.outbound,
    handshakes: s.handshakes,
    max_handshakes: s.maxHandshakes,
  }
}

export function scoreDetailJson(d: ScoreDetail): ScoreDetailJson {
  return {
    total: d.total,
    application: d.application,
    components: snakeKeys(d.components, SCORE_COMPONENTS, (c) => ({
      value: c.value,
      weight: c.weight,
      contribution: c.contribution,
    })),
  }
}

/**
 * GET /network/scores: the threshold and retention, each component's rule, and every known
 * peer's score with its parts, lowest total first.
 */
export function scoresJson(p2p: AnyP2p): ScoresJson {
  const policy = p2p.scorePolicy()
  const peers = p2p
    .peers()
    .map((p) => ({
      peer_id: p.peerId,
      state: p.state,
      trusted: p.trusted,
      score_detail: scoreDetailJson(p.scoreDetail),
    }))
    .sort((a, b) => a.score_detail.total - b.score_detail.total || (a.peer_id < b.peer_id ? -1 : 1))
  return {
    thresholds: {
      disconnect_below: policy.disconnectBelow,
      retain_ms: policy.retainMs,
      max_records: policy.maxRecords,
    },
    rules: snakeKeys<ScoreComponent, ComponentRule, ScoreRuleJson>(policy, SCORE_COMPONENTS, (r) => ({
      weight: r.weight,
      half_life_ms: r.halfLifeMs,
      cap: r.cap,
    })),
    peers,
  }
}

/** GET /network/admission: the slots now and in effect, the per-address limits, the eviction rules. */
export function admissionJson(p2p: AnyP2p): AdmissionJson {
  const { slots, admission, eviction } = p2p.admissionPolicy()
  const limit = (l: typeof admission.perAddress): AddressLimitJson => ({
    ipv4_bits: l.ipv4Bits,
    ipv6_bits: l.ipv6Bits,
    max_connections: l.maxConnections,
    new_per_minute: l.newPerMinute,
  })
  return {
    slots: slotsJson(slots),
    admission: {
      per_address: limit(admission.perAddress),
      per_subnet: limit(admission.perSubnet),
      exempt: [...admission.exempt],
      max_handshakes_in_flight: slots.maxHandshakes,
    },
    eviction: {
      grace_ms: eviction.graceMs,
      protect_groups: eviction.protectGroups,
      protect_low_latency: eviction.protectLowLatency,
      protect_recent_useful: eviction.protectRecentUseful,
      protect_longest_share: eviction.protectLongestShare,
    },
  }
}

export function statJson(p2p: AnyP2p, startedAt: number): StatJson {
  const s = p2p.stats()
  return {
    total_sent: s.io.bytesOut,
    total_recv: s.io.bytesIn,
    current_inflow: Math.round(s.io.flowIn),
    current_outflow: Math.round(s.io.flowOut),
    connections: s.activeConnections,
    incoming_handshakes: s.incomingHandshakes,
    known_points: s.knownPoints,
    known_peers: s.knownPeers,
    peer_id: p2p.peerId,
    uptime_ms: Date.now() - startedAt,
    slots: slotsJson(s.slots),
  }
}

export function connectionJson(c: ConnectionInfo<unknown>): ConnectionJson {
  return {
    peer_id: c.peerId,
    point: orNull(c.point),
    remote_addr: c.remoteAddress,
    remote_port: c.remotePort,
    incoming: c.incoming,
    private: c.private,
    trusted: c.trusted,
    score: c.score,
    connected_at: c.connectedAt,
    latency_ms: c.latencyMs,
    version: {
      chain_name: c.version.chainName,
      distributed_db_version: c.version.distributedDbVersion,
      p2p_version: c.version.p2pVersion,
    },
    stats: {
      total_sent: c.stats.bytesSent,
      total_recv: c.stats.bytesReceived,
      current_inflow: Math.round(c.stats.flowIn),
      current_outflow: Math.round(c.stats.flowOut),
    },
  }
}

export function peerJson(p: PeerInfo<unknown>): PeerJson {
  return {
    peer_id: p.peerId,
    state: p.state,
    trusted: p.trusted,
    banned: p.banned,
    greylisted: p.greylisted,
    score: p.score,
    score_detail: scoreDetailJson(p.scoreDetail),
    last_seen: orNull(p.lastSeen),
    points: [...p.points],
  }
}

export function peerHeadJson(h: ObservedHead): PeerHeadJson {
  return {
    level: h.level,
    block_hash: h.blockHash,
    predecessor: h.predecessor,
    timestamp: new Date(h.timestamp * 1000).toISOString(),
    fitness: [...h.fitness],
    proto: h.proto,
    chain_id: h.chainId,
    source: h.source,
    received_at: h.receivedAt,
    chain_name: h.chainName,
    distributed_db_version: h.distributedDbVersion,
    p2p_version: h.p2pVersion,
  }
}

/** peerJson, with the peer's head when an observer runs. */
export function peerWithHeadJson(p: PeerInfo<unknown>, heads: ObservedHeads | undefined): PeerJson {
  const json = peerJson(p)
  if (heads === undefined) return json
  const head = heads.head(p.peerId)
  return { ...json, head: head === undefined ? null : peerHeadJson(head) }
}

export function pointJson(p: PointInfo): PointJson {
  return {
    point: p.point,
    state: p.state,
    trusted: p.trusted,
    banned: p.banned,
    greylisted: p.greylisted,
    peer_id: orNull(p.peerId),
    last_attempt: orNull(p.lastAttempt),
    last_failure: orNull(p.lastFailure),
    last_established: orNull(p.lastEstablished),
    last_disconnect: orNull(p.lastDisconnect),
    failures: p.failures,
    greylisted_until: orNull(p.greylistedUntil),
    next_attempt_at: p.nextAttemptAt,
    expected_peer_id: orNull(p.expectedPeerId),
    last_address: orNull(p.lastAddress),
  }
}

export function greylistJson(p2p: AnyP2p): GreylistJson {
  const g = p2p.acl.greylist()
  return {
    ips: g.ips.map(({ ip, until, reason }) => ({ ip, until, reason })),
    points: g.points.map(({ point, until, reason }) => ({ point, until, reason })),
    peers: g.peers.map(({ peerId, until, reason }) => ({ peer_id: peerId, until, reason })),
  }
}

export function aclJson(p2p: AnyP2p): AclJson {
  const bans = p2p.acl.bans()
  const trusts = p2p.acl.trusts()
  return {
    banned_ips: bans.ips,
    banned_points: bans.points,
    banned_peers: bans.peers,
    trusted_ips: trusts.ips,
    trusted_points: trusts.points,
    trusted_peers: trusts.peers,
    greylist: greylistJson(p2p),
  }
}

export function maintenanceJson(r: StepReport) {
  return {
    reason: r.reason,
    before: r.before,
    after: r.after,
    connected: r.connected,
    failed_dials: r.failedDials,
    disconnected: r.disconnected,
    bootstrap_sent: r.bootstrapSent,
    swap_requested: r.swapRequested,
    collected: r.collected,
    low_score_disconnected: r.lowScoreDisconnected,
    aborted: r.aborted,
  }
}
