// The pool of connections (Octez's P2p_pool): composes the tables, the slots and the connect
// handler, and keeps the application queue, score enforcement and the reactions to ACL changes.
import { EventEmitter, setMaxListeners } from 'node:events'
import type { Socket } from 'node:net'
import type { AccessControl, AclChange } from '../acl/index.js'
import { BoundedQueue } from '../io/bounded-queue.js'
import { type Clock, systemClock } from '../io/clock.js'
import { MemoryBudget } from '../io/memory-budget.js'
import type { IoScheduler } from '../io/scheduler.js'
import { Connection, type HandshakeResult } from '../socket/index.js'
import type { MessageRegistry } from '../wire/index.js'
import { type AdmissionLimiter, AdmissionLimiter as Limiter } from './admission.js'
import { AnswerThrottle, runAnswerer } from './answerer.js'
import { handshakeCap, type P2pConfig, type SlotLimits, slotLimits } from './config.js'
import { type ConnectDependencies, type ConnectOptions, socketDependencies } from './connect-deps.js'
import { ConnectHandler } from './connect-handler.js'
import { Discovery, type DiscoveryHost } from './discovery.js'
import type { KnownPeers, PeerRecord } from './known-peers.js'
import type { KnownPoints, PointRecord } from './known-points.js'
import { budgetVictim } from './memory-guard.js'
import { Misbehaviour } from './misbehaviour.js'
import { PeerScores, type ScoreComponent } from './peer-score.js'
import { isNamedPoint, parsePointAddress } from './point-address.js'
import type {
  ActiveConnection,
  ConnectionInfo,
  ConnectionMetadataConfig,
  PeerInfo,
  PeerMetadataConfig,
  PointInfo,
  PoolEvents,
  ReceivedMessage,
  SlotCounts,
} from './pool-types.js'
import { type Resolver, systemResolver } from './resolver.js'
import { Slots } from './slots.js'
import { PoolTables } from './tables.js'
import { connectionInfo, peerInfo, pointInfo, type ViewSources } from './views.js'
import {
  VIOLATION_SCORE_SHARE,
  VIOLATIONS_PER_SCORE_CHARGE,
  ViolationCounter,
  type ViolationKind,
} from './violations.js'

export * from './pool-types.js'

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
  readonly resolver?: Resolver | undefined
  /** The clock of every timestamp, timeout and expiry (default systemClock). */
  readonly clock?: Clock
  /** The connect handler's I/O (default: TCP dials and the socket handshake; fakes in tests). */
  readonly dependencies?: ConnectDependencies<C>
}

