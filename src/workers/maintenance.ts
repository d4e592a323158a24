// The maintenance worker: keeps the number of connections between its bounds by dialing known
// points, asking peers for more, or dropping connections, through a small interface to the pool.
import { EventEmitter, setMaxListeners } from 'node:events'
import { DEFAULT_NET_GROUP_PREFIXES, type NetGroupPrefixes } from '../acl/net-group.js'
import { type BackoffConfig, DEFAULT_BACKOFF } from '../pool/backoff.js'
import {
  checkInteger,
  type MaintenanceBounds,
  MaintenanceConfigError,
  maintenanceBounds,
} from '../pool/connection-bounds.js'
import {
  type ConnectionView,
  chooseCandidates,
  chooseVictims,
  type KnownPointView,
  type VictimPolicy,
} from './maintenance-policy.js'

/**
 * What the worker needs from the pool. Times (lastAttempt, lastFailure, lastDisconnect) must
 * come from the same clock as the worker's `now()` (wall-clock ms by default, like the pool).
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
  /** Sends one Swap_request if the pool can (it applies swap_linger itself). Optional. */
  requestSwap?(): void
  /** Disconnects the peers whose score fell below the pool's threshold; returns how many. Optional. */
  enforceScores?(): number
  /** Collects expired greylist entries; returns how many went. */
  gcGreylist(): number
  /** Calls `listener` with the active count after each connection opens or closes; returns the unsubscribe. */
  onConnectionCountChange(listener: (active: number) => void): () => void
  /** Calls `listener` when a peer id or point the pool did not know becomes known; returns the unsubscribe. */
  onNewPeerOrPoint(listener: () => void): () => void
}

/** The worker's time source: `now()` on the pool's clock and one-shot timers that do not keep the process alive. */
export interface MaintenanceClock {
  now(): number
  /** Calls `fire` once after `delayMs`; the returned function cancels it. */
  setTimer(delayMs: number, fire: () => void): () => void
}

/** Wall-clock milliseconds (as the pool records point history) and unref'd timeouts. */
export const systemMaintenanceClock: MaintenanceClock = {
  now: () => Date.now(),
  setTimer(delayMs, fire) {
    const timer = setTimeout(fire, delayMs).unref()
    return () => clearTimeout(timer)
  },
}

/** The worker's settings. */
export interface MaintenanceConfig {
  /** The pool's bounds (P2pConfig's fields of the same names); min <= expected <= max. */
  readonly minConnections: number
  readonly expectedConnections: number
  readonly maxConnections: number
  /** Pause after a step before the next timed one, ms (default 120 000). */
  readonly periodMs: number
  /** Run a step as soon as the worker starts (default true). */
  readonly stepOnStart: boolean
  /** How long to wait for a new peer or point after sending Bootstrap, ms (default 5000). */
  readonly bootstrapWaitMs: number
  /** Bootstrap-and-wait rounds in one step before giving up until the next trigger (default 6). */
  readonly bootstrapRounds: number
  /** Dials in progress at once (default 8). */
  readonly maxParallelDials: number
  /** See VictimPolicy (defaults 4, 0.5, 0 and 0). */
  readonly protectedBest: number
  readonly lowestScoreBias: number
  /** Connections younger than this are never dropped, ms. */
  readonly graceMs: number
  /**
   * Outbound connections kept at least: never dropped below it, and a step dials (up to
   * maxThreshold connections) while fewer are live, whatever the total.
   */
  readonly minOutbound: number
  /** Reconnection backoff (see nextAttemptAt). */
  readonly backoff: BackoffConfig
  /** Size of the network groups candidates are spread over (default IPv4 /16, IPv6 /32). */
  readonly netGroups: NetGroupPrefixes
}

/** The settings as callers give them: any field may be left out. */
export type MaintenanceConfigInput = Partial<Omit<MaintenanceConfig, 'backoff' | 'netGroups'>> & {
  readonly backoff?: Partial<BackoffConfig>
  readonly netGroups?: Partial<NetGroupPrefixes>
}

export const DEFAULT_MAINTENANCE_CONFIG: MaintenanceConfig = {
  minConnections: 10,
  expectedConnections: 50,
  maxConnections: 100,
  periodMs: 120_000,
  stepOnStart: true,
  bootstrapWaitMs: 5000,
  bootstrapRounds: 6,
  maxParallelDials: 8,
  protectedBest: 4,
  lowestScoreBias: 0.5,
  graceMs: 0,
  minOutbound: 0,
  backoff: DEFAULT_BACKOFF,
  netGroups: DEFAULT_NET_GROUP_PREFIXES,
}

/** Throws MaintenanceConfigError unless `value` is a finite number in [min, max]. */
function checkNumber(field: string, value: number, min: number, max = Number.POSITIVE_INFINITY): void {
  if (!(Number.isFinite(value) && value >= min && value <= max)) {
    const range = max === Number.POSITIVE_INFINITY ? `>= ${min}` : `in ${min}..${max}`
    throw new MaintenanceConfigError(field, `must be a finite number ${range}, got ${value}`)
  }
}

