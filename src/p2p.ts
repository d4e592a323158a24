// The library's entry point (Octez's P2p module): createP2p builds a node's peer-to-peer layer
// from a config and the application's messages and metadata; the P2p object runs and queries it.
import type { EventEmitter } from 'node:events'
import { AccessControl } from './acl/index.js'
import { peerIdToB58 } from './crypto/index.js'
import { InvalidArgumentError } from './errors/index.js'
import { type Clock, systemClock } from './io/clock.js'
import { QueueClosedError } from './io/errors.js'
import { pullIterator } from './io/pull-iterator.js'
import { IoScheduler } from './io/scheduler.js'
import { maintenancePoolOf } from './maintenance-adapter.js'
import {
  defaultConnectionMetadata,
  NO_PEER_METADATA,
  type P2pApplication,
  type P2pEvents,
  type P2pListener,
  type P2pStats,
} from './p2p-application.js'
import { type P2pConfig, type P2pConfigInput, parseP2pConfig } from './pool/config.js'
import type { MaintenanceBounds } from './pool/connection-bounds.js'
import { NotConnectedError, P2pNotRunningError } from './pool/errors.js'
import type { PeerEvent, PointEvent } from './pool/history.js'
import { poolStateOf, recordsOf } from './pool/persistence/pool-state.js'
import { type LoadResult, StateStore } from './pool/persistence/state-store.js'
import { canonicalPointAddress } from './pool/point-address.js'
import {
  type ConnectionInfo,
  type ConnectionMetadataConfig,
  type PeerInfo,
  type PeerMetadataConfig,
  type PointInfo,
  Pool,
  type PoolEvents,
  type ReceivedMessage,
  type SlotCounts,
} from './pool/pool.js'
import type { Metadata } from './wire/index.js'
import { LocalDiscovery, type LocalDiscoveryStats } from './workers/local-discovery.js'
import { MaintenanceWorker, type StepReport } from './workers/maintenance.js'
import { WelcomeWorker } from './workers/welcome.js'

/**
 * Creates the layer: checks the config (P2pConfigError names the bad field), loads the saved
 * state from `config.dataDir` when set (a corrupt file is moved aside: see `stateLoad`), and
 * returns a P2p object, not yet listening: call `start()`.
 */
export async function createP2p<A, P = null, C = Metadata>(
  config: P2pConfigInput,
  app: P2pApplication<A, P, C>,
): Promise<P2p<A, P, C>> {
  const checked = parseP2pConfig(config)
  const clock = app.clock ?? systemClock
  const store = checked.dataDir
    ? new StateStore(checked.dataDir, {
        saveDelayMs: checked.saveDelayMs,
        clock,
        logger: app.logger,
      })
    : undefined
  const loaded = store ? await store.load() : undefined
  const aclOptions = { greylistTimeoutMs: checked.greylistTimeoutMs, clock }
  let acl = new AccessControl(aclOptions)
  if (loaded) {
    try {
      acl = AccessControl.fromJSON(loaded.state.acl, aclOptions)
    } catch (err) {
      app.logger?.warn({ path: store?.path }, `the saved ACL is unusable, starting without it: ${err}`)
    }
  }
  return new P2p(checked, app, acl, store, loaded)
}

/** A node's peer-to-peer layer. `A`: application messages; `P`: peer metadata; `C`: connection metadata. */
export class P2p<A, P = null, C = Metadata> {
  readonly config: P2pConfig
  /** The administrator's bans and trusts and the greylist; changes apply at once (a ban kicks). */
  readonly acl: AccessControl
  /** How the saved state was found at creation (undefined without a data dir). */
  readonly stateLoad: Omit<LoadResult, 'state'> | undefined
  readonly #pool: Pool<A, P, C>
  readonly #scheduler: IoScheduler
  readonly #store: StateStore | undefined
  readonly #peerMetadata: PeerMetadataConfig<P>
  readonly #welcome: WelcomeWorker | undefined
  readonly #maintenance: MaintenanceWorker
  readonly #clock: Clock
  #localDiscovery: LocalDiscovery | undefined
  #status: 'created' | 'running' | 'stopping' | 'stopped' = 'created'
  #savePending = false

