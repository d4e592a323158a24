// The maintenance worker: keeps the number of connections between its bounds by dialing known
// points, asking peers for more, or dropping connections, through a small interface to the pool.
import { EventEmitter, setMaxListeners } from 'node:events'
import { DEFAULT_NET_GROUP_PREFIXES, type NetGroupPrefixes } from '../acl/net-group.js'
import { type Clock, systemClock, type TimerHandle } from '../io/clock.js'
import type { P2pConfig } from '../pool/config.js'
import { type MaintenanceBounds, maintenanceBounds } from '../pool/connection-bounds.js'
import {
  type ConnectionView,
  chooseCandidates,
  chooseVictims,
  type KnownPointView,
  type VictimPolicy,
} from './maintenance-policy.js'

/**
 * What the worker needs from the pool. Times (lastAttempt, lastFailure, lastDisconnect) must
 * come from the same clock as the worker's (wall-clock ms by default, like the pool).
 */
export interface MaintenancePool {
  /** The live connections. */
  activeConnections(): ReadonlyArray<ConnectionView>
  /** The known points (the pool's PointInfo list fits). */
  knownPoints(): ReadonlyArray<KnownPointView>
  /**
   * Dials `point` and runs the handshake; resolves true once the connection is live, false on
   * any failure or refusal (it must not reject). The pool records the attempt and its outcome
   * in the point's history. `signal` aborts when the worker stops: the pool may give up early.
   */
  connect(point: string, signal: AbortSignal): Promise<boolean>
  /** Closes the connection to `peerId` (sending Disconnect); resolves once it is closed. */
  disconnect(peerId: string, reason: string): Promise<void>
  /** Sends Bootstrap to every connected peer (they answer with Advertise). */
  broadcastBootstrap(): void
  /** Sends one Swap_request if the pool can (it applies swap_linger itself). Optional (absent or undefined). */
  requestSwap?: (() => void) | undefined
  /** Disconnects the peers whose score fell below the pool's threshold; returns how many. Optional. */
  enforceScores?(): number
  /**
   * Collects what has expired or overflowed: greylist entries, score records past their
   * retention, and the known points and peers over their table bounds; returns how many went.
   */
  gc(): number
  /** Calls `listener` with the active count after each connection opens or closes; returns the unsubscribe. */
  onConnectionCountChange(listener: (active: number) => void): () => void
  /** Calls `listener` when a peer id or point the pool did not know becomes known; returns the unsubscribe. */
  onNewPeerOrPoint(listener: () => void): () => void
}

/**
 * The worker's settings, read from the resolved P2pConfig (parseP2pConfig filled in and checked
 * them): the connection counts its bounds come from, `maintenance`, and the eviction grace.
 */
export type MaintenanceConfig = Pick<
  P2pConfig,
  'minConnections' | 'expectedConnections' | 'maxConnections' | 'maintenance'
> & {
  /** Connections younger than `graceMs` are never dropped. */
  readonly eviction: Pick<P2pConfig['eviction'], 'graceMs'>
}

/** Why a step ran. */
export type StepReason = 'start' | 'timer' | 'asked' | 'too_few' | 'too_many'

/** What one step did, for logs and the admin API. */
export interface StepReport {
  readonly reason: StepReason
  /** Active connections when the step began and when it ended. */
  readonly before: number
  readonly after: number
  /** Dials that succeeded and that failed. */
  readonly connected: number
  readonly failedDials: number
  /** Connections the step closed. */
  readonly disconnected: number
  /** Bootstrap broadcasts sent. */
  readonly bootstrapSent: number
  readonly swapRequested: boolean
  /** Entries the GC collected: greylist entries, score records and table entries (MaintenancePool.gc). */
  readonly collected: number
  /** Peers disconnected because their score fell below the threshold. */
  readonly lowScoreDisconnected: number
  /** The worker stopped during the step, which ended early. */
  readonly aborted: boolean
}

type MutableReport = { -readonly [K in keyof StepReport]: StepReport[K] }

/** The worker's events: each step's report, and a step that failed because the pool threw. */
export interface MaintenanceEvents {
  step: [StepReport]
  'step-failed': [{ readonly reason: StepReason; readonly error: unknown }]
}