/** Fills in the defaults and checks every field; throws MaintenanceConfigError naming the first bad one. */
export function resolveMaintenanceConfig(input: MaintenanceConfigInput = {}): MaintenanceConfig {
  const d = DEFAULT_MAINTENANCE_CONFIG
  const config: MaintenanceConfig = {
    ...d,
    ...input,
    backoff: { ...d.backoff, ...input.backoff },
    netGroups: { ...d.netGroups, ...input.netGroups },
  }
  maintenanceBounds(config.minConnections, config.expectedConnections, config.maxConnections)
  checkInteger('periodMs', config.periodMs, 1)
  if (typeof config.stepOnStart !== 'boolean')
    throw new MaintenanceConfigError('stepOnStart', `must be a boolean, got ${config.stepOnStart}`)
  checkInteger('bootstrapWaitMs', config.bootstrapWaitMs, 0)
  checkInteger('bootstrapRounds', config.bootstrapRounds, 0)
  checkInteger('maxParallelDials', config.maxParallelDials, 1)
  checkInteger('protectedBest', config.protectedBest, 0)
  checkInteger('graceMs', config.graceMs, 0)
  checkInteger('minOutbound', config.minOutbound, 0)
  if (!(config.lowestScoreBias > 0 && config.lowestScoreBias <= 1)) {
    throw new MaintenanceConfigError(
      'lowestScoreBias',
      `must be in (0, 1] (1: always the lowest score), got ${config.lowestScoreBias}`,
    )
  }
  checkNumber('backoff.firstRetryMs', config.backoff.firstRetryMs, 0)
  checkNumber('backoff.retryFactor', config.backoff.retryFactor, 1)
  checkNumber('backoff.maxRetryMs', config.backoff.maxRetryMs, 0)
  checkNumber('backoff.afterDisconnectMs', config.backoff.afterDisconnectMs, 0)
  checkInteger('netGroups.ipv4Bits', config.netGroups.ipv4Bits, 0, 32)
  checkInteger('netGroups.ipv6Bits', config.netGroups.ipv6Bits, 0, 128)
  return config
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
  /** Greylist entries collected. */
  readonly greylistCollected: number
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
  readonly config?: MaintenanceConfigInput
  readonly clock?: MaintenanceClock
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
 * Rules (each configurable in MaintenanceConfig, defaults from SPEC 5):
 * - Bounds from min/expected/max connections (10/50/100 give 23/36/68/84; see maintenanceBounds).
 * - A step runs when the worker starts, `periodMs` (120 s) after the last step ended, when asked
 *   (maintain()), when a connection closes leaving fewer than minConnections ('too_few'), and
 *   when a new connection makes more than maxThreshold ('too_many': the level at which a step
 *   acts). A trigger during a step joins it.
 * - Each step first collects expired greylist entries. Below minThreshold it dials candidates
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
  readonly #pool: MaintenancePool
  readonly #clock: MaintenanceClock
  readonly #random: () => number
  readonly #victimPolicy: VictimPolicy
  readonly #abort = new AbortController()
  #step: Promise<StepReport> | undefined
  #cancelTimer: (() => void) | undefined
  #unsubscribe: Array<() => void> = []
  #started = false

  constructor(pool: MaintenancePool, options: MaintenanceOptions = {}) {
    super()
    this.config = resolveMaintenanceConfig(options.config)
    this.bounds = maintenanceBounds(
      this.config.minConnections,
      this.config.expectedConnections,
      this.config.maxConnections,
    )
    this.#pool = pool
    // Each dial in progress adds an abort listener here and may add one in the pool; plus the wait.
    setMaxListeners(2 * this.config.maxParallelDials + 2, this.#abort.signal)
    this.#clock = options.clock ?? systemMaintenanceClock
    this.#random = options.random ?? Math.random
    this.#victimPolicy = {
      protectedBest: this.config.protectedBest,
      lowestScoreBias: this.config.lowestScoreBias,
      graceMs: this.config.graceMs,
      minOutbound: this.config.minOutbound,
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
    if (this.config.stepOnStart) this.#triggerQuietly('start')
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
    this.#cancelTimer?.()
    this.#cancelTimer = undefined
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
    this.#cancelTimer?.()
    this.#cancelTimer = undefined
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
    this.#cancelTimer = this.#clock.setTimer(this.config.periodMs, () => {
      this.#cancelTimer = undefined
      this.#triggerQuietly('timer')
    })
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
      greylistCollected: 0,
      lowScoreDisconnected: 0,
      aborted: signal.aborted,
    }
    if (signal.aborted) return report
    try {
      report.greylistCollected = this.#pool.gcGreylist()
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
      if (rounds === this.config.bootstrapRounds) return
      rounds++
      this.#pool.broadcastBootstrap()
      report.bootstrapSent++
      await this.#waitForNewPeerOrPoint(signal)
    }
  }

  /** Outbound connections missing to reach minOutbound. */
  #outboundShortfall(): number {
    const outbound = this.#pool.activeConnections().filter((c) => c.incoming !== true).length
    return Math.max(0, this.config.minOutbound - outbound)
  }

  /**
   * The count a step dials up to: minTarget, or more while outbound connections are short of
   * minOutbound (inbound ones plus minOutbound), never past maxThreshold.
   */
  #dialTarget(): number {
    const connections = this.#pool.activeConnections()
    const inbound = connections.filter((c) => c.incoming === true).length
    const forOutbound = Math.min(this.bounds.maxThreshold, inbound + this.config.minOutbound)
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
    const lanes = Math.min(this.config.maxParallelDials, target - this.#pool.activeConnections().length)
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
    return chooseCandidates(view, 1, this.config.backoff, this.config.netGroups)[0]?.point
  }

  /** Resolves on the first new peer or point, after bootstrapWaitMs, or when the worker stops. */
  #waitForNewPeerOrPoint(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let done = false
      const finish = () => {
        if (done) return
        done = true
        cancelTimer()
        unsubscribe()
        signal.removeEventListener('abort', finish)
        resolve()
      }
      const cancelTimer = this.#clock.setTimer(this.config.bootstrapWaitMs, finish)
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
