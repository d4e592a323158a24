// Test doubles for the maintenance worker: a manual clock with one-shot timers, a seeded RNG,
// and an in-memory pool whose dials succeed, fail or hang as each test says, with no sockets.

import { pointHost } from '../../../src/acl/net-group.js'
import type { MaintenanceClock, MaintenancePool } from '../../../src/workers/maintenance.js'
import type { ConnectionView, KnownPointView } from '../../../src/workers/maintenance-policy.js'

/** A MaintenanceClock whose time moves only when the test advances it. */
export class ManualClock implements MaintenanceClock {
  time = 1_000_000
  readonly #timers = new Set<{ due: number; fire: () => void }>()

  now(): number {
    return this.time
  }

  setTimer(delayMs: number, fire: () => void): () => void {
    const timer = { due: this.time + delayMs, fire }
    this.#timers.add(timer)
    return () => this.#timers.delete(timer)
  }

  /** Timers armed and not yet fired or cancelled. */
  get pending(): number {
    return this.#timers.size
  }

  /** Moves time forward by `ms`, firing the timers due on the way in time order. */
  advance(ms: number): void {
    const end = this.time + ms
    for (;;) {
      let next: { due: number; fire: () => void } | undefined
      for (const t of this.#timers) if (t.due <= end && (next === undefined || t.due < next.due)) next = t
      if (next === undefined) break
      this.#timers.delete(next)
      this.time = next.due
      next.fire()
    }
    this.time = end
  }
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
  greylistGcs = 0
  /** What gcGreylist returns. */
  greylistExpired = 0
  dialsInProgress = 0
  maxDialsInProgress = 0
  maxActive = 0
  /** Called on each broadcastBootstrap (e.g. to make peers advertise points). */
  onBootstrap: (() => void) | undefined
  readonly #countListeners = new Set<(active: number) => void>()
  readonly #newListeners = new Set<() => void>()

  constructor(
    readonly clock: ManualClock,
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

  gcGreylist(): number {
    this.greylistGcs++
    return this.greylistExpired
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
