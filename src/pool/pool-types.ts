// The pool's records and events (Octez's P2p_pool types): the metadata configs, a live connection
// as held and as listed, known points and peers as listed, the swap outcomes and the pool's events.
import type { GreylistEvent } from '../acl/index.js'
import type { CloseReason, Connection, ConnectionStats, NegotiatedVersion } from '../socket/index.js'
import type { Encoding } from '../wire/index.js'
import type { AnswerThrottle } from './answerer.js'
import type { SlotLimits } from './config.js'
import type { PeerEvent, PointEvent } from './history.js'
import type { PeerState } from './known-peers.js'
import type { PointState } from './known-points.js'
import type { ScoreDetail } from './peer-score.js'
import type { ViolationCounter } from './violations.js'

/** The application's per-peer metadata (Octez's peer_meta_config): kept in the peer table, scored. */
export interface PeerMetadataConfig<P> {
  /** How the metadata is saved in peers.json (as hex). */
  readonly encoding: Encoding<P>
  /** Metadata of a peer met for the first time. */
  initial(): P
  /** The peer's score: weighs its bandwidth share (higher is better). */
  score(metadata: P): number
}

/** The metadata exchanged in each handshake (Octez's conn_meta_config). */
export interface ConnectionMetadataConfig<C> {
  readonly encoding: Encoding<C>
  /** Ours, sent to every peer. */
  readonly local: C
  /** Whether a peer's metadata says it is a private node (whose point is never advertised). */
  isPrivate(metadata: C): boolean
}

/** An application message as received, with the base58 id of the peer that sent it. */
export interface ReceivedMessage<A> {
  readonly peer: string
  readonly message: A
}

/** A live connection as the pool holds it. */
export interface ActiveConnection<A, C> {
  readonly connection: Connection<A, C>
  readonly peerId: string
  /** Remote IP address of the socket (canonical). */
  readonly ip: string
  /** The peer's listening point: the point dialed, or its IP and announced port; undefined if not listening. */
  readonly point: string | undefined
  readonly incoming: boolean
  /** The peer announced itself a private node. */
  readonly private: boolean
  readonly throttle: AnswerThrottle
  /** Its protocol violations against the per-connection budget (config.violationBudget). */
  readonly violations: ViolationCounter
  /** When the connection became live (the pool's clock). */
  readonly connectedAt: number
  /** The handshake's duration up to the peer's metadata, ms: about one round trip. */
  readonly latencyMs: number
  /** Our last Swap_request on this connection and the peer it proposed. */
  sentSwapRequest: { readonly at: number; readonly proposedPeerId: string } | undefined
}

/** A live connection as listed. */
export interface ConnectionInfo<C> {
  readonly peerId: string
  readonly point: string | undefined
  readonly remoteAddress: string
  readonly remotePort: number
  readonly incoming: boolean
  readonly private: boolean
  /** The peer or its point is trusted (by the config or the ACL). */
  readonly trusted: boolean
  /** The peer's total score (behaviour plus the application's score of its metadata). */
  readonly score: number
  /** When the connection became live. */
  readonly connectedAt: number
  /** The handshake's duration up to the peer's metadata, ms (about one round trip). */
  readonly latencyMs: number
  readonly metadata: C
  readonly version: NegotiatedVersion
  readonly stats: ConnectionStats
}

/** A known point as listed. */
export interface PointInfo {
  readonly point: string
  readonly state: PointState
  readonly trusted: boolean
  /** The administrator banned it (or its IP). */
  readonly banned: boolean
  /** Its IP is greylisted. */
  readonly greylisted: boolean
  readonly peerId: string | undefined
  readonly lastAttempt: number | undefined
  readonly lastFailure: number | undefined
  readonly lastEstablished: number | undefined
  readonly lastDisconnect: number | undefined
  readonly failures: number
  readonly greylistedUntil: number | undefined
  /** The peer id expected there (pinned), if any. */
  readonly expectedPeerId: string | undefined
  /** A named point: the IP address last dialed for it. */
  readonly lastAddress: string | undefined
  /** Earliest time the maintenance dials it again (its backoff after failures or a disconnection; 0: any time). */
  readonly nextAttemptAt: number
}

