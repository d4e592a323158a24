// Test doubles for the maintenance worker: a seeded RNG, its config from the real schema, and an
// in-memory pool whose dials succeed, fail or hang as each test says, with no sockets.

import { pointHost } from '../../../src/acl/net-group.js'
import { parseP2pConfig } from '../../../src/pool/config.js'
import type { MaintenanceConfig, MaintenancePool } from '../../../src/workers/maintenance.js'
import type { ConnectionView, KnownPointView } from '../../../src/workers/maintenance-policy.js'
import type { FakeClock } from '../../support/fake-clock.js'
import { testIdentity } from '../../support/identities.js'

/** The worker's settings as a test writes them, flat: the connection counts, the `maintenance` fields and the worker's options. */
export interface WorkerSetup {
  readonly minConnections?: number
  readonly expectedConnections?: number
  readonly maxConnections?: number
  readonly periodMs?: number
  readonly bootstrapWaitMs?: number
  readonly bootstrapRounds?: number
  readonly maxParallelDials?: number
  readonly protectedBest?: number
  readonly lowestScoreBias?: number
  /** Connections younger than this are never dropped (default here 0, not the library's 60 s). */
  readonly graceMs?: number
  readonly minOutbound?: number
  /** Default here false, not the worker's true. */
  readonly stepOnStart?: boolean
}

const identity = testIdentity()

/**
 * The worker's options: `maintenance` and `eviction` resolved by the library's schema
 * (parseP2pConfig), as P2p passes them; the connection counts as given (the worker checks them).
 */
export function workerOptions(setup: WorkerSetup = {}) {
  const {
    minConnections,
    expectedConnections,
    maxConnections,
    graceMs = 0,
    minOutbound,
    stepOnStart = false,
    ...maintenance
  } = setup
  const resolved = parseP2pConfig({ identity, chainName: 'TEST', maintenance, eviction: { graceMs } })
  const config: MaintenanceConfig = {
    minConnections: minConnections ?? resolved.minConnections,
    expectedConnections: expectedConnections ?? resolved.expectedConnections,
    maxConnections: maxConnections ?? resolved.maxConnections,
    maintenance: resolved.maintenance,
    eviction: resolved.eviction,
  }
  return { config, stepOnStart, minOutbound }
}

export { seededRandom } from '../../../src/sim/seeded-random.js'

/** Lets pending promise callbacks and immediates run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve))
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }
export type FakePoint = Mutable<KnownPointView>
export type FakeConnection = Mutable<ConnectionView>

/** How a dial to a point ends: live connection, failure, or never (until the worker aborts it). */
export type DialOutcome = 'connect' | 'fail' | 'hang'

/** A known point, disconnected and never tried, with the given fields. */
export function point(address: string, fields: Partial<FakePoint> = {}): FakePoint {
  return {
    point: address,
    trusted: false,
    state: 'disconnected',
    failures: 0,
    banned: false,
    greylisted: false,
    ...fields,
  }
}

/** A live connection with the given fields (peer id and point derived from the address). */
export function connection(remoteAddress: string, fields: Partial<FakeConnection> = {}): FakeConnection {
  return { peerId: `peer-${remoteAddress}`, remoteAddress, trusted: false, score: 0, ...fields }
}

export class FakePool implements MaintenancePool {
  readonly points = new Map<string, FakePoint>()
  readonly connections = new Map<string, FakeConnection>()
  /** Outcome per point (default: connect). */
  readonly outcomes = new Map<string, DialOutcome>()
  readonly dialed: string[] = []
  readonly disconnected: string[] = []
  bootstraps = 0
  swaps = 0
  gcs = 0
  /** What gc returns. */
  expired = 0
  dialsInProgress = 0
  maxDialsInProgress = 0
  maxActive = 0
  /** Called on each broadcastBootstrap (e.g. to make peers advertise points). */
  onBootstrap: (() => void) | undefined
  readonly #countListeners = new Set<(active: number) => void>()
  readonly #newListeners = new Set<() => void>()