export interface MaintenanceOptions {
  readonly config: MaintenanceConfig
  /**
   * Outbound connections kept at least (the pool's slots.minOutbound; default 0): never dropped
   * below it, and a step dials (up to maxThreshold connections) while fewer are live.
   */
  readonly minOutbound?: number | undefined
  /** Run a step as soon as the worker starts (default true). */
  readonly stepOnStart?: boolean
  /** Size of the network groups candidates are spread over (default IPv4 /16, IPv6 /32). */
  readonly netGroups?: NetGroupPrefixes
  /** Time and timers (default systemClock); the pool's point times must be on the same clock. */
  readonly clock?: Clock
  /** Uniform in [0, 1): picks the connections to drop (default Math.random). */
  readonly random?: () => number
}

/** Resolves with the promise's value, or with undefined as soon as `signal` aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined)
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(undefined)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

/**
 * The maintenance worker. `start()` arms the triggers, `maintain()` runs a step now (or joins
 * the running one), `stop()` cancels the running step and disarms everything; a stopped worker
 * does not start again.
 *
 * Rules (each configurable in the P2pConfig, see `maintenanceSchema`; defaults from SPEC 5):
 * - Bounds from min/expected/max connections (10/50/100 give 23/36/68/84; see maintenanceBounds).
 * - A step runs when the worker starts, `periodMs` (120 s) after the last step ended, when asked
 *   (maintain()), when a connection closes leaving fewer than minConnections ('too_few'), and
 *   when a new connection makes more than maxThreshold ('too_many': the level at which a step
 *   acts). A trigger during a step joins it.
 * - Each step first collects what has expired (greylist, score records, table overflow; gc). Below minThreshold it dials candidates
 *   (see chooseCandidates: trusted first, then unrepresented network groups, then the oldest
 *   attempt; past their backoff, see nextAttemptAt) until minTarget, never past maxTarget, with
 *   up to `maxParallelDials` dials at once; each point is tried once per step. When candidates
 *   run out it sends Bootstrap to the connected peers and waits for a new peer or point or
 *   `bootstrapWaitMs` (5 s), then looks again, at most `bootstrapRounds` times. Above
 *   maxThreshold it drops connections down to maxTarget (see chooseVictims: never trusted ones,
 *   the `protectedBest` best-scored, those younger than `graceMs` nor outbound ones below
 *   `minOutbound`; low scores first with some randomness). In between it asks the pool for a
 *   swap, if the pool can. While fewer than `minOutbound` outbound connections are live, a step
 *   dials whatever the total (up to maxThreshold). Each step first disconnects the peers whose
 *   score fell below the pool's threshold (`enforceScores`).
 */
export class MaintenanceWorker extends EventEmitter<MaintenanceEvents> {
  readonly config: MaintenanceConfig
  readonly bounds: MaintenanceBounds
  readonly #settings: MaintenanceConfig['maintenance']
  readonly #minOutbound: number
  readonly #stepOnStart: boolean
  readonly #netGroups: NetGroupPrefixes
  readonly #pool: MaintenancePool
  readonly #clock: Clock
  readonly #random: () => number
  readonly #victimPolicy: VictimPolicy
  readonly #abort = new AbortController()
  #step: Promise<StepReport> | undefined
  #timer: TimerHandle | undefined
  #unsubscribe: Array<() => void> = []
  #started = false

  /** Throws MaintenanceConfigError when the connection counts give no bounds (see maintenanceBounds). */
  constructor(pool: MaintenancePool, options: MaintenanceOptions) {
    super()
    const { config } = options
    this.config = config
    this.bounds = maintenanceBounds(config.minConnections, config.expectedConnections, config.maxConnections)
    this.#settings = config.maintenance
    this.#minOutbound = options.minOutbound ?? 0
    this.#stepOnStart = options.stepOnStart ?? true
    this.#netGroups = options.netGroups ?? DEFAULT_NET_GROUP_PREFIXES
    this.#pool = pool
    // Each dial in progress adds an abort listener here and may add one in the pool; plus the wait.
    setMaxListeners(2 * this.#settings.maxParallelDials + 2, this.#abort.signal)
    this.#clock = options.clock ?? systemClock
    this.#random = options.random ?? Math.random
    this.#victimPolicy = {
      protectedBest: this.#settings.protectedBest,
      lowestScoreBias: this.#settings.lowestScoreBias,
      graceMs: config.eviction.graceMs,
      minOutbound: this.#minOutbound,
    }
  }