/** A known peer as listed. */
export interface PeerInfo<P> {
  readonly peerId: string
  readonly state: PeerState
  readonly trusted: boolean
  readonly banned: boolean
  readonly greylisted: boolean
  readonly metadata: P
  /** scoreDetail.total. */
  readonly score: number
  /** The score's parts: the application's, and each behaviour counter with its weight. */
  readonly scoreDetail: ScoreDetail
  readonly lastSeen: number | undefined
  readonly points: readonly string[]
}

/** Who a connection event is about. */
export interface ConnectionEvent {
  readonly peerId: string
  readonly point: string | undefined
  readonly remoteAddress: string
  readonly incoming: boolean
}

/**
 * Why a swap message was ignored: a bad point, a point we may not learn (see mayLearn), a swap
 * within swap_linger, the point already connected or being connected, no peer to propose
 * back, a full queue, an unrequested Swap_ack.
 */
export type SwapIgnoredReason =
  | 'bad_point'
  | 'unroutable'
  | 'linger'
  | 'point_busy'
  | 'no_candidate'
  | 'queue_full'
  | 'not_requested'

/** The outcome of a swap step, for logs and tests. */
export interface SwapEvent {
  readonly outcome: 'request_sent' | 'ack_sent' | 'ignored' | 'succeeded' | 'failed'
  /** The peer whose message this is about. */
  readonly peerId: string
  readonly point?: string
  readonly reason?: SwapIgnoredReason | undefined
}

/** The typed events of the pool (and of the P2p object that forwards them). */
export interface PoolEvents {
  connection: [ConnectionEvent]
  disconnection: [ConnectionEvent & { readonly reason: CloseReason }]
  greylisted: [GreylistEvent]
  /** A connection closed and fewer than min_connections remain. */
  'too-few-connections': [{ readonly active: number; readonly min: number }]
  /** The active count reached max_connections (max_threshold when set): new connections are refused. */
  'too-many-connections': [{ readonly active: number; readonly max: number }]
  'new-point': [{ readonly point: string; readonly source: string | undefined }]
  'new-peer': [{ readonly peerId: string }]
  /** A point's DNS name did not resolve (the dial failed; the maintenance backs off). */
  'resolve-failed': [{ readonly point: string; readonly error: Error }]
  /** The peer at a pinned point is not the expected one: refused, its IP greylisted. */
  'unexpected-peer': [
    {
      readonly point: string
      readonly remoteAddress: string
      readonly expected: string
      readonly got: string
    },
  ]
  /** A handshake failed or we refused the peer (incoming or outgoing). */
  'handshake-failed': [{ readonly remoteAddress: string; readonly incoming: boolean; readonly error: Error }]
  /** An incoming connection closed before the handshake (ACL, limits, accept backoff). */
  refused: [{ readonly remoteAddress: string; readonly reason: string }]
  /** An inbound connection was closed to make room for a newcomer (the inbound slots were full). */
  evicted: [{ readonly peerId: string; readonly remoteAddress: string; readonly newcomer: string }]
  /** A peer's score fell below score.disconnectBelow: it was disconnected and greylisted. */
  'low-score': [{ readonly peerId: string; readonly score: number }]
  swap: [SwapEvent]
  /** An event was added to a known point's history (GET /network/points/<p>/log). */
  'point-event': [{ readonly point: string; readonly event: PointEvent }]
  /** An event was added to a known peer's history (GET /network/peers/<id>/log). */
  'peer-event': [{ readonly peerId: string; readonly event: PeerEvent }]
  /** The tables or the ACL changed: the state is worth saving. */
  changed: []
}

/** Points sent in a Nack and in answer to Bootstrap (Octez: 50). */
export const ALTERNATIVE_POINTS = 50

/** Inbound and outbound connections now, and the limits in effect. */
export interface SlotCounts extends SlotLimits {
  readonly inbound: number
  readonly outbound: number
  /** Handshakes in progress, both directions, and their cap. */
  readonly handshakes: number
  readonly maxHandshakes: number
}
