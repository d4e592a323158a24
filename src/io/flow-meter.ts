// Byte counters with a moving average of the flow (bytes/s), as Octez's Moving_average:
// every 1 s tick, flow = 0.2 * (bytes in the last tick / elapsed s) + 0.8 * flow.

// Usage: one FlowRegistry per process (or per scheduler) ticks all its meters from ONE
// unref'd timer, which runs only while a meter is open:
//   const out = registry.meter(); out.add(n) per chunk; out.total / out.flow for stats;
//   out.close() when the connection ends (unregisters it; the timer stops with the last one).
import { type Clock, systemClock, type TimerHandle } from './clock.js'
import { IoArgumentError } from './errors.js'

/** Octez's weight of the newest sample in the moving average. */
export const DEFAULT_FLOW_ALPHA = 0.2
/** Octez refreshes its moving averages every second. */
export const DEFAULT_FLOW_PERIOD_MS = 1000

/** A byte counter with an exponential moving average of its rate, sampled by its registry. */
export class FlowMeter {
  #total = 0
  #window = 0
  #flow = 0
  #closed = false
  readonly #alpha: number
  readonly #onClose: (meter: FlowMeter) => void

  constructor(alpha: number, onClose: (meter: FlowMeter) => void) {
    this.#alpha = alpha
    this.#onClose = onClose
  }

  /** Counts `bytes` more (hot path: two additions). */
  add(bytes: number): void {
    this.#total += bytes
    this.#window += bytes
  }

  /** Bytes counted since creation. */
  get total(): number {
    return this.#total
  }

  /** Moving average of the flow in bytes/s, as of the last tick. */
  get flow(): number {
    return this.#flow
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Folds the bytes counted over the last `elapsedSeconds` into the average (called by the registry). */
  sample(elapsedSeconds: number): void {
    if (!(elapsedSeconds > 0)) return
    this.#flow = this.#alpha * (this.#window / elapsedSeconds) + (1 - this.#alpha) * this.#flow
    this.#window = 0
  }

  /** Unregisters the meter; counters keep their last values. Idempotent. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#onClose(this)
  }
}

export interface FlowRegistryOptions {
  /** Time source (default: the system clock). */
  clock?: Clock
  /** Tick period in ms (default 1000, as Octez). */
  periodMs?: number
  /** Weight of the newest sample (default 0.2, as Octez). */
  alpha?: number
}

/** Ticks every open meter from one shared timer; the timer exists only while a meter is open. */
export class FlowRegistry {
  readonly #clock: Clock
  readonly #periodMs: number
  readonly #alpha: number
  readonly #meters = new Set<FlowMeter>()
  readonly #unregister = (meter: FlowMeter): void => {
    this.#meters.delete(meter)
    if (this.#meters.size === 0) this.#stopTimer()
  }
  #timer: TimerHandle | undefined
  #lastTick = 0

  constructor(options: FlowRegistryOptions = {}) {
    this.#clock = options.clock ?? systemClock
    this.#periodMs = options.periodMs ?? DEFAULT_FLOW_PERIOD_MS
    this.#alpha = options.alpha ?? DEFAULT_FLOW_ALPHA
    if (!(this.#periodMs > 0 && this.#periodMs < Number.POSITIVE_INFINITY)) {
      throw new IoArgumentError(`flow period must be a positive number of ms, got ${this.#periodMs}`)
    }
    if (!(this.#alpha > 0 && this.#alpha <= 1)) {
      throw new IoArgumentError(`flow alpha must be in (0, 1], got ${this.#alpha}`)
    }
  }

  /** Number of open meters. */
  get size(): number {
    return this.#meters.size
  }

  /** A new meter, ticked until it is closed. */
  meter(): FlowMeter {
    const meter = new FlowMeter(this.#alpha, this.#unregister)
    this.#meters.add(meter)
    if (this.#timer === undefined) {
      this.#lastTick = this.#clock.now()
      this.#timer = this.#clock.setInterval(() => this.#tick(), this.#periodMs)
      this.#timer.unref()
    }
    return meter
  }

  #tick(): void {
    const now = this.#clock.now()
    const elapsedSeconds = (now - this.#lastTick) / 1000
    this.#lastTick = now
    for (const meter of this.#meters) meter.sample(elapsedSeconds)
  }

  #stopTimer(): void {
    this.#clock.clearInterval(this.#timer)
    this.#timer = undefined
  }
}

/** The process-wide registry: all meters that do not ask for another one share its timer. */
export const sharedFlowRegistry: FlowRegistry = new FlowRegistry()
