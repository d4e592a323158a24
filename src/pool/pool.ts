// The pool of connections (Octez's P2p_pool and connect handler): the tables of known points and
// peers, dialing and accepting with the admission checks, the live connections and the app queue.
import { createHmac, randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import type { Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import { type AccessControl, type AclChange, type GreylistEvent, LearnableAddresses } from '../acl/index.js'
import { netGroup } from '../acl/net-group.js'
import { BoundedQueue } from '../io/bounded-queue.js'
import { type Clock, systemClock } from '../io/clock.js'
import { MemoryBudget } from '../io/memory-budget.js'
import type { IoScheduler } from '../io/scheduler.js'
import {
  authenticate,
  type CloseReason,
  Connection,
  type ConnectionStats,
  describeCloseReason,
  HandshakeError,
  type HandshakeResult,
  type NegotiatedVersion,
  type PendingHandshake,
  RejectedByPeerError,
} from '../socket/index.js'
import {
  type Encoding,
  formatPoint,
  MAX_ADVERTISED_POINTS,
  type MessageRegistry,
  type NackMotive,
} from '../wire/index.js'
import { type AdmissionLimiter, AdmissionLimiter as Limiter } from './admission.js'
import { AnswerThrottle, runAnswerer } from './answerer.js'
import { type BackoffConfig, nextAttemptAt } from './backoff.js'
import {
  handshakeCap,
  handshakesPerSubnet,
  handshakeTableCapacity,
  type P2pConfig,
  type SlotLimits,
  slotLimits,
} from './config.js'
import { Discovery } from './discovery.js'
import { ConnectionRefusedError, NotConnectedError, type RefusalReason } from './errors.js'
import { type EvictionCandidate, selectToEvict } from './eviction.js'
import { HandshakeTable, type PendingHandshakeEntry } from './handshake-table.js'
import {
  History,
  type PeerEvent,
  type PeerEventKind,
  type PointEvent,
  type PointEventKind,
} from './history.js'
import { KnownPeers, type PeerRecord, type PeerState } from './known-peers.js'
import { KnownPoints, type PointRecord, type PointState } from './known-points.js'
import { budgetVictim } from './memory-guard.js'
import { dialPointAddress } from './named-dial.js'
import { PeerScores, type ScoreComponent, type ScoreDetail } from './peer-score.js'
import {
  canonicalPointAddress,
  hostOfPoint,
  isNamedPoint,
  type PointAddress,
  parsePointAddress,
} from './point-address.js'
import { canonicalPoint, remoteIpOf } from './point-text.js'
import { ResolveError, type Resolver, systemResolver } from './resolver.js'
import {
  VIOLATION_SCORE_SHARE,
  VIOLATIONS_PER_SCORE_CHARGE,
  ViolationCounter,
  type ViolationKind,
} from './violations.js'

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

export interface PoolOptions<A, P, C> {
  readonly config: P2pConfig
  readonly messages: MessageRegistry<A>
  readonly peerMetadata: PeerMetadataConfig<P>
  readonly connectionMetadata: ConnectionMetadataConfig<C>
  readonly acl: AccessControl
  readonly scheduler: IoScheduler
  /** The port announced in connection messages (undefined: not listening). */
  readonly announcedPort: () => number | undefined
  /** Resolves the DNS names of points at each dial (default: the system's resolver). */
  readonly resolver?: Resolver
  /** Time and timers (default systemClock). */
  readonly clock?: Clock
}

/** Points sent in a Nack and in answer to Bootstrap (Octez: 50). */
export const ALTERNATIVE_POINTS = 50

const GREYLISTED_HANDSHAKE_FAILURES = new Set(['proof_of_work', 'decoding', 'decryption'])
/** Handshake failures that do not count against the peer's score: its Nack, or ourselves. */
const BLAMELESS_HANDSHAKE_FAILURES = new Set(['rejected', 'self_connection'])

/** Inbound and outbound connections now, and the limits in effect. */
export interface SlotCounts extends SlotLimits {
  readonly inbound: number
  readonly outbound: number
  /** Handshakes in progress, both directions, and their cap. */
  readonly handshakes: number
  readonly maxHandshakes: number
}

export class Pool<A, P, C> extends EventEmitter<PoolEvents> {
  readonly config: P2pConfig
  readonly acl: AccessControl
  readonly points: KnownPoints
  readonly peers: KnownPeers<P>
  /** The behaviour part of each peer's score. */
  readonly scores: PeerScores
  readonly slots: SlotLimits
  readonly admission: AdmissionLimiter
  /** The bytes queued by the whole layer against config.memoryBudgetBytes. */
  readonly budget: MemoryBudget
  readonly clock: Clock
  readonly #messages: MessageRegistry<A>
  readonly #peerMetadata: PeerMetadataConfig<P>
  readonly #connectionMetadata: ConnectionMetadataConfig<C>
  readonly #scheduler: IoScheduler
  readonly #announcedPort: () => number | undefined
  readonly #resolver: Resolver
  /** The maintenance worker's reconnection backoff, for PointInfo.nextAttemptAt. */
  readonly #backoff: BackoffConfig
  readonly #discovery: Discovery<A, P, C>
  readonly #active = new Map<string, ActiveConnection<A, C>>()
  /** Our own listening points, learnt from self-connections: never dialed or advertised. */
  readonly #ownPoints = new Set<string>()
  /** The config's trusted points, canonical. */
  readonly #configTrusted: Set<string>
  /** The config's bootstrap and trusted points, canonical: kept whatever their address. */
  readonly #configured: Set<string>
  /** Which addresses peers may teach us (routable ones, allowed ranges, our own range). */
  readonly #learnable: LearnableAddresses
  /** Points local discovery registered as trusted (trust_discovered_peers), at most maxKnownPoints.max. */
  readonly #discoveredTrusted = new Set<string>()
  /** Sockets between accept/dial and a live connection, destroyed at close. */
  readonly #handshaking = new Set<Socket>()
  readonly #application: BoundedQueue<ReceivedMessage<A>>
  readonly #applicationBounded: boolean
  /** Incoming handshakes in progress, with their subnet shares (handshake-table.ts). */
  readonly #incoming: HandshakeTable<Socket>
  #rejectingHandshakes = 0
  #outgoingHandshakes = 0
  /** Handshakes past the slot check, holding their slot until adopted or failed. */
  #reservedInbound = 0
  #reservedOutbound = 0
  #inbound = 0
  /** Connections being closed to make room: no longer counted, not picked again. */
  readonly #evicting = new Set<ActiveConnection<A, C>>()
  readonly #groupKey = randomBytes(16)
  #closed = false

  constructor(options: PoolOptions<A, P, C>) {
    super()
    const { config } = options
    this.config = config
    this.acl = options.acl
    this.clock = options.clock ?? systemClock
    this.#messages = options.messages
    this.#peerMetadata = options.peerMetadata
    this.#connectionMetadata = options.connectionMetadata
    this.#scheduler = options.scheduler
    this.#announcedPort = options.announcedPort
    this.#resolver = options.resolver ?? systemResolver
    this.#backoff = config.maintenance.backoff
    this.points = new KnownPoints(config.maxKnownPoints.max, config.maxKnownPoints.target)
    this.peers = new KnownPeers(config.maxKnownPeerIds.max, config.maxKnownPeerIds.target, () =>
      this.#peerMetadata.initial(),
    )
    this.budget = new MemoryBudget(config.memoryBudgetBytes, () => this.#shedMemory())
    this.#application = new BoundedQueue({
      capacity: config.applicationQueueBytes ?? Number.POSITIVE_INFINITY,
      budget: this.budget,
    })
    this.#applicationBounded = config.applicationQueueBytes !== undefined
    this.#discovery = new Discovery(this)
    this.scores = new PeerScores(
      {
        components: config.score,
        retainMs: config.score.retainMs,
        disconnectBelow: config.score.disconnectBelow,
        maxRecords: config.score.maxRecords,
      },
      this.clock,
    )
    this.slots = slotLimits(config)
    this.admission = new Limiter(config.admission, this.clock)
    this.#incoming = new HandshakeTable(
      handshakeTableCapacity(config),
      handshakesPerSubnet(config),
      this.clock,
    )
    this.#configTrusted = new Set(config.trustedPoints.map((p) => canonicalPointAddress(p)!))
    this.#configured = new Set(
      [...config.bootstrapPeers, ...config.trustedPoints].map((p) => canonicalPointAddress(p)!),
    )
    this.#learnable = new LearnableAddresses({
      allowRanges: config.discovery.allowRanges,
      ownAddresses: [config.listenHost, ...(config.localAddress ? [config.localAddress] : [])],
    })
    for (const point of [...config.bootstrapPeers, ...config.trustedPoints])
      this.registerAddress(parsePointAddress(point))
    this.acl.on('greylisted', (event) => this.emit('greylisted', event))
    this.acl.on('changed', (change) => this.#aclChanged(change))
  }

  get privateMode(): boolean {
    return this.config.privateMode
  }

  /** Number of live connections. */
  get activeCount(): number {
    return this.#active.size
  }

  /** Incoming handshakes in progress (bounded by max_incoming_connections). */
  get incomingHandshakes(): number {
    return this.#incoming.size
  }

  /** Incoming handshakes in progress per subnet, the largest first. */
  incomingHandshakesBySubnet(): Array<{ readonly subnet: string; readonly count: number }> {
    return this.#incoming.bySubnet()
  }

  /** Handshakes in progress, both directions (busy refusals included). */
  get handshakesInFlight(): number {
    return this.#incoming.size + this.#rejectingHandshakes + this.#outgoingHandshakes
  }

  slotCounts(): SlotCounts {
    return {
      ...this.slots,
      inbound: this.#inbound,
      outbound: this.#active.size - this.#inbound,
      handshakes: this.handshakesInFlight,
      maxHandshakes: handshakeCap(this.config),
    }
  }

  /** Connections counted against the slots: live ones not being evicted, plus reserved ones. */
  #slotsTaken(): { inbound: number; total: number } {
    let evictedInbound = 0
    for (const a of this.#evicting) if (a.incoming) evictedInbound++
    return {
      inbound: this.#inbound - evictedInbound + this.#reservedInbound,
      total: this.#active.size - this.#evicting.size + this.#reservedInbound + this.#reservedOutbound,
    }
  }

  get closed(): boolean {
    return this.#closed
  }

  // ---- Connecting ----

  /**
   * Dials `point`, runs the handshake and makes it a live connection. Rejects with
   * ConnectionRefusedError (refused by us), DialError, or a HandshakeError (failed handshake,
   * RejectedByPeerError when the peer sent Nack).
   */
  async connect(
    pointText: string,
    timeoutMs = this.config.connectionTimeoutMs,
  ): Promise<ActiveConnection<A, C>> {
    const address = parsePointAddress(pointText) // throws InvalidPointError
    const { point } = address
    if (this.#closed) throw new ConnectionRefusedError('stopped', point)
    if (this.#ownPoints.has(point)) throw new ConnectionRefusedError('own_point', point)
    const trusted = this.isPointTrusted(point)
    if (!trusted && this.#isPointBanned(point)) throw new ConnectionRefusedError('point_banned', point)
    if (this.#slotsTaken().total >= this.slots.ceiling)
      throw new ConnectionRefusedError('too_many_connections', point)
    if (this.privateMode && !trusted) throw new ConnectionRefusedError('private_mode', point)
    const record = this.registerAddress(address)
    if (record === undefined) throw new ConnectionRefusedError('table_full', point)
    if (record.state === 'running')
      throw new ConnectionRefusedError('already_connected', point, record.peerId)
    if (record.state !== 'disconnected') throw new ConnectionRefusedError('connecting', point, record.peerId)
    this.points.requested(record, this.clock.now())
    this.#logPoint(record, 'outgoing_request', undefined)
    let socket: Socket
    try {
      socket = await dialPointAddress(address, {
        resolver: this.#resolver,
        clock: this.clock,
        options: {
          timeoutMs,
          readBuffer: this.#scheduler.readBuffer,
          keepalive: this.config.tcpKeepalive,
          ...(this.config.localAddress ? { localAddress: this.config.localAddress } : {}),
        },
        refused: (ipPoint) =>
          this.#ownPoints.has(ipPoint)
            ? 'own_point'
            : !trusted && this.acl.isPointBanned(ipPoint)
              ? 'point_banned'
              : undefined,
        stopped: () => this.#closed,
        dialing: (ip) => {
          if (address.named) record.lastAddress = ip
        },
      })
    } catch (err) {
      this.points.failed(record, this.clock.now())
      this.#logPoint(record, 'request_rejected', undefined, (err as Error).message)
      if (err instanceof ResolveError) this.emit('resolve-failed', { point, error: err })
      this.emit('changed')
      throw err
    }
    if (this.#closed) {
      socket.destroy()
      this.points.failed(record, this.clock.now())
      throw new ConnectionRefusedError('stopped', point)
    }
    return this.#handshake(socket, false, record)
  }

  /**
   * The checks on an incoming socket before a byte is read (the welcome worker's, after the
   * ACL's): room in the handshake table (a free slot, or one its eviction rule frees) or else
   * under the cap on handshakes in flight (to be answered Nack), then the per-address and
   * per-subnet limits. Returns the refusal, or undefined when the socket is admitted and counted
   * until it closes.
   */
  admitIncoming(ip: string, socket: Socket): string | undefined {
    const plan = this.#incoming.plan(ip)
    if (plan.kind !== 'free' && plan.kind !== 'evict' && this.handshakesInFlight >= handshakeCap(this.config))
      return 'too_many_handshakes'
    const admitted = this.admission.admit(ip)
    if (typeof admitted === 'string') return admitted
    socket.once('close', admitted)
    return undefined
  }

  /**
   * Takes an incoming socket (already admitted and reading) into the handshake table: a free
   * slot, or the slot of a pending handshake of the most represented subnet (closed). When its
   * own subnet holds its share or is the most represented, it is answered
   * Nack(too_many_connections) with alternatives instead.
   */
  accept(socket: Socket): void {
    const ip = remoteIpOf(socket)
    if (this.#closed) {
      socket.destroy()
      return
    }
    const plan = this.#incoming.plan(ip)
    if (plan.kind === 'evict') {
      const { victim } = plan
      this.#incoming.remove(victim)
      victim.handle.destroy()
      this.emit('refused', { remoteAddress: victim.ip, reason: 'handshake_evicted' })
    }
    if (plan.kind === 'free' || plan.kind === 'evict') {
      const entry = this.#incoming.add(socket, ip)
      this.#handshake(socket, true, undefined, entry)
        .catch(() => {})
        .finally(() => this.#incoming.remove(entry))
      return
    }
    this.#rejectingHandshakes++
    this.#refuseBusy(socket, ip)
      .catch(() => {})
      .finally(() => this.#rejectingHandshakes--)
  }

  /** Runs the handshake only to answer Nack(too_many_connections) with alternative points. */
  async #refuseBusy(socket: Socket, ip: string): Promise<void> {
    this.#handshaking.add(socket)
    try {
      let pending: PendingHandshake<C>
      try {
        pending = await authenticate(socket, true, {
          ...this.#handshakeConfig(),
          connectionMessageTimeoutMs: this.config.admission.connectionMessageTimeoutMs,
        })
      } catch (err) {
        this.#handshakeFailed(err, ip, true, undefined)
        return
      }
      const listening = this.#listeningPointOf(pending, ip)
      await pending.nack('too_many_connections', this.knownGoodPoints(ALTERNATIVE_POINTS, listening))
      this.emit('handshake-failed', {
        remoteAddress: ip,
        incoming: true,
        error: new ConnectionRefusedError('too_many_connections', listening, pending.peer.peerIdB58),
      })
    } finally {
      this.#handshaking.delete(socket)
    }
  }

  #handshakeConfig(entry?: PendingHandshakeEntry<Socket>) {
    const c = this.config
    return {
      ...(entry === undefined
        ? {}
        : {
            connectionMessageTimeoutMs: c.admission.connectionMessageTimeoutMs,
            onConnectionMessage: () => {
              entry.stage = 'authenticating'
            },
          }),
      identity: c.identity,
      expectedProofOfWork: c.expectedProofOfWork,
      versions: {
        chainName: c.chainName,
        distributedDbVersions: c.distributedDbVersions,
        p2pVersions: c.p2pVersions,
      },
      listeningPort: this.#announcedPort(),
      metadataEncoding: this.#connectionMetadata.encoding,
      localMetadata: this.#connectionMetadata.local,
      authenticationTimeoutMs: c.authenticationTimeoutMs,
    }
  }

  async #handshake(
    socket: Socket,
    incoming: boolean,
    dialed: PointRecord | undefined,
    entry?: PendingHandshakeEntry<Socket>,
  ): Promise<ActiveConnection<A, C>> {
    const ip = remoteIpOf(socket)
    this.#handshaking.add(socket)
    if (!incoming) this.#outgoingHandshakes++
    try {
      let pending: PendingHandshake<C>
      const began = performance.now()
      try {
        pending = await authenticate(socket, incoming, this.#handshakeConfig(entry))
      } catch (err) {
        this.#handshakeFailed(err, ip, incoming, dialed)
        throw err
      }
      return await this.#admit(pending, ip, incoming, dialed, performance.now() - began)
    } finally {
      this.#handshaking.delete(socket)
      if (!incoming) this.#outgoingHandshakes--
    }
  }

  #listeningPointOf(pending: PendingHandshake<C>, ip: string): string | undefined {
    const port = pending.peer.remoteConnectionMessage.port
    return port === 0 ? undefined : formatPoint(ip, port)
  }

  /** The checks after the metadata exchange: Ack and adopt, or Nack with a motive. */
  async #admit(
    pending: PendingHandshake<C>,
    ip: string,
    incoming: boolean,
    dialed: PointRecord | undefined,
    latencyMs: number,
  ): Promise<ActiveConnection<A, C>> {
    const peer = pending.peer
    const peerId = peer.peerIdB58
    const listening = dialed?.point ?? this.#listeningPointOf(pending, ip)
    const pointRecord =
      dialed ??
      (listening !== undefined && !this.#ownPoints.has(listening) ? this.registerPoint(listening) : undefined)
    const peerRecord = this.#registerPeer(peerId)
    if (pointRecord) pointRecord.private = this.#connectionMetadata.isPrivate(peer.remoteMetadata)
    const trusted = peerRecord.trusted || (pointRecord?.trusted ?? false)

    let refusal: { motive: NackMotive; reason: RefusalReason } | undefined
    const expected = pointRecord?.expectedPeerId
    if (this.#closed) refusal = { motive: 'no_motive', reason: 'stopped' }
    else if (!trusted && this.#greylistedAt(ip, listening))
      refusal = { motive: 'no_motive', reason: 'greylisted' }
    else if (expected !== undefined && expected !== peerId) {
      refusal = { motive: 'no_motive', reason: 'unexpected_peer_id' }
      this.#unexpectedPeer(pointRecord!.point, ip, expected, peerId)
    } else if (!trusted && this.acl.isPeerBanned(peerId))
      refusal = { motive: 'no_motive', reason: 'peer_banned' }
    else if (!peer.version.ok) refusal = { motive: peer.version.motive, reason: peer.version.motive }
    else if (!trusted && this.totalScore(peerId) < this.config.score.disconnectBelow)
      refusal = { motive: 'no_motive', reason: 'low_score' }
    else if (this.privateMode && !trusted) refusal = { motive: 'no_motive', reason: 'private_mode' }
    else if (
      pointRecord &&
      (pointRecord.state === 'accepted' ||
        pointRecord.state === 'running' ||
        (incoming && pointRecord.state === 'requested'))
    )
      refusal = { motive: 'already_connected', reason: 'already_connected' }
    else if (peerRecord.state !== 'disconnected')
      refusal = { motive: 'already_connected', reason: 'already_connected' }
    else if (!this.#takeSlot(incoming, peerId))
      refusal = { motive: 'too_many_connections', reason: 'too_many_connections' }

    if (refusal) {
      const alternatives =
        this.privateMode || refusal.reason === 'stopped'
          ? []
          : this.knownGoodPoints(ALTERNATIVE_POINTS, listening)
      await pending.nack(refusal.motive, alternatives).catch(() => {})
      if (dialed) this.points.failed(dialed, this.clock.now())
      if (!peer.version.ok) {
        // Another network: greylist the peer id (not its IP: nodes of ours may share it) and
        // forget the point, unless trusted (Octez unregisters it).
        this.#misbehaved(undefined, peerId, listening, `handshake: ${peer.version.motive}`)
        this.scores.add(peerId, 'handshakeFailure')
        if (pointRecord && !pointRecord.trusted && pointRecord.state === 'disconnected')
          this.points.delete(pointRecord.point)
      }
      if (pointRecord) this.#logPoint(pointRecord, 'rejecting_request', peerId, refusal.reason)
      this.#logPeer(peerRecord, 'rejecting_request', ip, listening, refusal.reason)
      const error = new ConnectionRefusedError(refusal.reason, listening, peerId)
      this.emit('handshake-failed', { remoteAddress: ip, incoming, error })
      this.emit('changed')
      throw error
    }

    if (pointRecord) this.points.accepted(pointRecord, peerId)
    peerRecord.state = 'accepted'
    if (pointRecord) this.#logPoint(pointRecord, 'accepting_request', peerId)
    this.#logPeer(peerRecord, 'incoming_request', ip, listening)
    let result: HandshakeResult<C>
    try {
      try {
        result = await pending.accept()
      } catch (err) {
        if (pointRecord?.state === 'accepted') this.points.failed(pointRecord, this.clock.now())
        peerRecord.state = 'disconnected'
        this.#handshakeFailed(err, ip, incoming, undefined)
        throw err
      }
    } finally {
      if (incoming) this.#reservedInbound--
      else this.#reservedOutbound--
    }
    if (this.#closed) {
      result.socket.destroy()
      if (pointRecord) this.points.disconnected(pointRecord, this.clock.now())
      peerRecord.state = 'disconnected'
      throw new ConnectionRefusedError('stopped', listening, peerId)
    }
    return this.#adopt(result, ip, incoming, listening, pointRecord, peerRecord, latencyMs)
  }

  /**
   * Reserves a slot for a handshake about to be accepted: an outbound one below the ceiling; an
   * inbound one below the inbound maximum and the ceiling, or else in place of an inbound
   * connection chosen by selectToEvict (which is closed). False when there is no room.
   */
  #takeSlot(incoming: boolean, newcomer: string): boolean {
    const taken = this.#slotsTaken()
    if (!incoming) {
      if (taken.total >= this.slots.ceiling) return false
      this.#reservedOutbound++
      return true
    }
    if (taken.inbound >= this.slots.maxInbound || taken.total >= this.slots.ceiling) {
      const victim = this.#evictionVictim()
      if (victim === undefined) return false
      this.#evicting.add(victim)
      this.emit('evicted', { peerId: victim.peerId, remoteAddress: victim.ip, newcomer })
      void victim.connection.close({ kind: 'local', detail: 'evicted: inbound slots full' })
    }
    this.#reservedInbound++
    return true
  }

  #evictionVictim(): ActiveConnection<A, C> | undefined {
    const candidates: EvictionCandidate[] = []
    const byPeer = new Map<string, ActiveConnection<A, C>>()
    for (const a of this.#active.values()) {
      if (!a.incoming || this.#evicting.has(a) || this.#isTrusted(a)) continue
      byPeer.set(a.peerId, a)
      candidates.push({
        peerId: a.peerId,
        group: netGroup(a.ip),
        connectedAt: a.connectedAt,
        latencyMs: a.latencyMs,
        lastUsefulAt: this.scores.lastUsefulAt(a.peerId),
        score: this.totalScore(a.peerId),
      })
    }
    const rank = (group: string) =>
      createHmac('sha256', this.#groupKey).update(group).digest().readUInt32BE(0)
    const chosen = selectToEvict(candidates, this.config.eviction, this.clock.now(), rank)
    return chosen === undefined ? undefined : byPeer.get(chosen)
  }

  #isTrusted(active: ActiveConnection<A, C>): boolean {
    return (
      this.isPeerTrusted(active.peerId) ||
      (active.point !== undefined && this.isPointTrusted(active.point)) ||
      this.acl.isIpTrusted(active.ip)
    )
  }

  /**
   * The peer at a pinned point is not the one expected (Octez's Identity_check_failure): the
   * event, and the IP greylisted (unless the administrator trusts it), as Octez does.
   */
  #unexpectedPeer(point: string, ip: string, expected: string, got: string): void {
    this.emit('unexpected-peer', { point, remoteAddress: ip, expected, got })
    if (!this.acl.isIpTrusted(ip)) this.acl.greylistIp(ip, `unexpected peer id at ${point}`)
  }

  /**
   * Pins `point` to `peerId` (as Octez's set_expected_peer_id): the point is registered if new;
   * a live connection there with another peer is closed and its IP greylisted. False when the
   * point is invalid or the table is full.
   */
  setExpectedPeerId(pointText: string, peerId: string): boolean {
    const address = parsePointAddress(pointText)
    const record = this.registerAddress(address)
    if (record === undefined) return false
    record.expectedPeerId = peerId
    if (record.state === 'running' && record.peerId !== undefined && record.peerId !== peerId) {
      const active = this.#active.get(record.peerId)
      if (active) {
        this.#unexpectedPeer(record.point, active.ip, peerId, record.peerId)
        void active.connection.close({ kind: 'local', detail: 'unexpected peer id' })
      }
    }
    this.emit('changed')
    return true
  }

  /** Records a failed handshake; greylists on the causes of SPEC 5 (not on timeouts or closes). */
  #handshakeFailed(err: unknown, ip: string, incoming: boolean, dialed: PointRecord | undefined): void {
    if (err instanceof HandshakeError) {
      if (err.peerId !== undefined && !BLAMELESS_HANDSHAKE_FAILURES.has(err.failure))
        this.penalize(err.peerId, 'handshakeFailure')
      if (GREYLISTED_HANDSHAKE_FAILURES.has(err.failure)) {
        this.#misbehaved(ip, err.peerId, dialed?.point, `handshake: ${err.failure}`)
      } else if (err.failure === 'self_connection' && dialed) {
        this.#ownPoints.add(dialed.point)
        this.points.delete(dialed.point)
        dialed = undefined
      } else if (err instanceof RejectedByPeerError) {
        this.registerPoints(err.alternativePoints, err.peerId)
      }
    }
    if (dialed) {
      this.points.failed(dialed, this.clock.now())
      const peerId = err instanceof HandshakeError ? err.peerId : undefined
      this.#logPoint(dialed, 'request_rejected', peerId, (err as Error).message)
      const peerRecord = peerId === undefined ? undefined : this.peers.get(peerId)
      if (peerRecord) this.#logPeer(peerRecord, 'request_rejected', ip, dialed.point, (err as Error).message)
    }
    this.emit('handshake-failed', {
      remoteAddress: ip,
      incoming,
      error: err instanceof Error ? err : new Error(String(err)),
    })
    this.emit('changed')
  }

  #adopt(
    result: HandshakeResult<C>,
    ip: string,
    incoming: boolean,
    point: string | undefined,
    pointRecord: PointRecord | undefined,
    peerRecord: PeerRecord<P>,
    latencyMs: number,
  ): ActiveConnection<A, C> {
    const { incomingQueueBytes, outgoingQueueBytes, writeStallTimeoutMs } = this.config
    const peerId = result.peer.peerIdB58
    let active: ActiveConnection<A, C> | undefined
    const connection = new Connection(result, this.#messages, this.#scheduler, {
      ...(incomingQueueBytes ? { incomingQueueBytes } : {}),
      ...(outgoingQueueBytes ? { outgoingQueueBytes } : {}),
      writeStallTimeoutMs,
      budget: this.budget,
      onEmptyChunk: () => {
        if (active) this.#violated(active, 'empty_chunk')
      },
      score: () => this.scores.behaviour(peerId) + this.#peerMetadata.score(peerRecord.metadata),
    })
    const now = this.clock.now()
    active = {
      connection,
      peerId,
      ip,
      point,
      incoming,
      private: this.#connectionMetadata.isPrivate(result.peer.remoteMetadata),
      throttle: new AnswerThrottle(this.clock),
      violations: new ViolationCounter(
        this.config.violationBudget,
        this.config.violationsForgivenPerSecond,
        this.clock,
      ),
      connectedAt: now,
      latencyMs,
      sentSwapRequest: undefined,
    }
    this.#active.set(peerId, active)
    if (incoming) this.#inbound++
    this.scores.connected(peerId)
    if (pointRecord) this.points.running(pointRecord, peerId, now)
    if (pointRecord) this.#logPoint(pointRecord, 'connection_established', peerId)
    this.#logPeer(peerRecord, 'connection_established', ip, point)
    peerRecord.state = 'running'
    peerRecord.lastSeen = now
    if (point !== undefined) this.peers.seenAt(peerRecord, point)
    this.emit('connection', { peerId, point, remoteAddress: ip, incoming })
    const { ceiling } = this.slots
    if (this.#active.size >= ceiling)
      this.emit('too-many-connections', { active: this.#active.size, max: ceiling })
    this.emit('changed')
    const adopted = active
    void connection.closed.then((reason) => this.#onClosed(adopted, reason))
    const handlers = {
      ...this.#discovery.handlersFor(adopted),
      excess: (kind: ViolationKind) => this.#violated(adopted, kind),
    }
    runAnswerer(connection, handlers, active.throttle).catch((err: Error) =>
      connection.destroy({ kind: 'local', detail: `answerer failed: ${err.message}` }),
    )
    return active
  }

  #onClosed(active: ActiveConnection<A, C>, reason: CloseReason): void {
    if (this.#active.get(active.peerId) === active) {
      this.#active.delete(active.peerId)
      if (active.incoming) this.#inbound--
    }
    this.#evicting.delete(active)
    this.scores.disconnected(active.peerId)
    const now = this.clock.now()
    const pointRecord = active.point === undefined ? undefined : this.points.get(active.point)
    if (pointRecord?.state === 'running' && pointRecord.peerId === active.peerId)
      this.points.disconnected(pointRecord, now)
    const peerRecord = this.peers.get(active.peerId)
    if (peerRecord) {
      peerRecord.state = 'disconnected'
      peerRecord.lastSeen = now
    }
    const closedBy: PointEventKind & PeerEventKind =
      reason.kind === 'local' ? 'disconnection' : 'external_disconnection'
    const why = describeCloseReason(reason)
    if (pointRecord) this.#logPoint(pointRecord, closedBy, active.peerId, why)
    if (peerRecord) this.#logPeer(peerRecord, closedBy, active.ip, active.point, why)
    if (reason.kind === 'mac_error' || reason.kind === 'decode_error') {
      this.#misbehaved(active.ip, active.peerId, active.point, reason.kind)
      this.scores.add(active.peerId, wireFaultOf(reason))
    } else if (reason.kind === 'flood') {
      this.#misbehaved(active.ip, active.peerId, active.point, `flood: ${reason.last}`)
      this.scores.add(active.peerId, 'violation')
    } else if (reason.kind === 'write_stall' || reason.kind === 'memory_budget') {
      // Not greylisted: a dead or slow peer may be honest; its score remembers the cost.
      this.scores.add(active.peerId, 'violation')
    }
    this.emit('disconnection', {
      peerId: active.peerId,
      point: active.point,
      remoteAddress: active.ip,
      incoming: active.incoming,
      reason,
    })
    if (!this.#closed && this.#active.size < this.config.minConnections)
      this.emit('too-few-connections', { active: this.#active.size, min: this.config.minConnections })
    this.emit('changed')
  }

  /**
   * Whether an untrusted peer is refused by the greylist once its point is known: its IP (let
   * through the accept check because some trusted peer or point might be on it) or its point.
   */
  #greylistedAt(ip: string, point: string | undefined): boolean {
    if (this.acl.ipStatus(ip) === 'greylisted') return true
    return point !== undefined && !isNamedPoint(point) && this.acl.isPointGreylisted(point)
  }

  /**
   * Charges a protocol violation to the connection: every VIOLATIONS_PER_SCORE_CHARGE of them cost
   * the score; past the connection's budget it is closed (`flood`, then greylisted by #onClosed).
   */
  #violated(active: ActiveConnection<A, C>, kind: ViolationKind): void {
    const over = active.violations.charge()
    if (active.violations.total % VIOLATIONS_PER_SCORE_CHARGE === 0)
      this.penalize(active.peerId, 'violation', VIOLATIONS_PER_SCORE_CHARGE * VIOLATION_SCORE_SHARE)
    if (over && active.connection.closeReason === undefined && !this.#isTrusted(active))
      active.connection.destroy({ kind: 'flood', violations: active.violations.total, last: kind })
  }

  /** Over the memory budget: drops the connections holding the most until back under it. */
  #shedMemory(): void {
    const budgetBytes = this.budget.limit
    while (this.budget.held > budgetBytes) {
      const holders = [...this.#active.values()]
        .filter((a) => a.connection.closeReason === undefined)
        .map((a) => ({ active: a, queuedBytes: a.connection.queuedBytes, trusted: this.#isTrusted(a) }))
      const victim = budgetVictim(holders)
      if (victim === undefined) return
      victim.active.connection.destroy({
        kind: 'memory_budget',
        queuedBytes: victim.queuedBytes,
        budgetBytes,
      })
    }
  }

  /**
   * Greylists the IP (when given) and the peer id of a misbehaving peer, unless the peer, its
   * point or its IP is trusted. On an address exempt from the admission limits (loopback by
   * default: the nodes of one machine share it) the point is greylisted instead of the IP, so
   * one bad node does not lock the others out.
   */
  #misbehaved(
    ip: string | undefined,
    peerId: string | undefined,
    point: string | undefined,
    reason: string,
  ): void {
    if (peerId !== undefined && this.isPeerTrusted(peerId)) return
    if (point !== undefined && this.isPointTrusted(point)) return
    if (ip !== undefined && this.acl.isIpTrusted(ip)) return
    const until = this.clock.now() + this.acl.greylistTimeoutMs
    if (ip !== undefined && this.admission.isExempt(ip)) {
      // A named point (the operator's) is greylisted through its peer id only.
      const ipPoint = point === undefined || isNamedPoint(point) ? undefined : point
      const record = ipPoint === undefined ? undefined : this.points.get(ipPoint)
      if (ipPoint !== undefined && this.acl.greylistPoint(ipPoint, reason) && record)
        record.greylistedUntil = until
    } else if (ip !== undefined && this.acl.greylistIp(ip, reason)) {
      for (const r of this.points.values())
        if ((r.lastAddress ?? hostOfPoint(r.point)) === ip) r.greylistedUntil = until
    }
    if (peerId !== undefined) this.acl.greylistPeer(peerId, reason)
  }

  // ---- History ----

  #logPoint(r: PointRecord, kind: PointEventKind, peerId: string | undefined, detail?: string): void {
    const event: PointEvent = { kind, at: this.clock.now(), peerId, detail }
    r.history ??= new History()
    r.history.push(event)
    this.emit('point-event', { point: r.point, event })
  }

  #logPeer(
    r: PeerRecord<P>,
    kind: PeerEventKind,
    address: string,
    point: string | undefined,
    detail?: string,
  ): void {
    const port = point === undefined ? undefined : Number(point.slice(point.lastIndexOf(':') + 1))
    const event: PeerEvent = { kind, at: this.clock.now(), address, port, detail }
    r.history ??= new History()
    r.history.push(event)
    this.emit('peer-event', { peerId: r.peerId, event })
  }

  // ---- Live connections ----

  find(peerId: string): ActiveConnection<A, C> | undefined {
    return this.#active.get(peerId)
  }

  /** The live connection whose listening point is `point`. */
  findByPoint(point: string): ActiveConnection<A, C> | undefined {
    const record = this.points.get(point)
    if (record?.state !== 'running' || record.peerId === undefined) return undefined
    return this.#active.get(record.peerId)
  }

  active(): IterableIterator<ActiveConnection<A, C>> {
    return this.#active.values()
  }

  /** The live connection with `peerId`, or NotConnectedError. */
  get(peerId: string): ActiveConnection<A, C> {
    const active = this.#active.get(peerId)
    if (!active) throw new NotConnectedError(peerId)
    return active
  }

  /** Closes the connection with `peerId` (Disconnect first); resolves when it is closed. */
  async disconnect(peerId: string, detail = 'disconnect'): Promise<void> {
    const active = this.#active.get(peerId)
    if (active) await active.connection.close({ kind: 'local', detail })
  }

  /** Removes a point that is not in use from the table (trusted ones too); false when unknown or in use. */
  forgetPoint(point: string): boolean {
    const record = this.points.get(point)
    if (record?.state !== 'disconnected') return false
    this.points.delete(point)
    this.emit('changed')
    return true
  }

  /** Removes a disconnected peer from the table; false when unknown or connected. */
  forgetPeer(peerId: string): boolean {
    const record = this.peers.get(peerId)
    if (record?.state !== 'disconnected') return false
    this.peers.delete(peerId)
    this.emit('changed')
    return true
  }

  connectionInfo(active: ActiveConnection<A, C>): ConnectionInfo<C> {
    const { peer, version } = active.connection
    const record = this.peers.get(active.peerId)
    return {
      peerId: active.peerId,
      point: active.point,
      remoteAddress: active.ip,
      remotePort: peer.remotePort,
      incoming: active.incoming,
      private: active.private,
      trusted:
        this.isPeerTrusted(active.peerId) ||
        (active.point !== undefined && this.isPointTrusted(active.point)),
      score:
        this.scores.behaviour(active.peerId) +
        (record === undefined ? 0 : this.#peerMetadata.score(record.metadata)),
      connectedAt: active.connectedAt,
      latencyMs: active.latencyMs,
      metadata: peer.remoteMetadata,
      version,
      stats: active.connection.stats(),
    }
  }

  // ---- The application queue ----

  /** Queues a received application message, waiting while the queue is full. */
  pushApplication(peerId: string, message: A): Promise<void> {
    const size = this.#applicationBounded ? this.#messages.sizeOf({ kind: 'application', message }) : 0
    return this.#application.push({ peer: peerId, message }, size)
  }

  /** The next application message; rejects with QueueClosedError once the pool is closed and drained. */
  receive(): Promise<ReceivedMessage<A>> {
    return this.#application.shift()
  }

  tryReceive(): ReceivedMessage<A> | undefined {
    return this.#application.tryShift()
  }

  // ---- Tables ----

  /**
   * The record of a point (canonical form), registered if new; undefined for our own points,
   * invalid points, port 0, or when the table is full of points it cannot forget.
   */
  registerPoint(pointText: string, source?: string): PointRecord | undefined {
    const point = canonicalPoint(pointText)
    return point === undefined ? undefined : this.#register(point, source)
  }

  /**
   * The record of a point an operator gave (config, connect, RPC): an IP or a DNS name, kept by
   * name; a "#PEER_ID" pins it. Undefined as registerPoint.
   */
  registerAddress(address: PointAddress, source?: string): PointRecord | undefined {
    const record = this.#register(address.point, source)
    if (record !== undefined && address.peerId !== undefined) record.expectedPeerId = address.peerId
    return record
  }

  #register(point: string, source: string | undefined): PointRecord | undefined {
    if (this.#ownPoints.has(point) || point.endsWith(':0')) return undefined
    const registered = this.points.register(point)
    if (!registered) return undefined
    if (registered.created) {
      registered.record.trusted = this.isPointTrusted(point)
      this.emit('new-point', { point, source })
    }
    return registered.record
  }

  /**
   * A point heard by local discovery (Octez's register_new_point ~trusted): the sender's IP
   * and the port it announced, learned as any other point, and trusted when `trusted`.
   */
  registerDiscoveredPoint(ip: string, port: number, trusted: boolean): PointRecord | undefined {
    const point = formatPoint(ip, port)
    const known = this.points.get(point) !== undefined
    const record = this.registerPoint(point, 'local-discovery')
    if (record === undefined) return undefined
    let changed = !known
    if (trusted && !record.trusted && this.#discoveredTrusted.size < this.config.maxKnownPoints.max) {
      this.#discoveredTrusted.add(record.point)
      record.trusted = true
      changed = true
    }
    if (changed) this.emit('changed')
    return record
  }

  /**
   * Learns points from an Advertise or a Nack: each is checked alone; bad ones, and those whose
   * address may not be learnt (mayLearn), are dropped. Returns how many were dropped.
   */
  registerPoints(points: readonly string[], source: string | undefined): number {
    let dropped = 0
    for (const point of points.slice(0, MAX_ADVERTISED_POINTS)) {
      if (this.mayLearn(point)) this.registerPoint(point, source)
      else dropped++
    }
    this.emit('changed')
    return dropped
  }

  /**
   * Whether a point a peer names (Advertise, Swap, Nack alternatives) may be learnt: a valid
   * point whose address is routable, in discovery.allowRanges, or in the special range of our
   * own listening address (see LearnableAddresses); trusted and configured points always.
   */
  mayLearn(pointText: string): boolean {
    const point = canonicalPoint(pointText)
    if (point === undefined) return false
    if (this.#configured.has(point) || this.isPointTrusted(point)) return true
    return this.#learnable.allows(hostOfPoint(point))
  }

  /** Why a point's address may not be learnt, or undefined (see mayLearn). */
  learnRefusal(host: string): string | undefined {
    return this.#learnable.refusal(host)
  }

  #registerPeer(peerId: string): PeerRecord<P> {
    const { record, created } = this.peers.register(peerId)
    if (created) {
      record.trusted = this.acl.isPeerTrusted(peerId)
      this.emit('new-peer', { peerId })
    }
    return record
  }

  /** Puts back saved records (at start). */
  restore(points: readonly PointRecord[], peers: readonly PeerRecord<P>[]): void {
    for (const r of points) {
      const point = canonicalPointAddress(r.point)
      if (point === undefined) continue
      // Points learnt before the rule of mayLearn (an older peers.json) are dropped too; named
      // points are the operator's (peers teach IP literals only).
      if (!isNamedPoint(point) && !this.mayLearn(point)) continue
      // A pin of the config wins over a saved one; a saved pin (PATCH, connect) is kept.
      const expectedPeerId = this.points.get(point)?.expectedPeerId ?? r.expectedPeerId
      this.points.restore({ ...r, point, trusted: this.isPointTrusted(point), expectedPeerId })
    }
    for (const r of peers) this.peers.restore({ ...r, trusted: this.acl.isPeerTrusted(r.peerId) })
  }

  /**
   * Known points worth handing to others: not private, ours, banned or greylisted, not failing,
   * the connected ones first, then the most recently established.
   */
  knownGoodPoints(limit: number, exclude?: string): string[] {
    const good: PointRecord[] = []
    for (const r of this.points.values()) {
      if (r.private || r.point === exclude || this.#ownPoints.has(r.point)) continue
      if (r.state !== 'running' && r.failures > 0) continue
      // Points travel as IP addresses (Octez's P2p_point.Id): a name stays ours.
      if (isNamedPoint(r.point)) continue
      if (!r.trusted && this.acl.isPointBanned(r.point)) continue
      good.push(r)
    }
    const rank = (r: PointRecord) =>
      r.state === 'running' ? Number.MAX_SAFE_INTEGER : (r.lastEstablished ?? 0)
    return good
      .sort((a, b) => rank(b) - rank(a))
      .slice(0, limit)
      .map((r) => r.point)
  }

  /** Whether the point is trusted: by the config or the ACL (itself or its IP). */
  isPointTrusted(point: string): boolean {
    return (
      this.#configTrusted.has(point) ||
      this.#discoveredTrusted.has(point) ||
      (!isNamedPoint(point) && this.acl.isPointTrusted(point))
    )
  }

  /** The ACL refuses the point (a named point: never by itself; its addresses are checked at each dial). */
  #isPointBanned(point: string): boolean {
    return !isNamedPoint(point) && this.acl.isPointBanned(point)
  }

  isPeerTrusted(peerId: string): boolean {
    return this.acl.isPeerTrusted(peerId)
  }

  /** Whether a trusted peer or point (ACL or config) may be behind a connection from `ip`. */
  mayTrustSomeoneAt(ip: string): boolean {
    if (this.acl.mayTrustSomeoneAt(ip)) return true
    for (const point of this.#configTrusted)
      if (!isNamedPoint(point) && hostOfPoint(point) === ip) return true
    return false
  }

  pointInfo(r: PointRecord): PointInfo {
    const named = isNamedPoint(r.point)
    const status = named ? 'ok' : this.acl.pointStatus(r.point)
    const ip = named ? r.lastAddress : hostOfPoint(r.point)
    return {
      point: r.point,
      state: r.state,
      trusted: r.trusted,
      banned: status === 'banned',
      // A trusted point is dialed whatever the greylist says of its IP.
      greylisted:
        !r.trusted &&
        ((ip !== undefined && this.acl.isIpGreylisted(ip)) ||
          (!named && this.acl.isPointGreylisted(r.point))),
      peerId: r.peerId,
      lastAttempt: r.lastAttempt,
      lastFailure: r.lastFailure,
      lastEstablished: r.lastEstablished,
      lastDisconnect: r.lastDisconnect,
      failures: r.failures,
      greylistedUntil: r.greylistedUntil,
      expectedPeerId: r.expectedPeerId,
      lastAddress: r.lastAddress,
      nextAttemptAt: nextAttemptAt(r, 0, this.#backoff),
    }
  }

  peerInfo(r: PeerRecord<P>): PeerInfo<P> {
    const status = this.acl.peerStatus(r.peerId)
    const scoreDetail = this.scores.detail(r.peerId, this.#peerMetadata.score(r.metadata))
    return {
      peerId: r.peerId,
      state: r.state,
      trusted: r.trusted,
      banned: status === 'banned',
      greylisted: status === 'greylisted',
      metadata: r.metadata,
      score: scoreDetail.total,
      scoreDetail,
      lastSeen: r.lastSeen,
      points: [...r.points],
    }
  }

  /** Sets the application's metadata of a known peer (registering it); it rescores its connection. */
  setPeerMetadata(peerId: string, metadata: P): void {
    this.#registerPeer(peerId).metadata = metadata
    this.#enforceScore(peerId)
    this.emit('changed')
  }

  scoreOf(metadata: P): number {
    return this.#peerMetadata.score(metadata)
  }

  // ---- Scores ----

  /** The peer's total score: its behaviour counters plus the application's score of its metadata. */
  totalScore(peerId: string): number {
    const record = this.peers.get(peerId)
    return this.scores.behaviour(peerId) + (record ? this.#peerMetadata.score(record.metadata) : 0)
  }

  /** Counts `amount` on a counter of the peer's score (see PeerScores); may disconnect it (see enforceScores). */
  penalize(peerId: string, component: ScoreComponent, amount = 1): void {
    this.scores.add(peerId, component, amount)
    this.#enforceScore(peerId)
  }

  /** Records a useful message the peer delivered first (as the application reports it). */
  reportUseful(peerId: string, amount = 1): void {
    this.scores.add(peerId, 'useful', amount)
  }

  /**
   * Disconnects and greylists (the peer id) every untrusted connected peer whose total score is
   * below score.disconnectBelow; returns how many.
   */
  enforceScores(): number {
    let count = 0
    for (const peerId of [...this.#active.keys()]) if (this.#enforceScore(peerId)) count++
    return count
  }

  #enforceScore(peerId: string): boolean {
    const score = this.totalScore(peerId)
    if (!(score < this.config.score.disconnectBelow)) return false
    const active = this.#active.get(peerId)
    if (active ? this.#isTrusted(active) : this.isPeerTrusted(peerId)) return false
    this.acl.greylistPeer(peerId, `score ${score.toFixed(2)} below ${this.config.score.disconnectBelow}`)
    this.emit('low-score', { peerId, score })
    if (active) void active.connection.close({ kind: 'local', detail: 'score below threshold' })
    return active !== undefined
  }

  // ---- Discovery ----

  /** Sends Bootstrap to every live connection; returns how many took it. */
  sendBootstrap(): number {
    return this.#discovery.sendBootstrap()
  }

  /** Sends a Swap_request (to `to`, proposing `propose`, both random by default); false if none was sent. */
  sendSwapRequest(options: { to?: string; propose?: string } = {}): boolean {
    return this.#discovery.sendSwapRequest(options)
  }

  // ---- ACL ----

  #aclChanged(change: AclChange): void {
    // A trusted point or peer becomes known (the maintenance keeps trusted points connected).
    if (change.action === 'trust' && change.kind === 'point') this.registerPoint(change.entry)
    if (change.action === 'trust' && change.kind === 'peer') this.#registerPeer(change.entry)
    for (const r of this.points.values()) r.trusted = this.isPointTrusted(r.point)
    for (const r of this.peers.values()) r.trusted = this.acl.isPeerTrusted(r.peerId)
    if (change.action === 'ban') {
      for (const active of this.#active.values()) {
        if (this.#bannedNow(active)) void active.connection.close({ kind: 'local', detail: 'banned' })
      }
    }
    this.emit('changed')
  }

  #bannedNow(active: ActiveConnection<A, C>): boolean {
    if (this.acl.peerStatus(active.peerId) === 'banned') return true
    if (
      active.point !== undefined &&
      !isNamedPoint(active.point) &&
      this.acl.pointStatus(active.point) === 'banned'
    )
      return true
    return this.acl.ipStatus(active.ip) === 'banned'
  }

  // ---- Shutdown ----

  /** Refuses new connections, aborts handshakes, closes every connection (Disconnect) and the app queue. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const socket of this.#handshaking) socket.destroy()
    await Promise.all(
      [...this.#active.values()].map((a) => a.connection.close({ kind: 'local', detail: 'shutdown' })),
    )
    this.#application.close(new Error('the P2p instance stopped'))
  }
}

/** The score counter a wire fault on a live connection counts on. */
function wireFaultOf(reason: CloseReason & { kind: 'mac_error' | 'decode_error' }): ScoreComponent {
  if (reason.kind === 'mac_error') return 'violation'
  return reason.error.reason === 'length_over_bound' && reason.error.path === 'p2p_message'
    ? 'oversized'
    : 'invalid'
}