  /** Started and not stopped. */
  get running(): boolean {
    return this.#started && !this.#abort.signal.aborted
  }

  /** Arms the timer and the pool's triggers, and runs a first step if `stepOnStart`. Idempotent. */
  start(): void {
    if (this.#started || this.#abort.signal.aborted) return
    this.#started = true
    this.#unsubscribe = [
      this.#pool.onConnectionCountChange((active) => {
        if (active < this.config.minConnections) this.#triggerQuietly('too_few')
        else if (active > this.bounds.maxThreshold) this.#triggerQuietly('too_many')
      }),
    ]
    if (this.#stepOnStart) this.#triggerQuietly('start')
    else this.#armTimer()
  }

  /**
   * Cancels the running step (no new dial starts; dials and waits in progress are abandoned and
   * the pool sees the signal abort), disarms the triggers, and resolves once the step has ended.
   * The worker cannot be started again.
   */
  async stop(): Promise<void> {
    if (this.#abort.signal.aborted) return
    this.#abort.abort()
    this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
    for (const unsubscribe of this.#unsubscribe) unsubscribe()
    this.#unsubscribe = []
    await this.#step?.catch(() => undefined)
  }

  /**
   * Runs a step now, or joins the one in progress; resolves with its report when it has ended
   * (rejects if the pool threw). Works before start(); after stop() it resolves at once with an
   * empty, aborted report.
   */
  maintain(): Promise<StepReport> {
    return this.#trigger('asked')
  }

  #trigger(reason: StepReason): Promise<StepReport> {
    if (this.#step) return this.#step
    this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
    const step = this.#runStep(reason).finally(() => {
      this.#step = undefined
      if (this.running) this.#armTimer()
    })
    this.#step = step
    return step
  }

  /** A trigger from a timer or an event: a failure is reported as 'step-failed', not thrown. */
  #triggerQuietly(reason: StepReason): void {
    this.#trigger(reason).catch(() => undefined)
  }

  #armTimer(): void {
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined
      this.#triggerQuietly('timer')
    }, this.#settings.periodMs)
    this.#timer.unref()
  }

  async #runStep(reason: StepReason): Promise<StepReport> {
    const signal = this.#abort.signal
    const before = signal.aborted ? 0 : this.#pool.activeConnections().length
    const report: MutableReport = {
      reason,
      before,
      after: before,
      connected: 0,
      failedDials: 0,
      disconnected: 0,
      bootstrapSent: 0,
      swapRequested: false,
      collected: 0,
      lowScoreDisconnected: 0,
      aborted: signal.aborted,
    }
    if (signal.aborted) return report
    try {
      report.collected = this.#pool.gc()
      report.lowScoreDisconnected = this.#pool.enforceScores?.() ?? 0
      if (before < this.bounds.minThreshold || this.#outboundShortfall() > 0)
        await this.#connectUp(report, signal)
      else if (before > this.bounds.maxThreshold) await this.#disconnectDown(report, signal)
      else if (this.#pool.requestSwap) {
        this.#pool.requestSwap()
        report.swapRequested = true
      }
    } catch (error) {
      this.emit('step-failed', { reason, error })
      throw error
    }
    report.after = this.#pool.activeConnections().length
    report.aborted = signal.aborted
    this.emit('step', report)
    return report
  }

  /** Dials until minTarget; when candidates run out, Bootstrap and wait, a bounded number of times. */
  async #connectUp(report: MutableReport, signal: AbortSignal): Promise<void> {
    const tried = new Set<string>()
    for (let rounds = 0; ; ) {
      const dialed = await this.#dialCandidates(report, tried, signal)
      if (signal.aborted || this.#pool.activeConnections().length >= this.#dialTarget()) return
      // Points may have become known during the dials: look again before asking for more.
      if (dialed > 0) continue
      if (rounds === this.#settings.bootstrapRounds) return
      rounds++
      this.#pool.broadcastBootstrap()
      report.bootstrapSent++
      await this.#waitForNewPeerOrPoint(signal)
    }
  }

  /** Outbound connections missing to reach minOutbound. */
  #outboundShortfall(): number {
    const outbound = this.#pool.activeConnections().filter((c) => c.incoming !== true).length
    return Math.max(0, this.#minOutbound - outbound)
  }

  /**
   * The count a step dials up to: minTarget, or more while outbound connections are short of
   * minOutbound (inbound ones plus minOutbound), never past maxThreshold.
   */
  #dialTarget(): number {
    const connections = this.#pool.activeConnections()
    const inbound = connections.filter((c) => c.incoming === true).length
    const forOutbound = Math.min(this.bounds.maxThreshold, inbound + this.#minOutbound)
    return Math.max(this.bounds.minTarget, forOutbound)
  }

  /**
   * Runs up to maxParallelDials lanes, each dialing the best candidate left while the active
   * count plus the dials in progress is below the dial target (see #dialTarget); each point is
   * tried once per step (`tried`). Returns how many dials started; rethrows the first pool error.
   */
  async #dialCandidates(report: MutableReport, tried: Set<string>, signal: AbortSignal): Promise<number> {
    const target = this.#dialTarget()
    const dialing = new Set<string>()
    let started = 0
    let failure: { error: unknown } | undefined
    const lane = async () => {
      while (!signal.aborted && failure === undefined) {
        let point: string | undefined
        try {
          if (this.#pool.activeConnections().length + dialing.size >= target) return
          point = this.#nextCandidate(dialing, tried)
          if (point === undefined) return
          tried.add(point)
          dialing.add(point)
          started++
          const connected = await untilAborted(this.#pool.connect(point, signal), signal)
          if (connected === true) report.connected++
          else if (connected === false) report.failedDials++
        } catch (error) {
          failure ??= { error }
        } finally {
          if (point !== undefined) dialing.delete(point)
        }
      }
    }
    const lanes = Math.min(this.#settings.maxParallelDials, target - this.#pool.activeConnections().length)
    await Promise.all(Array.from({ length: Math.max(0, lanes) }, lane))
    if (failure !== undefined) throw failure.error
    return started
  }

  /** The best point to dial now (see chooseCandidates), if any. */
  #nextCandidate(dialing: ReadonlySet<string>, tried: ReadonlySet<string>): string | undefined {
    const view = {
      points: this.#pool.knownPoints(),
      connections: this.#pool.activeConnections(),
      dialing,
      exclude: tried,
      now: this.#clock.now(),
    }
    return chooseCandidates(view, 1, this.#settings.backoff, this.#netGroups)[0]?.point
  }

  /** Resolves on the first new peer or point, after bootstrapWaitMs, or when the worker stops. */
  #waitForNewPeerOrPoint(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let done = false
      const finish = () => {
        if (done) return
        done = true
        this.#clock.clearTimeout(timer)
        unsubscribe()
        signal.removeEventListener('abort', finish)
        resolve()
      }
      const timer = this.#clock.setTimeout(finish, this.#settings.bootstrapWaitMs)
      timer.unref()
      const unsubscribe = this.#pool.onNewPeerOrPoint(finish)
      signal.addEventListener('abort', finish, { once: true })
    })
  }

  /** Drops connections chosen by chooseVictims until maxTarget remain. */
  async #disconnectDown(report: MutableReport, signal: AbortSignal): Promise<void> {
    const connections = this.#pool.activeConnections()
    const victims = chooseVictims(
      connections,
      connections.length - this.bounds.maxTarget,
      this.#victimPolicy,
      this.#random,
      this.#clock.now(),
    )
    const closing = victims.map(async (victim) => {
      await this.#pool.disconnect(victim.peerId, 'maintenance: too many connections')
      report.disconnected++
    })
    await untilAborted(Promise.all(closing), signal)
  }
}