  constructor(
    readonly clock: FakeClock,
    withSwap = true,
  ) {
    if (!withSwap) this.requestSwap = undefined
  }

  addPoints(...points: FakePoint[]): void {
    for (const p of points) this.points.set(p.point, p)
  }

  /** Adds live connections without notifying anyone (the initial state). */
  addConnections(...connections: FakeConnection[]): void {
    for (const c of connections) this.connections.set(c.peerId, c)
    this.maxActive = Math.max(this.maxActive, this.connections.size)
  }

  /** Adds `count` connections from distinct /16 networks 10.<i>.0.1 (score i). */
  addManyConnections(count: number, fields: (i: number) => Partial<FakeConnection> = () => ({})): void {
    for (let i = 0; i < count; i++) this.addConnections(connection(`10.${i}.0.1`, { score: i, ...fields(i) }))
  }

  /** A new point becomes known (as from an Advertise): the new-peer-or-point listeners hear of it. */
  learn(p: FakePoint): void {
    this.addPoints(p)
    for (const listener of [...this.#newListeners]) listener()
  }

  /** A connection closes from the peer's side. */
  drop(peerId: string): void {
    this.connections.delete(peerId)
    this.#countChanged()
  }

  /** An incoming connection opens. */
  accept(c: FakeConnection): void {
    this.connections.set(c.peerId, c)
    this.#countChanged()
  }

  get newPeerListeners(): number {
    return this.#newListeners.size
  }

  activeConnections(): ReadonlyArray<ConnectionView> {
    return [...this.connections.values()]
  }

  knownPoints(): ReadonlyArray<KnownPointView> {
    return [...this.points.values()]
  }

  async connect(address: string, signal: AbortSignal): Promise<boolean> {
    this.dialed.push(address)
    const p = this.points.get(address)!
    p.state = 'requested'
    p.lastAttempt = this.clock.now()
    this.dialsInProgress++
    this.maxDialsInProgress = Math.max(this.maxDialsInProgress, this.dialsInProgress)
    const outcome = this.outcomes.get(address) ?? 'connect'
    if (outcome === 'hang') await new Promise((resolve) => signal.addEventListener('abort', resolve))
    else await settle(1)
    this.dialsInProgress--
    if (outcome !== 'connect') {
      p.state = 'disconnected'
      p.failures++
      p.lastFailure = this.clock.now()
      return false
    }
    p.state = 'running'
    p.failures = 0
    this.connections.set(
      `peer-${address}`,
      connection(pointHost(address), { peerId: `peer-${address}`, point: address }),
    )
    this.#countChanged()
    return true
  }

  async disconnect(peerId: string, _reason: string): Promise<void> {
    await settle(1)
    const c = this.connections.get(peerId)
    if (c === undefined) return
    this.disconnected.push(peerId)
    this.connections.delete(peerId)
    const p = c.point === undefined ? undefined : this.points.get(c.point)
    if (p) {
      p.state = 'disconnected'
      p.lastDisconnect = this.clock.now()
    }
    this.#countChanged()
  }

  broadcastBootstrap(): void {
    this.bootstraps++
    this.onBootstrap?.()
  }

  requestSwap: (() => void) | undefined = () => {
    this.swaps++
  }

  gc(): number {
    this.gcs++
    return this.expired
  }

  onConnectionCountChange(listener: (active: number) => void): () => void {
    this.#countListeners.add(listener)
    return () => this.#countListeners.delete(listener)
  }

  onNewPeerOrPoint(listener: () => void): () => void {
    this.#newListeners.add(listener)
    return () => this.#newListeners.delete(listener)
  }

  #countChanged(): void {
    this.maxActive = Math.max(this.maxActive, this.connections.size)
    for (const listener of [...this.#countListeners]) listener(this.connections.size)
  }
}
