// The pool's tables (Octez's P2p_pool.Points/Peers/Connection): known points and peers with
// their trust and histories, the live connections by peer id, and the rules of what to learn.

import type { EventEmitter } from 'node:events'
import { type AccessControl, LearnableAddresses } from '../acl/index.js'
import type { Clock } from '../io/clock.js'
import { formatPoint, MAX_ADVERTISED_POINTS } from '../wire/index.js'
import type { P2pConfig } from './config.js'
import { NotConnectedError } from './errors.js'
import {
  History,
  type PeerEvent,
  type PeerEventKind,
  type PointEvent,
  type PointEventKind,
} from './history.js'
import { KnownPeers, type PeerRecord } from './known-peers.js'
import { KnownPoints, type PointRecord } from './known-points.js'
import {
  canonicalPointAddress,
  hostOfPoint,
  isNamedPoint,
  type PointAddress,
  parsePointAddress,
} from './point-address.js'
import { canonicalPoint } from './point-text.js'
import type { ActiveConnection, PoolEvents } from './pool-types.js'

export interface PoolTablesOptions<P> {
  readonly config: P2pConfig
  readonly acl: AccessControl
  /** Metadata of a peer met for the first time. */
  readonly initialPeerMetadata: () => P
  /** Where the tables' events go ('new-point', 'new-peer', 'point-event', 'peer-event', 'changed'). */
  readonly events: EventEmitter<PoolEvents>
  readonly clock: Clock
}

export class PoolTables<A, P, C> {
  readonly points: KnownPoints
  readonly peers: KnownPeers<P>
  readonly #config: P2pConfig
  readonly #acl: AccessControl
  readonly #events: EventEmitter<PoolEvents>
  readonly #clock: Clock
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

  constructor(options: PoolTablesOptions<P>) {
    const { config } = options
    this.#config = config
    this.#acl = options.acl
    this.#events = options.events
    this.#clock = options.clock
    this.points = new KnownPoints(config.maxKnownPoints.max, config.maxKnownPoints.target)
    this.peers = new KnownPeers(
      config.maxKnownPeerIds.max,
      config.maxKnownPeerIds.target,
      options.initialPeerMetadata,
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
  }

  // ---- Live connections ----

  get activeCount(): number {
    return this.#active.size
  }

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

  addActive(active: ActiveConnection<A, C>): void {
    this.#active.set(active.peerId, active)
  }

  /** Removes `active` if it is the live connection of its peer; false otherwise. */
  removeActive(active: ActiveConnection<A, C>): boolean {
    if (this.#active.get(active.peerId) !== active) return false
    this.#active.delete(active.peerId)
    return true
  }

  // ---- Points ----

  isOwnPoint(point: string): boolean {
    return this.#ownPoints.has(point)
  }

  /** A point that answered with our own identity: forgotten, never dialed or advertised again. */
  addOwnPoint(point: string): void {
    this.#ownPoints.add(point)
    this.points.delete(point)
  }

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
      this.#events.emit('new-point', { point, source })
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
    if (trusted && !record.trusted && this.#discoveredTrusted.size < this.#config.maxKnownPoints.max) {
      this.#discoveredTrusted.add(record.point)
      record.trusted = true
      changed = true
    }
    if (changed) this.#events.emit('changed')
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
    this.#events.emit('changed')
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

  /** Removes a point that is not in use from the table (trusted ones too); false when unknown or in use. */
  forgetPoint(point: string): boolean {
    const record = this.points.get(point)
    if (record?.state !== 'disconnected') return false
    this.points.delete(point)
    this.#events.emit('changed')
    return true
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
      if (!r.trusted && this.#acl.isPointBanned(r.point)) continue
      good.push(r)
    }
    const rank = (r: PointRecord) =>
      r.state === 'running' ? Number.MAX_SAFE_INTEGER : (r.lastEstablished ?? 0)
    return good
      .sort((a, b) => rank(b) - rank(a))
      .slice(0, limit)
      .map((r) => r.point)
  }

  // ---- Peers ----

  /** The record of a peer, registered if new. */
  registerPeer(peerId: string): PeerRecord<P> {
    const { record, created } = this.peers.register(peerId)
    if (created) {
      record.trusted = this.#acl.isPeerTrusted(peerId)
      this.#events.emit('new-peer', { peerId })
    }
    return record
  }

  /** Removes a disconnected peer from the table; false when unknown or connected. */
  forgetPeer(peerId: string): boolean {
    const record = this.peers.get(peerId)
    if (record?.state !== 'disconnected') return false
    this.peers.delete(peerId)
    this.#events.emit('changed')
    return true
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
    for (const r of peers) this.peers.restore({ ...r, trusted: this.#acl.isPeerTrusted(r.peerId) })
  }

  // ---- Trust ----

  /** Whether the point is trusted: by the config or the ACL (itself or its IP). */
  isPointTrusted(point: string): boolean {
    return (
      this.#configTrusted.has(point) ||
      this.#discoveredTrusted.has(point) ||
      (!isNamedPoint(point) && this.#acl.isPointTrusted(point))
    )
  }

  /** The ACL refuses the point (a named point: never by itself; its addresses are checked at each dial). */
  isPointBanned(point: string): boolean {
    return !isNamedPoint(point) && this.#acl.isPointBanned(point)
  }

  isPeerTrusted(peerId: string): boolean {
    return this.#acl.isPeerTrusted(peerId)
  }

  /** Whether a live connection is trusted: its peer, its point or its IP. */
  isConnectionTrusted(active: ActiveConnection<A, C>): boolean {
    return (
      this.isPeerTrusted(active.peerId) ||
      (active.point !== undefined && this.isPointTrusted(active.point)) ||
      this.#acl.isIpTrusted(active.ip)
    )
  }

  /** Whether a trusted peer or point (ACL or config) may be behind a connection from `ip`. */
  mayTrustSomeoneAt(ip: string): boolean {
    if (this.#acl.mayTrustSomeoneAt(ip)) return true
    for (const point of this.#configTrusted)
      if (!isNamedPoint(point) && hostOfPoint(point) === ip) return true
    return false
  }

  /** Recomputes each record's trusted flag (after an ACL change). */
  refreshTrust(): void {
    for (const r of this.points.values()) r.trusted = this.isPointTrusted(r.point)
    for (const r of this.peers.values()) r.trusted = this.#acl.isPeerTrusted(r.peerId)
  }

  // ---- History ----

  logPoint(r: PointRecord, kind: PointEventKind, peerId: string | undefined, detail?: string): void {
    const event: PointEvent = { kind, at: this.#clock.now(), peerId, detail }
    r.history ??= new History()
    r.history.push(event)
    this.#events.emit('point-event', { point: r.point, event })
  }

  logPeer(
    r: PeerRecord<P>,
    kind: PeerEventKind,
    address: string,
    point: string | undefined,
    detail?: string,
  ): void {
    const port = point === undefined ? undefined : Number(point.slice(point.lastIndexOf(':') + 1))
    const event: PeerEvent = { kind, at: this.#clock.now(), address, port, detail }
    r.history ??= new History()
    r.history.push(event)
    this.#events.emit('peer-event', { peerId: r.peerId, event })
  }
}
