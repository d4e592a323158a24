// The connect handler (Octez's P2p_connect_handler): dials and accepts, runs the handshake, admits
// or refuses (Nack) the peer and adopts the live connection; its I/O comes as injected dependencies.

import { createHmac, randomBytes } from 'node:crypto'
import type { EventEmitter } from 'node:events'
import type { Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import type { AccessControl } from '../acl/index.js'
import { netGroup } from '../acl/net-group.js'
import type { Clock } from '../io/clock.js'
import { AbortedError, AbortScope } from '../socket/abort.js'
import {
  type AuthenticatedPeer,
  type CloseReason,
  describeCloseReason,
  type HandshakeConfig,
  HandshakeError,
  type HandshakeResult,
  RejectedByPeerError,
} from '../socket/index.js'
import { formatPoint, type NackMotive } from '../wire/index.js'
import type { AdmissionLimiter } from './admission.js'
import { handshakeCap, handshakesPerSubnet, handshakeTableCapacity, type P2pConfig } from './config.js'
import type { ConnectDependencies, ConnectHost, ConnectOptions, HandshakeInProgress } from './connect-deps.js'
import { ConnectionRefusedError, type RefusalReason } from './errors.js'
import { type EvictionCandidate, selectToEvict } from './eviction.js'
import { HandshakeTable, type PendingHandshakeEntry } from './handshake-table.js'
import type { PeerEventKind, PointEventKind } from './history.js'
import type { PeerRecord } from './known-peers.js'
import type { PointRecord } from './known-points.js'
import type { Misbehaviour } from './misbehaviour.js'
import type { PeerScores } from './peer-score.js'
import { parsePointAddress } from './point-address.js'
import { remoteIpOf } from './point-text.js'
import {
  type ActiveConnection,
  ALTERNATIVE_POINTS,
  type ConnectionMetadataConfig,
  type PoolEvents,
} from './pool-types.js'
import { ResolveError } from './resolver.js'
import type { Slots } from './slots.js'
import type { PoolTables } from './tables.js'

export type {
  ConnectDependencies,
  ConnectHost,
  ConnectOptions,
  DialRequest,
  HandshakeInProgress,
} from './connect-deps.js'

export interface ConnectHandlerOptions<A, P, C> {
  readonly config: P2pConfig
  readonly acl: AccessControl
  readonly tables: PoolTables<A, P, C>
  readonly scores: PeerScores
  readonly admission: AdmissionLimiter
  readonly slots: Slots<ActiveConnection<A, C>>
  readonly connectionMetadata: ConnectionMetadataConfig<C>
  /** The port announced in connection messages (undefined: not listening). */
  readonly announcedPort: () => number | undefined
  /** Aborted when the pool stops: every dial and handshake in flight ends. */
  readonly lifetime: AbortSignal
  readonly events: EventEmitter<PoolEvents>
  readonly clock: Clock
  readonly misbehaviour: Misbehaviour<A, P, C>
  readonly dependencies: ConnectDependencies<C>
  readonly host: ConnectHost<A, P, C>
}

const GREYLISTED_HANDSHAKE_FAILURES = new Set(['proof_of_work', 'decoding', 'decryption'])
/** Handshake failures that do not count against the peer's score: its Nack, or ourselves. */
const BLAMELESS_HANDSHAKE_FAILURES = new Set(['rejected', 'self_connection'])

type Refusal = { readonly motive: NackMotive; readonly reason: RefusalReason }

export class ConnectHandler<A, P, C> {
  readonly #config: P2pConfig
  readonly #acl: AccessControl
  readonly #tables: PoolTables<A, P, C>
  readonly #scores: PeerScores
  readonly #admission: AdmissionLimiter
  readonly #slots: Slots<ActiveConnection<A, C>>
  readonly #connectionMetadata: ConnectionMetadataConfig<C>
  readonly #announcedPort: () => number | undefined
  readonly #lifetime: AbortSignal
  readonly #events: EventEmitter<PoolEvents>
  readonly #clock: Clock
  readonly #dependencies: ConnectDependencies<C>
  readonly #host: ConnectHost<A, P, C>
  readonly #misbehaviour: Misbehaviour<A, P, C>
  /** Incoming handshakes in progress, with their subnet shares (handshake-table.ts). */
  readonly #incoming: HandshakeTable<Socket>
  readonly #groupKey = randomBytes(16)

  constructor(options: ConnectHandlerOptions<A, P, C>) {
    this.#config = options.config
    this.#acl = options.acl
    this.#tables = options.tables
    this.#scores = options.scores
    this.#admission = options.admission
    this.#slots = options.slots
    this.#connectionMetadata = options.connectionMetadata
    this.#announcedPort = options.announcedPort
    this.#lifetime = options.lifetime
    this.#events = options.events
    this.#clock = options.clock
    this.#dependencies = options.dependencies
    this.#host = options.host
    this.#misbehaviour = options.misbehaviour
    const { config } = options
    this.#incoming = new HandshakeTable(
      handshakeTableCapacity(config),
      handshakesPerSubnet(config),
      options.clock,
    )
  }

  get #privateMode(): boolean {
    return this.#config.privateMode
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
    return this.#incoming.size + this.#slots.handshakesOutsideTable
  }

  // ---- Outgoing ----

  /**
   * Dials `point`, runs the handshake and makes it a live connection. Rejects with
   * ConnectionRefusedError (refused by us; `stopped` when the pool stops meanwhile), DialError,
   * ResolveError, a HandshakeError (RejectedByPeerError when the peer sent Nack), or
   * AbortedError when `options.signal` aborts first; the socket is then closed, the slot free.
   */
  async connect(pointText: string, options: ConnectOptions = {}): Promise<ActiveConnection<A, C>> {
    const address = parsePointAddress(pointText) // throws InvalidPointError
    const { point } = address
    const tables = this.#tables
    if (this.#lifetime.aborted) throw new ConnectionRefusedError('stopped', point)
    if (options.signal?.aborted) throw new AbortedError(`connect to ${point}`, options.signal.reason)
    if (tables.isOwnPoint(point)) throw new ConnectionRefusedError('own_point', point)
    const trusted = tables.isPointTrusted(point)
    if (!trusted && tables.isPointBanned(point)) throw new ConnectionRefusedError('point_banned', point)
    if (!this.#slots.mayDial()) throw new ConnectionRefusedError('too_many_connections', point)
    if (this.#privateMode && !trusted) throw new ConnectionRefusedError('private_mode', point)
    const record = tables.registerAddress(address)
    if (record === undefined) throw new ConnectionRefusedError('table_full', point)
    if (record.state === 'running')
      throw new ConnectionRefusedError('already_connected', point, record.peerId)
    if (record.state !== 'disconnected') throw new ConnectionRefusedError('connecting', point, record.peerId)
    tables.points.requested(record, this.#clock.now())
    tables.logPoint(record, 'outgoing_request', undefined)
    const scope = new AbortScope([this.#lifetime, options.signal])
    try {
      let socket: Socket
      try {
        socket = await this.#dependencies.dial(address, {
          signal: scope.signal,
          timeoutMs: options.timeoutMs ?? this.#config.connectionTimeoutMs,
          refused: (ipPoint) =>
            tables.isOwnPoint(ipPoint)
              ? 'own_point'
              : !trusted && this.#acl.isPointBanned(ipPoint)
                ? 'point_banned'
                : undefined,
          dialing: (ip) => {
            if (address.named) record.lastAddress = ip
          },
        })
      } catch (err) {
        const error = scope.signal.aborted ? this.#abortError(point, scope.signal) : (err as Error)
        tables.points.failed(record, this.#clock.now())
        tables.logPoint(record, 'request_rejected', undefined, error.message)
        if (err instanceof ResolveError) this.#events.emit('resolve-failed', { point, error: err })
        this.#events.emit('changed')
        throw error
      }
      if (scope.signal.aborted) {
        socket.destroy()
        tables.points.failed(record, this.#clock.now())
        throw this.#abortError(point, scope.signal)
      }
      try {
        return await this.#handshake(socket, false, scope.signal, record)
      } catch (err) {
        throw scope.signal.aborted ? this.#abortError(point, scope.signal) : err
      }
    } finally {
      scope.dispose()
    }
  }

  /** Why an aborted connect failed: the pool stopping, or the caller's signal. */
  #abortError(point: string, signal: AbortSignal): Error {
    if (this.#lifetime.aborted) return new ConnectionRefusedError('stopped', point)
    return new AbortedError(`connect to ${point}`, signal.reason)
  }

  // ---- Incoming ----

  /**
   * The checks on an incoming socket before a byte is read (the welcome worker's, after the
   * ACL's): room in the handshake table (a free slot, or one its eviction rule frees) or else
   * under the cap on handshakes in flight (to be answered Nack), then the per-address and
   * per-subnet limits. Returns the refusal, or undefined when the socket is admitted and counted
   * until it closes.
   */
  admitIncoming(ip: string, socket: Socket): string | undefined {
    const plan = this.#incoming.plan(ip)
    if (
      plan.kind !== 'free' &&
      plan.kind !== 'evict' &&
      this.handshakesInFlight >= handshakeCap(this.#config)
    )
      return 'too_many_handshakes'
    const admitted = this.#admission.admit(ip)
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
    if (this.#lifetime.aborted) {
      socket.destroy()
      return
    }
    const plan = this.#incoming.plan(ip)
    if (plan.kind === 'evict') {
      const { victim } = plan
      this.#incoming.remove(victim)
      victim.handle.destroy()
      this.#events.emit('refused', { remoteAddress: victim.ip, reason: 'handshake_evicted' })
    }
    if (plan.kind === 'free' || plan.kind === 'evict') {
      const entry = this.#incoming.add(socket, ip)
      this.#handshake(socket, true, this.#lifetime, undefined, entry)
        .catch(() => {})
        .finally(() => this.#incoming.remove(entry))
      return
    }
    this.#slots.handshakeStarted('refusing')
    this.#refuseBusy(socket, ip)
      .catch(() => {})
      .finally(() => this.#slots.handshakeEnded('refusing'))
  }

  /** Runs the handshake only to answer Nack(too_many_connections) with alternative points. */
  async #refuseBusy(socket: Socket, ip: string): Promise<void> {
    let pending: HandshakeInProgress<C>
    try {
      pending = await this.#dependencies.authenticate(
        socket,
        true,
        {
          ...this.#handshakeConfig(),
          connectionMessageTimeoutMs: this.#config.admission.connectionMessageTimeoutMs,
        },
        { signal: this.#lifetime },
      )
    } catch (err) {
      this.#handshakeFailed(err, ip, true, undefined)
      return
    }
    const listening = this.#listeningPointOf(pending.peer, ip)
    await pending.nack('too_many_connections', this.#tables.knownGoodPoints(ALTERNATIVE_POINTS, listening))
    this.#events.emit('handshake-failed', {
      remoteAddress: ip,
      incoming: true,
      error: new ConnectionRefusedError('too_many_connections', listening, pending.peer.peerIdB58),
    })
  }

  // ---- The handshake ----

  #handshakeConfig(entry?: PendingHandshakeEntry<Socket>): HandshakeConfig<C> {
    const c = this.#config
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
      clock: this.#clock,
    }
  }

  async #handshake(
    socket: Socket,
    incoming: boolean,
    signal: AbortSignal,
    dialed: PointRecord | undefined,
    entry?: PendingHandshakeEntry<Socket>,
  ): Promise<ActiveConnection<A, C>> {
    const ip = remoteIpOf(socket)
    if (!incoming) this.#slots.handshakeStarted('outgoing')
    try {
      let pending: HandshakeInProgress<C>
      const began = performance.now()
      try {
        pending = await this.#dependencies.authenticate(socket, incoming, this.#handshakeConfig(entry), {
          signal,
        })
      } catch (err) {
        this.#handshakeFailed(err, ip, incoming, dialed)
        throw err
      }
      return await this.#admit(pending, ip, incoming, signal, dialed, performance.now() - began)
    } finally {
      if (!incoming) this.#slots.handshakeEnded('outgoing')
    }
  }

  #listeningPointOf(peer: AuthenticatedPeer<C>, ip: string): string | undefined {
    const port = peer.remoteConnectionMessage.port
    return port === 0 ? undefined : formatPoint(ip, port)
  }

  /** The checks after the metadata exchange, in this order; the first that fails is the Nack's. */
  #refusal(
    peer: AuthenticatedPeer<C>,
    ip: string,
    incoming: boolean,
    signal: AbortSignal,
    listening: string | undefined,
    pointRecord: PointRecord | undefined,
    peerRecord: PeerRecord<P>,
  ): Refusal | undefined {
    const peerId = peer.peerIdB58
    const trusted = peerRecord.trusted || (pointRecord?.trusted ?? false)
    const expected = pointRecord?.expectedPeerId
    if (signal.aborted) return { motive: 'no_motive', reason: 'stopped' }
    if (!trusted && this.#misbehaviour.greylistedAt(ip, listening))
      return { motive: 'no_motive', reason: 'greylisted' }
    if (expected !== undefined && expected !== peerId) {
      this.#misbehaviour.unexpectedPeer(pointRecord!.point, ip, expected, peerId)
      return { motive: 'no_motive', reason: 'unexpected_peer_id' }
    }
    if (!trusted && this.#acl.isPeerBanned(peerId)) return { motive: 'no_motive', reason: 'peer_banned' }
    if (!peer.version.ok) return { motive: peer.version.motive, reason: peer.version.motive }
    if (!trusted && this.#host.totalScore(peerId) < this.#config.score.disconnectBelow)
      return { motive: 'no_motive', reason: 'low_score' }
    if (this.#privateMode && !trusted) return { motive: 'no_motive', reason: 'private_mode' }
    const pointBusy =
      pointRecord !== undefined &&
      (pointRecord.state === 'accepted' ||
        pointRecord.state === 'running' ||
        (incoming && pointRecord.state === 'requested'))
    if (pointBusy || peerRecord.state !== 'disconnected')
      return { motive: 'already_connected', reason: 'already_connected' }
    if (!this.#takeSlot(incoming, peerId))
      return { motive: 'too_many_connections', reason: 'too_many_connections' }
    return undefined
  }

  /** Ack and adopt, or Nack with the refusal's motive. */
  async #admit(
    pending: HandshakeInProgress<C>,
    ip: string,
    incoming: boolean,
    signal: AbortSignal,
    dialed: PointRecord | undefined,
    latencyMs: number,
  ): Promise<ActiveConnection<A, C>> {
    const tables = this.#tables
    const peer = pending.peer
    const peerId = peer.peerIdB58
    const listening = dialed?.point ?? this.#listeningPointOf(peer, ip)
    const pointRecord =
      dialed ??
      (listening !== undefined && !tables.isOwnPoint(listening) ? tables.registerPoint(listening) : undefined)
    const peerRecord = tables.registerPeer(peerId)
    if (pointRecord) pointRecord.private = this.#connectionMetadata.isPrivate(peer.remoteMetadata)

    const refusal = this.#refusal(peer, ip, incoming, signal, listening, pointRecord, peerRecord)
    if (refusal) {
      const alternatives =
        this.#privateMode || refusal.reason === 'stopped'
          ? []
          : tables.knownGoodPoints(ALTERNATIVE_POINTS, listening)
      await pending.nack(refusal.motive, alternatives).catch(() => {})
      if (dialed) tables.points.failed(dialed, this.#clock.now())
      if (!peer.version.ok) {
        // Another network: greylist the peer id (not its IP: nodes of ours may share it) and
        // forget the point, unless trusted (Octez unregisters it).
        this.#misbehaviour.misbehaved(undefined, peerId, listening, `handshake: ${peer.version.motive}`)
        this.#scores.add(peerId, 'handshakeFailure')
        if (pointRecord && !pointRecord.trusted && pointRecord.state === 'disconnected')
          tables.points.delete(pointRecord.point)
      }
      if (pointRecord) tables.logPoint(pointRecord, 'rejecting_request', peerId, refusal.reason)
      tables.logPeer(peerRecord, 'rejecting_request', ip, listening, refusal.reason)
      const error = new ConnectionRefusedError(refusal.reason, listening, peerId)
      this.#events.emit('handshake-failed', { remoteAddress: ip, incoming, error })
      this.#events.emit('changed')
      throw error
    }

    if (pointRecord) tables.points.accepted(pointRecord, peerId)
    peerRecord.state = 'accepted'
    if (pointRecord) tables.logPoint(pointRecord, 'accepting_request', peerId)
    tables.logPeer(peerRecord, 'incoming_request', ip, listening)
    let result: HandshakeResult<C>
    try {
      try {
        result = await pending.accept()
      } catch (err) {
        if (pointRecord?.state === 'accepted') tables.points.failed(pointRecord, this.#clock.now())
        peerRecord.state = 'disconnected'
        this.#handshakeFailed(err, ip, incoming, undefined)
        throw err
      }
    } finally {
      this.#slots.unreserve(incoming)
    }
    if (signal.aborted) {
      result.socket.destroy()
      if (pointRecord) tables.points.disconnected(pointRecord, this.#clock.now())
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
    if (!incoming) return this.#slots.reserveOutbound()
    if (this.#slots.inboundFull()) {
      const victim = this.#evictionVictim()
      if (victim === undefined) return false
      this.#slots.evict(victim, true)
      this.#events.emit('evicted', { peerId: victim.peerId, remoteAddress: victim.ip, newcomer })
      void victim.connection.close({ kind: 'local', detail: 'evicted: inbound slots full' })
    }
    this.#slots.reserveInbound()
    return true
  }

  #evictionVictim(): ActiveConnection<A, C> | undefined {
    const candidates: EvictionCandidate[] = []
    const byPeer = new Map<string, ActiveConnection<A, C>>()
    for (const a of this.#tables.active()) {
      if (!a.incoming || this.#slots.isEvicting(a) || this.#tables.isConnectionTrusted(a)) continue
      byPeer.set(a.peerId, a)
      candidates.push({
        peerId: a.peerId,
        group: netGroup(a.ip),
        connectedAt: a.connectedAt,
        latencyMs: a.latencyMs,
        lastUsefulAt: this.#scores.lastUsefulAt(a.peerId),
        score: this.#host.totalScore(a.peerId),
      })
    }
    const rank = (group: string) =>
      createHmac('sha256', this.#groupKey).update(group).digest().readUInt32BE(0)
    const chosen = selectToEvict(candidates, this.#config.eviction, this.#clock.now(), rank)
    return chosen === undefined ? undefined : byPeer.get(chosen)
  }

  /** Records a failed handshake; greylists on the causes of SPEC 5 (not on timeouts, closes or aborts). */
  #handshakeFailed(err: unknown, ip: string, incoming: boolean, dialed: PointRecord | undefined): void {
    const tables = this.#tables
    if (err instanceof HandshakeError) {
      if (err.peerId !== undefined && !BLAMELESS_HANDSHAKE_FAILURES.has(err.failure))
        this.#host.penalize(err.peerId, 'handshakeFailure')
      if (GREYLISTED_HANDSHAKE_FAILURES.has(err.failure)) {
        this.#misbehaviour.misbehaved(ip, err.peerId, dialed?.point, `handshake: ${err.failure}`)
      } else if (err.failure === 'self_connection' && dialed) {
        tables.addOwnPoint(dialed.point)
        dialed = undefined
      } else if (err instanceof RejectedByPeerError) {
        tables.registerPoints(err.alternativePoints, err.peerId)
      }
    }
    if (dialed) {
      tables.points.failed(dialed, this.#clock.now())
      const peerId = err instanceof HandshakeError ? err.peerId : undefined
      tables.logPoint(dialed, 'request_rejected', peerId, (err as Error).message)
      const peerRecord = peerId === undefined ? undefined : tables.peers.get(peerId)
      if (peerRecord) tables.logPeer(peerRecord, 'request_rejected', ip, dialed.point, (err as Error).message)
    }
    this.#events.emit('handshake-failed', {
      remoteAddress: ip,
      incoming,
      error: err instanceof Error ? err : new Error(String(err)),
    })
    this.#events.emit('changed')
  }

  // ---- Live connections ----

  #adopt(
    result: HandshakeResult<C>,
    ip: string,
    incoming: boolean,
    point: string | undefined,
    pointRecord: PointRecord | undefined,
    peerRecord: PeerRecord<P>,
    latencyMs: number,
  ): ActiveConnection<A, C> {
    const tables = this.#tables
    const peerId = result.peer.peerIdB58
    const active = this.#host.open(result, peerRecord, { ip, point, incoming, latencyMs })
    const now = active.connectedAt
    tables.addActive(active)
    this.#slots.opened(incoming)
    this.#scores.connected(peerId)
    if (pointRecord) tables.points.running(pointRecord, peerId, now)
    if (pointRecord) tables.logPoint(pointRecord, 'connection_established', peerId)
    tables.logPeer(peerRecord, 'connection_established', ip, point)
    peerRecord.state = 'running'
    peerRecord.lastSeen = now
    if (point !== undefined) tables.peers.seenAt(peerRecord, point)
    this.#events.emit('connection', { peerId, point, remoteAddress: ip, incoming })
    const { ceiling } = this.#slots.limits
    if (tables.activeCount >= ceiling)
      this.#events.emit('too-many-connections', { active: tables.activeCount, max: ceiling })
    this.#events.emit('changed')
    void active.connection.closed.then((reason) => this.#closed(active, reason))
    this.#host.run(active)
    return active
  }

  #closed(active: ActiveConnection<A, C>, reason: CloseReason): void {
    const tables = this.#tables
    if (tables.removeActive(active)) this.#slots.closed(active.incoming)
    this.#slots.evicted(active)
    this.#scores.disconnected(active.peerId)
    const now = this.#clock.now()
    const pointRecord = active.point === undefined ? undefined : tables.points.get(active.point)
    if (pointRecord?.state === 'running' && pointRecord.peerId === active.peerId)
      tables.points.disconnected(pointRecord, now)
    const peerRecord = tables.peers.get(active.peerId)
    if (peerRecord) {
      peerRecord.state = 'disconnected'
      peerRecord.lastSeen = now
    }
    const closedBy: PointEventKind & PeerEventKind =
      reason.kind === 'local' ? 'disconnection' : 'external_disconnection'
    const why = describeCloseReason(reason)
    if (pointRecord) tables.logPoint(pointRecord, closedBy, active.peerId, why)
    if (peerRecord) tables.logPeer(peerRecord, closedBy, active.ip, active.point, why)
    this.#misbehaviour.connectionClosed(active, reason)
    this.#events.emit('disconnection', {
      peerId: active.peerId,
      point: active.point,
      remoteAddress: active.ip,
      incoming: active.incoming,
      reason,
    })
    const { minConnections } = this.#config
    if (!this.#lifetime.aborted && tables.activeCount < minConnections)
      this.#events.emit('too-few-connections', { active: tables.activeCount, min: minConnections })
    this.#events.emit('changed')
  }
}