export class Pool<A, P, C> extends EventEmitter<PoolEvents> implements DiscoveryHost<A, C> {
  readonly config: P2pConfig
  readonly acl: AccessControl
  /** Known points and peers, live connections. */
  readonly tables: PoolTables<A, P, C>
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
  readonly #slots: Slots<ActiveConnection<A, C>>
  readonly #handler: ConnectHandler<A, P, C>
  readonly #misbehaviour: Misbehaviour<A, P, C>
  readonly #discovery: Discovery<A, C>
  readonly #views: ViewSources<A, P, C>
  /** Aborted by close(): every dial and handshake in flight ends (Octez's canceler). */
  readonly #lifetime = new AbortController()
  readonly #application: BoundedQueue<ReceivedMessage<A>>
  readonly #applicationBounded: boolean

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
    // One listener per dial and handshake in flight, each removed when it ends.
    setMaxListeners(0, this.#lifetime.signal)
    this.tables = new PoolTables({
      config,
      acl: this.acl,
      initialPeerMetadata: () => this.#peerMetadata.initial(),
      events: this,
      clock: this.clock,
    })
    this.points = this.tables.points
    this.peers = this.tables.peers
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
    this.#slots = new Slots(this.slots)
    this.admission = new Limiter(config.admission, this.clock)
    this.#views = {
      tables: this.tables,
      acl: this.acl,
      scores: this.scores,
      peerMetadata: this.#peerMetadata,
      backoff: config.maintenance.backoff,
    }
    const shared = {
      acl: this.acl,
      tables: this.tables,
      scores: this.scores,
      events: this,
      clock: this.clock,
    }
    this.#misbehaviour = new Misbehaviour({ ...shared, admission: this.admission })
    this.#handler = new ConnectHandler({
      ...shared,
      config,
      admission: this.admission,
      slots: this.#slots,
      connectionMetadata: this.#connectionMetadata,
      announcedPort: options.announcedPort,
      lifetime: this.#lifetime.signal,
      misbehaviour: this.#misbehaviour,
      dependencies:
        options.dependencies ??
        socketDependencies({
          resolver: options.resolver ?? systemResolver,
          clock: this.clock,
          scheduler: this.#scheduler,
          keepalive: config.tcpKeepalive,
          localAddress: config.localAddress,
        }),
      host: {
        open: (result, peerRecord, where) => this.#open(result, peerRecord, where),
        run: (active) => this.#run(active),
        totalScore: (peerId) => this.totalScore(peerId),
        penalize: (peerId, component, amount) => this.penalize(peerId, component, amount),
      },
    })
    this.acl.on('greylisted', (event) => this.emit('greylisted', event))
    this.acl.on('changed', (change) => this.#aclChanged(change))
  }

  get privateMode(): boolean {
    return this.config.privateMode
  }

  /** Number of live connections. */
  get activeCount(): number {
    return this.tables.activeCount
  }

  /** Incoming handshakes in progress (bounded by max_incoming_connections). */
  get incomingHandshakes(): number {
    return this.#handler.incomingHandshakes
  }

  /** Incoming handshakes in progress per subnet, the largest first. */
  incomingHandshakesBySubnet(): Array<{ readonly subnet: string; readonly count: number }> {
    return this.#handler.incomingHandshakesBySubnet()
  }

  /** Handshakes in progress, both directions (busy refusals included). */
  get handshakesInFlight(): number {
    return this.#handler.handshakesInFlight
  }

  slotCounts(): SlotCounts {
    return {
      ...this.slots,
      inbound: this.#slots.inbound,
      outbound: this.#slots.outbound,
      handshakes: this.handshakesInFlight,
      maxHandshakes: handshakeCap(this.config),
    }
  }

  get closed(): boolean {
    return this.#lifetime.signal.aborted
  }

  // ---- Connecting (connect-handler.ts) ----

  /** Dials `point` and makes it a live connection (ConnectHandler.connect: its rules and errors). */
  connect(pointText: string, options: ConnectOptions = {}): Promise<ActiveConnection<A, C>> {
    return this.#handler.connect(pointText, options)
  }

  /** The checks on an incoming socket before a byte is read (ConnectHandler.admitIncoming). */
  admitIncoming(ip: string, socket: Socket): string | undefined {
    return this.#handler.admitIncoming(ip, socket)
  }

  /** Takes an admitted incoming socket to its handshake (ConnectHandler.accept). */
  accept(socket: Socket): void {
    this.#handler.accept(socket)
  }

  /** The live connection of a finished handshake: its Connection over the socket, throttle and counter. */
  #open(
    result: HandshakeResult<C>,
    peerRecord: PeerRecord<P>,
    where: { ip: string; point: string | undefined; incoming: boolean; latencyMs: number },
  ): ActiveConnection<A, C> {
    const { incomingQueueBytes, outgoingQueueBytes, writeStallTimeoutMs } = this.config
    const peerId = result.peer.peerIdB58
    let active: ActiveConnection<A, C> | undefined
    const connection = new Connection(result, this.#messages, this.#scheduler, {
      ...(incomingQueueBytes ? { incomingQueueBytes } : {}),
      ...(outgoingQueueBytes ? { outgoingQueueBytes } : {}),
      writeStallTimeoutMs,
      budget: this.budget,
      clock: this.clock,
      onEmptyChunk: () => {
        if (active) this.#violated(active, 'empty_chunk')
      },
      score: () => this.scores.behaviour(peerId) + this.#peerMetadata.score(peerRecord.metadata),
    })
    active = {
      connection,
      peerId,
      ip: where.ip,
      point: where.point,
      incoming: where.incoming,
      private: this.#connectionMetadata.isPrivate(result.peer.remoteMetadata),
      throttle: new AnswerThrottle(this.clock),
      violations: new ViolationCounter(
        this.config.violationBudget,
        this.config.violationsForgivenPerSecond,
        this.clock,
      ),
      connectedAt: this.clock.now(),
      latencyMs: where.latencyMs,
      sentSwapRequest: undefined,
    }
    return active
  }

  /** Answers on an adopted connection: application messages queued, discovery, violations charged. */
  #run(active: ActiveConnection<A, C>): void {
    const { connection } = active
    const handlers = {
      ...this.#discovery.handlersFor(active),
      excess: (kind: ViolationKind) => this.#violated(active, kind),
    }
    runAnswerer(connection, handlers, active.throttle).catch((err: Error) =>
      connection.destroy({ kind: 'local', detail: `answerer failed: ${err.message}` }),
    )
  }

  /**
   * Pins `point` to `peerId` (as Octez's set_expected_peer_id): the point is registered if new;
   * a live connection there with another peer is closed and its IP greylisted. False when the
   * point is invalid or the table is full.
   */
  setExpectedPeerId(pointText: string, peerId: string): boolean {
    const address = parsePointAddress(pointText)
    const record = this.tables.registerAddress(address)
    if (record === undefined) return false
    record.expectedPeerId = peerId
    if (record.state === 'running' && record.peerId !== undefined && record.peerId !== peerId) {
      const active = this.tables.find(record.peerId)
      if (active) {
        this.#misbehaviour.unexpectedPeer(record.point, active.ip, peerId, record.peerId)
        void active.connection.close({ kind: 'local', detail: 'unexpected peer id' })
      }
    }
    this.emit('changed')
    return true
  }

  /**
   * Charges a protocol violation to the connection: every VIOLATIONS_PER_SCORE_CHARGE of them cost
   * the score; past the connection's budget it is closed (`flood`, then greylisted once closed).
   */
  #violated(active: ActiveConnection<A, C>, kind: ViolationKind): void {
    const over = active.violations.charge()
    if (active.violations.total % VIOLATIONS_PER_SCORE_CHARGE === 0)
      this.penalize(active.peerId, 'violation', VIOLATIONS_PER_SCORE_CHARGE * VIOLATION_SCORE_SHARE)
    if (over && active.connection.closeReason === undefined && !this.tables.isConnectionTrusted(active))
      active.connection.destroy({ kind: 'flood', violations: active.violations.total, last: kind })
  }

  /** Over the memory budget: drops the connections holding the most until back under it. */
  #shedMemory(): void {
    const budgetBytes = this.budget.limit
    while (this.budget.held > budgetBytes) {
      const holders = [...this.tables.active()]
        .filter((a) => a.connection.closeReason === undefined)
        .map((a) => ({
          active: a,
          queuedBytes: a.connection.queuedBytes,
          trusted: this.tables.isConnectionTrusted(a),
        }))
      const victim = budgetVictim(holders)
      if (victim === undefined) return
      victim.active.connection.destroy({
        kind: 'memory_budget',
        queuedBytes: victim.queuedBytes,
        budgetBytes,
      })
    }
  }

  // ---- Tables and views (tables.ts, views.ts) ----

  find(peerId: string): ActiveConnection<A, C> | undefined {
    return this.tables.find(peerId)
  }

  /** The live connection whose listening point is `point`. */
  findByPoint(point: string): ActiveConnection<A, C> | undefined {
    return this.tables.findByPoint(point)
  }

  active(): IterableIterator<ActiveConnection<A, C>> {
    return this.tables.active()
  }

  /** The live connection with `peerId`, or NotConnectedError. */
  get(peerId: string): ActiveConnection<A, C> {
    return this.tables.get(peerId)
  }

  /** Closes the connection with `peerId` (Disconnect first); resolves when it is closed. */
  async disconnect(peerId: string, detail = 'disconnect'): Promise<void> {
    const active = this.tables.find(peerId)
    if (active) await active.connection.close({ kind: 'local', detail })
  }

  /** Removes a point that is not in use from the table (trusted ones too); false when unknown or in use. */
  forgetPoint(point: string): boolean {
    return this.tables.forgetPoint(point)
  }

  /** Removes a disconnected peer from the table; false when unknown or connected. */
  forgetPeer(peerId: string): boolean {
    return this.tables.forgetPeer(peerId)
  }

  connectionInfo(active: ActiveConnection<A, C>): ConnectionInfo<C> {
    return connectionInfo(this.#views, active)
  }

  pointInfo(r: PointRecord): PointInfo {
    return pointInfo(this.#views, r)
  }

  peerInfo(r: PeerRecord<P>): PeerInfo<P> {
    return peerInfo(this.#views, r)
  }

  /** A point heard by local discovery (PoolTables.registerDiscoveredPoint). */
  registerDiscoveredPoint(ip: string, port: number, trusted: boolean): PointRecord | undefined {
    return this.tables.registerDiscoveredPoint(ip, port, trusted)
  }

  /** Learns points from an Advertise or a Nack (PoolTables.registerPoints); returns how many were dropped. */
  registerPoints(points: readonly string[], source: string | undefined): number {
    return this.tables.registerPoints(points, source)
  }

  /** Whether a point a peer names may be learnt (PoolTables.mayLearn). */
  mayLearn(pointText: string): boolean {
    return this.tables.mayLearn(pointText)
  }

  /** Puts back saved records (at start). */
  restore(points: readonly PointRecord[], peers: readonly PeerRecord<P>[]): void {
    this.tables.restore(points, peers)
  }

  /** Known points worth handing to others (PoolTables.knownGoodPoints). */
  knownGoodPoints(limit: number, exclude?: string): string[] {
    return this.tables.knownGoodPoints(limit, exclude)
  }

  /** Whether a trusted peer or point (ACL or config) may be behind a connection from `ip`. */
  mayTrustSomeoneAt(ip: string): boolean {
    return this.tables.mayTrustSomeoneAt(ip)
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

  // ---- Scores ----

  /** Sets the application's metadata of a known peer (registering it); it rescores its connection. */
  setPeerMetadata(peerId: string, metadata: P): void {
    this.tables.registerPeer(peerId).metadata = metadata
    this.#enforceScore(peerId)
    this.emit('changed')
  }

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
    for (const active of [...this.tables.active()]) if (this.#enforceScore(active.peerId)) count++
    return count
  }

  #enforceScore(peerId: string): boolean {
    const score = this.totalScore(peerId)
    if (!(score < this.config.score.disconnectBelow)) return false
    const active = this.tables.find(peerId)
    if (active ? this.tables.isConnectionTrusted(active) : this.tables.isPeerTrusted(peerId)) return false
    this.acl.greylistPeer(peerId, `score ${score.toFixed(2)} below ${this.config.score.disconnectBelow}`)
    this.emit('low-score', { peerId, score })
    if (active) void active.connection.close({ kind: 'local', detail: 'score below threshold' })
    return active !== undefined
  }

  // ---- Discovery (discovery.ts) ----

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
    if (change.action === 'trust' && change.kind === 'point') this.tables.registerPoint(change.entry)
    if (change.action === 'trust' && change.kind === 'peer') this.tables.registerPeer(change.entry)
    this.tables.refreshTrust()
    if (change.action === 'ban') {
      for (const active of this.tables.active()) {
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

  /** Refuses new connections, aborts dials and handshakes, closes every connection (Disconnect) and the app queue. */
  async close(): Promise<void> {
    if (this.#lifetime.signal.aborted) return
    this.#lifetime.abort(new Error('the pool stopped'))
    await Promise.all(
      [...this.tables.active()].map((a) => a.connection.close({ kind: 'local', detail: 'shutdown' })),
    )
    this.#application.close(new Error('the P2p instance stopped'))
  }
}