  constructor(
    config: P2pConfig,
    app: P2pApplication<A, P, C>,
    acl: AccessControl,
    store: StateStore | undefined,
    loaded: LoadResult | undefined,
  ) {
    this.config = config
    this.acl = acl
    this.#clock = app.clock ?? systemClock
    this.#store = store
    this.#peerMetadata = app.peerMetadata ?? (NO_PEER_METADATA as unknown as PeerMetadataConfig<P>)
    const connectionMetadata =
      app.connectionMetadata ??
      (defaultConnectionMetadata(config.privateMode) as unknown as ConnectionMetadataConfig<C>)
    this.#scheduler = new IoScheduler({
      clock: this.#clock,
      readBufferSize: config.readBufferSize,
      maxUploadSpeed: config.maxUploadSpeed,
      maxDownloadSpeed: config.maxDownloadSpeed,
    })
    this.#welcome = config.listen
      ? new WelcomeWorker({
          config,
          clock: this.#clock,
          check: (ip, socket) => {
            const status = this.acl.ipStatus(ip)
            if (status === 'banned') return status
            // A trusted peer or point may be on a greylisted IP: the pool decides once it is known.
            if (status === 'greylisted' && !this.#pool.mayTrustSomeoneAt(ip)) return status
            if (status === 'trusted') return undefined
            return this.#pool.admitIncoming(ip, socket)
          },
          onSocket: (socket) => this.#pool.accept(socket),
          onRefused: (ip, reason) => this.#pool.emit('refused', { remoteAddress: ip, reason }),
          readBuffer: this.#scheduler.readBuffer,
          onIpv6Fallback: (error) =>
            this.#events.emit('listen-fallback', { from: config.listenHost, to: '0.0.0.0', error }),
        })
      : undefined
    this.#pool = new Pool({
      config,
      messages: app.messages,
      peerMetadata: this.#peerMetadata,
      connectionMetadata,
      acl,
      scheduler: this.#scheduler,
      clock: this.#clock,
      announcedPort: () =>
        this.#welcome?.port === undefined ? undefined : (config.advertisedPort ?? this.#welcome.port),
      resolver: app.resolver,
    })
    if (loaded) {
      const { points, peers } = recordsOf(loaded.state, this.#peerMetadata.encoding, () =>
        this.#peerMetadata.initial(),
      )
      this.#pool.restore(points, peers)
      const { state: _state, ...rest } = loaded
      this.stateLoad = rest
    }
    if (store) this.#pool.on('changed', () => this.#scheduleSave())
    this.#maintenance = new MaintenanceWorker(maintenancePoolOf(this), {
      config,
      minOutbound: this.#pool.slots.minOutbound,
      clock: this.#clock,
    })
    this.#maintenance.on('step', (report) => this.#events.emit('maintenance', report))
    this.#maintenance.on('step-failed', (failure) => this.#events.emit('maintenance-failed', failure))
  }

  /** Our peer id (base58). */
  get peerId(): string {
    return peerIdToB58(this.config.identity.peerId)
  }

  /** The port listened on once started (undefined when not listening). */
  get port(): number | undefined {
    return this.#welcome?.port
  }

  /** The address listened on once started: config.listenHost, or 0.0.0.0 after an IPv6 fallback. */
  get listenHost(): string | undefined {
    return this.#welcome?.host
  }

  /** Local discovery's counters (undefined when it is off). */
  localDiscoveryStats(): LocalDiscoveryStats | undefined {
    return this.#localDiscovery?.stats()
  }

  get running(): boolean {
    return this.#status === 'running'
  }

  /**
   * Starts listening (unless `listen: false`) and the maintenance worker (unless
   * `maintenance.enabled` is false), whose first step dials the bootstrap and trusted points.
   * Throws ListenError if the port cannot be had.
   */
  async start(): Promise<void> {
    if (this.#status !== 'created') throw new InvalidArgumentError(`P2p.start: already ${this.#status}`)
    await this.#welcome?.start()
    await this.#startLocalDiscovery().catch(async (err) => {
      await this.#welcome?.stop()
      throw err
    })
    this.#status = 'running'
    if (this.config.maintenance.enabled) this.#maintenance.start()
  }

  /** Local discovery, when configured and listening: the points heard are registered (see LocalDiscovery). */
  async #startLocalDiscovery(): Promise<void> {
    const discovery = this.config.localDiscovery
    const announced = this.config.advertisedPort ?? this.#welcome?.port
    if (discovery === undefined || announced === undefined) return
    const local = new LocalDiscovery({
      peerId: this.config.identity.peerId,
      listeningPort: announced,
      config: discovery,
      clock: this.#clock,
      localAddress: this.config.localAddress,
      onPoint: (ip, port) => this.#pool.registerDiscoveredPoint(ip, port, discovery.trusted),
      onError: (error) => this.#events.emit('local-discovery-error', { error }),
    })
    await local.start()
    this.#localDiscovery = local
  }

  /** Starts local discovery's broadcasts over from their first, short pause (the maintenance, short of peers). */
  wakeLocalDiscovery(): void {
    this.#localDiscovery?.wakeup()
  }

  /**
   * Stops the maintenance and accepting, closes every connection (Disconnect sent), ends the
   * message iterator, saves the state.
   */
  async stop(): Promise<void> {
    if (this.#status !== 'running' && this.#status !== 'created') return
    this.#status = 'stopping'
    await this.#maintenance.stop()
    await this.#localDiscovery?.stop()
    await this.#welcome?.stop()
    await this.#pool.close()
    this.#scheduler.close()
    this.#status = 'stopped'
    if (this.#store) await this.#store.save(this.#snapshot())
  }

  // ---- Connections ----

  /**
   * Connects to `point` ("host:port": an IP address or a DNS name, resolved now and each address
   * tried in turn; "host:port#PEER_ID" also pins the point to that peer); resolves with the
   * connection once both sides sent Ack. Rejects with InvalidPointError, ConnectionRefusedError
   * (our ACL, limits, private mode, already connected, `unexpected_peer_id`), ResolveError,
   * DialError, a HandshakeError (RejectedByPeerError when the peer answered Nack), or
   * AbortedError (`DUNE_ABORTED`) when `options.signal` aborts first. `timeoutMs` bounds the
   * dial (default connection_timeout); stop() ends every connect in flight (`stopped`).
   */
  async connect(
    point: string,
    options: { readonly signal?: AbortSignal | undefined; readonly timeoutMs?: number | undefined } = {},
  ): Promise<ConnectionInfo<C>> {
    this.#mustRun('connect')
    const active = await this.#pool.connect(point, options)
    return this.#pool.connectionInfo(active)
  }

  /**
   * Closes the connection with the peer (queued messages, then Disconnect); resolves once closed.
   * `detail` is the close reason's detail that the disconnection event carries (default 'disconnect').
   */
  disconnect(peerId: string, detail?: string): Promise<void> {
    return this.#pool.disconnect(peerId, detail)
  }

  /** Forgets a known point that is not connected or being connected; false when unknown or in use. */
  forgetPoint(point: string): boolean {
    return this.#pool.forgetPoint(canonicalPointAddress(point) ?? point)
  }

  /**
   * Pins a point to the peer id expected there (Octez's set_expected_peer_id): any other peer
   * answering there is refused and its IP greylisted; a live connection there with another
   * peer is closed the same way. The point (IP or DNS name) is registered if new. Throws
   * InvalidPointError; false when the table of known points is full.
   */
  setExpectedPeerId(point: string, peerId: string): boolean {
    return this.#pool.setExpectedPeerId(point, peerId)
  }

  /** Forgets a known peer that is not connected; false when unknown or connected. */
  forgetPeer(peerId: string): boolean {
    return this.#pool.forgetPeer(peerId)
  }

  /** Sends to a connected peer, waiting while its outgoing queue is full. Rejects with NotConnectedError. */
  send(peerId: string, message: A): Promise<void> {
    const active = this.#pool.find(peerId)
    if (!active) return Promise.reject(new NotConnectedError(peerId))
    return active.connection.send({ kind: 'application', message })
  }

  /** Queues to a connected peer if there is room now; false if not connected or its queue is full. */
  trySend(peerId: string, message: A): boolean {
    return this.#pool.find(peerId)?.connection.trySend({ kind: 'application', message }) ?? false
  }

  /** Queues to every connected peer that has room; returns how many took it. */
  broadcast(message: A): number {
    let sent = 0
    for (const active of this.#pool.active()) {
      if (active.connection.trySend({ kind: 'application', message })) sent++
    }
    return sent
  }

  // ---- Receiving ----

  /** The next application message from any peer. Rejects with QueueClosedError once stopped. */
  receive(): Promise<ReceivedMessage<A>> {
    return this.#pool.receive()
  }

  /** A received application message if one waits, else undefined. */
  tryReceive(): ReceivedMessage<A> | undefined {
    return this.#pool.tryReceive()
  }

  /** The received application messages, `{ peer, message }`, until the instance stops. */
  [Symbol.asyncIterator](): AsyncIterator<ReceivedMessage<A>> {
    return pullIterator(
      () => this.#pool.tryReceive(),
      () => this.#pool.receive(),
      (err) => err instanceof QueueClosedError,
    )
  }

  // ---- Lookups ----

  connections(): ConnectionInfo<C>[] {
    return [...this.#pool.active()].map((a) => this.#pool.connectionInfo(a))
  }

  connection(peerId: string): ConnectionInfo<C> | undefined {
    const active = this.#pool.find(peerId)
    return active ? this.#pool.connectionInfo(active) : undefined
  }

  points(): PointInfo[] {
    return [...this.#pool.points.values()].map((r) => this.#pool.pointInfo(r))
  }

  point(point: string): PointInfo | undefined {
    const key = canonicalPointAddress(point)
    const record = key === undefined ? undefined : this.#pool.points.get(key)
    return record ? this.#pool.pointInfo(record) : undefined
  }

  /** The last events of a known point (oldest first; Octez's point log), or undefined when unknown. */
  pointLog(point: string): PointEvent[] | undefined {
    const key = canonicalPointAddress(point)
    const record = key === undefined ? undefined : this.#pool.points.get(key)
    return record === undefined ? undefined : (record.history?.events() ?? [])
  }

  /** The last events of a known peer (oldest first; Octez's peer log), or undefined when unknown. */
  peerLog(peerId: string): PeerEvent[] | undefined {
    const record = this.#pool.peers.get(peerId)
    return record === undefined ? undefined : (record.history?.events() ?? [])
  }

  peers(): PeerInfo<P>[] {
    return [...this.#pool.peers.values()].map((r) => this.#pool.peerInfo(r))
  }

  peer(peerId: string): PeerInfo<P> | undefined {
    const record = this.#pool.peers.get(peerId)
    return record ? this.#pool.peerInfo(record) : undefined
  }

  /** Replaces the application's metadata of a peer; its score (and bandwidth share) follows. */
  setPeerMetadata(peerId: string, metadata: P): void {
    this.#pool.setPeerMetadata(peerId, metadata)
  }

  /** Incoming handshakes in progress per subnet (IPv4 /16, IPv6 /32), the largest first. */
  incomingHandshakesBySubnet(): Array<{ readonly subnet: string; readonly count: number }> {
    return this.#pool.incomingHandshakesBySubnet()
  }

  stats(): P2pStats {
    return {
      activeConnections: this.#pool.activeCount,
      slots: this.#pool.slotCounts(),
      incomingHandshakes: this.#pool.incomingHandshakes,
      knownPoints: this.#pool.points.size,
      knownPeers: this.#pool.peers.size,
      io: this.#scheduler.stats(),
      memory: {
        queuedBytes: this.#pool.budget.held,
        peakBytes: this.#pool.budget.peak,
        budgetBytes: this.#pool.budget.limit,
      },
    }
  }

  // ---- Scores ----

  /**
   * The application says the peer delivered a useful message first (a new block, a new
   * operation...): its `useful` counter grows by `amount`, raising its score (bandwidth share,
   * protection from eviction and trimming).
   */
  reportUseful(peerId: string, amount = 1): void {
    this.#pool.reportUseful(peerId, amount)
  }

  /**
   * The application got a message from the peer that was well-formed on the wire but invalid
   * for it: its `invalid` counter grows by `amount`; below score.disconnectBelow the peer is
   * disconnected and greylisted (trusted peers excepted).
   */
  reportInvalid(peerId: string, amount = 1): void {
    this.#pool.penalize(peerId, 'invalid', amount)
  }

  /** How scores are made and the threshold they are held to (the config's `score`). */
  scorePolicy(): P2pConfig['score'] {
    return this.config.score
  }

  /** The admission rules in effect: slots, per-address limits, handshake cap, eviction. */
  admissionPolicy(): {
    readonly slots: SlotCounts
    readonly admission: P2pConfig['admission']
    readonly eviction: P2pConfig['eviction']
  } {
    return {
      slots: this.#pool.slotCounts(),
      admission: this.config.admission,
      eviction: this.config.eviction,
    }
  }

  // ---- Discovery and upkeep (used by the maintenance worker) ----

  /** Disconnects and greylists the untrusted peers whose score is below score.disconnectBelow; returns how many. */
  enforceScores(): number {
    return this.#pool.enforceScores()
  }

  /** Sends Bootstrap to every connected peer (they answer with Advertise); returns how many. */
  bootstrap(): number {
    return this.#pool.sendBootstrap()
  }

  /** Sends one Swap_request (to `to`, proposing `propose`; random by default); false if none could be sent. */
  swapRequest(options: { to?: string; propose?: string } = {}): boolean {
    return this.#pool.sendSwapRequest(options)
  }

  /**
   * Runs a maintenance step now (or joins the one in progress) and resolves with its report
   * once it has ended; works with `maintenance.enabled` false too. Rejects with
   * P2pNotRunningError unless running.
   */
  maintain(): Promise<StepReport> {
    if (this.#status !== 'running') return Promise.reject(new P2pNotRunningError('maintain'))
    return this.#maintenance.maintain()
  }

  /** The maintenance bounds from min/expected/max connections (SPEC 5). */
  get maintenanceBounds(): MaintenanceBounds {
    return this.#maintenance.bounds
  }

  /**
   * Collects expired greylist entries and score records past their retention, and trims the
   * tables of known points and peers to their bounds.
   */
  gc(): { greylist: number; scores: number; points: number; peers: number } {
    const counts = {
      greylist: this.acl.gcGreylist(),
      scores: this.#pool.scores.gc(),
      points: this.#pool.points.size > this.#pool.points.max ? this.#pool.points.gc() : 0,
      peers: this.#pool.peers.size > this.#pool.peers.max ? this.#pool.peers.gc() : 0,
    }
    if (counts.points + counts.peers > 0) this.#pool.emit('changed')
    return counts
  }

  /** Writes the state file now (with a data dir); resolves once it is on disk. */
  async save(): Promise<void> {
    if (this.#store) await this.#store.save(this.#snapshot())
  }

  // ---- Events ----

  on<K extends keyof P2pEvents>(event: K, listener: P2pListener<K>): this {
    this.#events.on(event, listener as never)
    return this
  }

  once<K extends keyof P2pEvents>(event: K, listener: P2pListener<K>): this {
    this.#events.once(event, listener as never)
    return this
  }

  off<K extends keyof P2pEvents>(event: K, listener: P2pListener<K>): this {
    this.#events.off(event, listener as never)
    return this
  }

  // ---- Internals ----

  /** The pool's emitter carries the P2p's own events too. */
  get #events(): EventEmitter<P2pEvents> {
    return this.#pool as EventEmitter<PoolEvents> as unknown as EventEmitter<P2pEvents>
  }

  #mustRun(operation: string): void {
    if (this.#status !== 'running') throw new P2pNotRunningError(operation)
  }

  #snapshot() {
    return poolStateOf(
      this.#pool.points.values(),
      this.#pool.peers.values(),
      this.acl,
      this.#peerMetadata.encoding,
      (m) => this.#peerMetadata.score(m),
    )
  }

  /** Saves once per burst of changes (the store coalesces further within saveDelayMs). */
  #scheduleSave(): void {
    if (this.#savePending || this.#status === 'stopped') return
    this.#savePending = true
    setImmediate(() => {
      this.#savePending = false
      if (this.#status !== 'stopped') this.#store?.scheduleSave(this.#snapshot())
    })
  }
}
