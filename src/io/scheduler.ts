// The I/O scheduler shared by all connections: optional global upload/download limits,
// enforced per period with carried debt, shared among connections by peer score.

// Usage by the connection layer (one handle per connection, both directions):
//   const io = scheduler.register({ score: () => pool.score(peer), resumeRead: () => socket.resume() })
//   writer worker, before writing a chunk of n bytes:
//     const wait = io.requestWrite(n); if (wait !== undefined) await wait; socket.write(chunk)
//   reader, per read of n bytes: Node's `onread` option with ONE buffer shared by every connection
//   (`scheduler.readBuffer`, readBufferSize bytes), so idle connections hold no read buffer; the
//   callback must consume (copy/decrypt) the bytes before returning, and returning false pauses:
//     new net.Socket({ onread: { buffer: scheduler.readBuffer,
//       callback: (n, buf) => { assembler.feed(buf, n); return io.consumedRead(n) } } })
//   After false the scheduler calls resumeRead() once reading may go on. Sockets without `onread`
//   do the same from 'data' events: `if (!io.consumedRead(d.length)) socket.pause()`. (Accepted
//   sockets get `onread` from socket/shared-read.ts: Node 20's net.Server takes none.)
//   A reader that also pauses for a full inbox resumes only when neither reason holds.
//   resumeRead runs inside the scheduler's tick: keep it short (socket.resume()).
//   Register as soon as the TCP connection exists, so handshake bytes count too (as Octez).
//   io.stats() for the admin API; io.close() when the connection ends; scheduler.close() at shutdown.
//
// Algorithm, per direction with a limit L bytes/s and a period P (default 100 ms):
// - every period the global quota becomes min(quota, 0) + L * elapsed (elapsed ~ P, capped at
//   2P after a stalled event loop): overspending is debt, unspent quota does not pile up.
// - the connections active in the last period (or waiting) split the period's budget in
//   proportion to their weight, weight = scoreToWeight(score()); share = min(share, 0) + part.
// - a request is granted at once when the global quota is positive and the connection has
//   share left (its cost comes off both). Otherwise it waits; waiters are served when the
//   quota is positive, those with share left first, then the others one request each in
//   turn from the leftover quota (which does not touch their share): unused shares go to
//   whoever wants them. A grant may overdraw by one request; the debt is repaid next period.
//   (Octez splits the measured flow equally and never uses the score; splitting the budget
//   by weight gives exact weighted shares under saturation and works from the first period.)
// The quota timer runs only while a limited scheduler has connections, and keeps the process
// alive only while something waits. Without a limit a direction does nothing but count: no
// quota timer, no Promise, no allocation (flow stats use the flow registry's one 1 s timer).
import { type Clock, systemClock, type TimerHandle } from './clock.js'
import { checkByteCount, IoArgumentError, SchedulerClosedError } from './errors.js'
import { type FlowMeter, type FlowRegistry, sharedFlowRegistry } from './flow-meter.js'
import { RingBuffer } from './ring-buffer.js'

/**
 * Bytes per socket read without a download limit. The buffer is shared by every connection, so
 * a large one costs nothing per connection, and bulk reads take fewer system calls and carry
 * fewer chunks cut at a read's end.
 */
export const DEFAULT_READ_BUFFER_SIZE = 256 * 1024
/** With a download limit: SPEC's read_buffer_size, 16 KiB, so that no read overshoots a share by much. */
export const LIMITED_READ_BUFFER_SIZE = 16 * 1024
/** Quota period: short enough for smooth rates, long enough to grant whole chunks. */
export const DEFAULT_SCHEDULER_PERIOD_MS = 100

const MAX_SCORE_EXPONENT = 4

/**
 * Maps a peer score to a scheduling weight: 2^score with the score clamped to [-4, 4], so
 * weights span 1/16 to 16, score 0 weighs 1 and each point more doubles the share.
 * Monotone and always positive; NaN weighs 1.
 */
export function scoreToWeight(score: number): number {
  if (Number.isNaN(score)) return 1
  return 2 ** Math.min(MAX_SCORE_EXPONENT, Math.max(-MAX_SCORE_EXPONENT, score))
}

export interface IoSchedulerOptions {
  /** Global upload limit in bytes/s; unset or undefined: unlimited. */
  maxUploadSpeed?: number | undefined
  /** Global download limit in bytes/s; unset or undefined: unlimited. */
  maxDownloadSpeed?: number | undefined
  /** Bytes per socket read, the size of the shared `readBuffer` (default 256 KiB; 16 KiB with a download limit). */
  readBufferSize?: number | undefined
  /** Quota period in ms (default 100); limits stay per second. */
  periodMs?: number
  /** Score to weight mapping (default scoreToWeight); must return a positive finite number. */
  weight?: (score: number) => number
  /** Time source of the quota timer (default: system clock). */
  clock?: Clock
  /** Registry of the per-connection flow meters (default: the process-wide one). */
  flowRegistry?: FlowRegistry
}

export interface RegisterOptions {
  /** The peer's score, read once per period while the connection is active (default 0). A throw counts as 0. */
  score?: () => number
  /** Called once reading may resume after consumedRead returned false (e.g. `() => socket.resume()`). */
  resumeRead?: () => void
}

/** Byte counts and moving-average flows (bytes/s) of one connection or of all. */
export interface IoStats {
  bytesIn: number
  bytesOut: number
  flowIn: number
  flowOut: number
}

export interface SchedulerStats extends IoStats {
  /** Registered connections. */
  connections: number
}

/** A request waiting in a lane: a write of `bytes`, or a paused reader (`bytes` 0). */
interface Ticket {
  readonly member: Member
  readonly bytes: number
  readonly grant: () => void
  readonly fail: ((err: SchedulerClosedError) => void) | undefined
}

/** One connection's state in one direction. */
class Member {
  /** Bytes this connection may still take at priority this period (negative: debt). */
  share = 0
  /** Index of the last period in which it asked for bandwidth. */
  lastActive = -1
  /** Its tickets waiting in the lane. */
  waiting = 0
  /** Its weight, when it contends for the current period. */
  weight = 0

  constructor(
    readonly handle: Registration,
    readonly meter: FlowMeter,
  ) {}
}

/** One direction of the scheduler: global quota, members, wait list. */
class Lane {
  /** Bytes grantable this period (negative: debt), when limited. */
  quota = 0
  /** Index of the current period. */
  period = 0
  readonly members = new Set<Member>()
  readonly #waiting = new RingBuffer<Ticket>()
  #dispatchScheduled = false
  #dispatching = false
  readonly #dispatchLater = (): void => {
    this.#dispatchScheduled = false
    this.#dispatch()
  }

  /**
   * `maxSpeed` in bytes/s, undefined: unlimited. `onBusy` is called when the wait list stops
   * being empty (the scheduler then keeps the process alive until the waiters are served).
   */
  constructor(
    readonly maxSpeed: number | undefined,
    readonly onBusy: () => void,
  ) {}

  /** True while requests or paused readers wait. */
  get busy(): boolean {
    return this.#waiting.length > 0
  }

  /** Takes `bytes` off the quota, and off the share when the member has share left. */
  charge(member: Member, bytes: number): void {
    this.quota -= bytes
    if (member.share > 0) member.share -= bytes
    member.lastActive = this.period
  }

  /** True when the member may take bandwidth now without waiting. */
  mayGo(member: Member): boolean {
    return this.quota > 0 && member.share > 0 && member.waiting === 0
  }

  wait(ticket: Ticket): void {
    ticket.member.waiting++
    ticket.member.lastActive = this.period
    this.#waiting.push(ticket)
    if (this.#waiting.length === 1) this.onBusy()
    if (this.quota > 0) this.#scheduleDispatch()
  }

  /** Starts a period with `budget` bytes: new quota and shares, then serves the waiters. */
  refresh(budget: number, tick: number): void {
    const ended = this.period++
    this.quota = Math.min(this.quota, 0) + budget
    let totalWeight = 0
    for (const member of this.members) {
      const active = member.lastActive >= ended || member.waiting > 0
      member.weight = active ? member.handle.weight(tick) : 0
      totalWeight += member.weight
    }
    for (const member of this.members) {
      const part = member.weight > 0 ? (budget * member.weight) / totalWeight : 0
      member.share = Math.min(member.share, 0) + part
    }
    this.#dispatch()
  }

  /** Removes the member and its waiting tickets; write tickets fail with `err`. */
  /** Drops `member`; its waiting requests fail with `error()` (made only when one waits). */
  remove(member: Member, error: () => SchedulerClosedError): void {
    this.members.delete(member)
    if (member.waiting === 0) return
    member.waiting = 0
    const err = error()
    for (let n = this.#waiting.length; n > 0; n--) {
      const ticket = this.#waiting.shift() as Ticket
      if (ticket.member !== member) this.#waiting.push(ticket)
      else ticket.fail?.(err)
    }
  }

  #scheduleDispatch(): void {
    if (this.#dispatchScheduled) return
    this.#dispatchScheduled = true
    setImmediate(this.#dispatchLater)
  }

  /** Serves waiters while the quota is positive: those with share left first, then the rest. */
  #dispatch(): void {
    if (this.#dispatching) return
    this.#dispatching = true
    try {
      this.#serve(true)
      this.#serve(false)
    } finally {
      this.#dispatching = false
    }
  }

  /** One pass over the wait list, keeping the order of the tickets it does not grant. */
  #serve(withShareOnly: boolean): void {
    const waiting = this.#waiting
    for (let n = waiting.length; n > 0; n--) {
      const ticket = waiting.shift() as Ticket
      const member = ticket.member
      if (this.quota <= 0 || (withShareOnly && member.share <= 0)) {
        waiting.push(ticket)
        continue
      }
      member.waiting--
      this.charge(member, ticket.bytes)
      member.meter.add(ticket.bytes)
      ticket.grant()
    }
  }
}

/**
 * The bandwidth scheduler shared by every connection. Construct one per node; register one
 * handle per connection. Directions without a limit cost one counter update per operation.
 */
export class IoScheduler {
  /** Bytes per socket read (SPEC read_buffer_size). */
  readonly readBufferSize: number
  readonly periodMs: number
  readonly #up: Lane
  readonly #down: Lane
  readonly #lanes: readonly Lane[]
  readonly #clock: Clock
  readonly #flows: FlowRegistry
  readonly #weight: (score: number) => number
  readonly #handles = new Set<Registration>()
  #readBuffer: Buffer | undefined
  #timer: TimerHandle | undefined
  #keepingAlive = false
  readonly #onBusy = (): void => this.#keepAlive(true)
  #lastTick = 0
  #tick = 0
  #closed = false
  #retiredIn = 0
  #retiredOut = 0

  constructor(options: IoSchedulerOptions = {}) {
    this.#up = new Lane(checkSpeed('maxUploadSpeed', options.maxUploadSpeed), this.#onBusy)
    this.#down = new Lane(checkSpeed('maxDownloadSpeed', options.maxDownloadSpeed), this.#onBusy)
    this.#lanes = [this.#up, this.#down]
    this.readBufferSize =
      options.readBufferSize ??
      (options.maxDownloadSpeed === undefined ? DEFAULT_READ_BUFFER_SIZE : LIMITED_READ_BUFFER_SIZE)
    if (!(Number.isInteger(this.readBufferSize) && this.readBufferSize > 0)) {
      throw new IoArgumentError(`readBufferSize must be a positive integer, got ${this.readBufferSize}`)
    }
    this.periodMs = options.periodMs ?? DEFAULT_SCHEDULER_PERIOD_MS
    if (!(this.periodMs > 0 && this.periodMs < Number.POSITIVE_INFINITY)) {
      throw new IoArgumentError(`scheduler period must be a positive number of ms, got ${this.periodMs}`)
    }
    this.#weight = options.weight ?? scoreToWeight
    this.#clock = options.clock ?? systemClock
    this.#flows = options.flowRegistry ?? sharedFlowRegistry
  }

  get maxUploadSpeed(): number | undefined {
    return this.#up.maxSpeed
  }

  get maxDownloadSpeed(): number | undefined {
    return this.#down.maxSpeed
  }

  /** Registered connections. */
  get connections(): number {
    return this.#handles.size
  }

  get closed(): boolean {
    return this.#closed
  }

  /**
   * The read buffer shared by all connections for Node's `onread` (allocated on first use).
   * Valid only inside the onread callback: the next read of any socket overwrites it.
   */
  get readBuffer(): Buffer {
    this.#readBuffer ??= Buffer.allocUnsafe(this.readBufferSize)
    return this.#readBuffer
  }

  /** Registers a connection. Throws SchedulerClosedError after close(). */
  register(options: RegisterOptions = {}): IoHandle {
    if (this.#closed) throw new SchedulerClosedError('scheduler')
    const handle = new Registration(
      this.#up,
      this.#down,
      this.#flows,
      options,
      this.#weight,
      this.#unregister,
    )
    this.#handles.add(handle)
    if (this.#timer === undefined && (this.#up.maxSpeed !== undefined || this.#down.maxSpeed !== undefined)) {
      this.#startTimer()
    }
    return handle
  }

  /** Totals over all connections, closed ones included; flows over the open ones. */
  stats(): SchedulerStats {
    const stats: SchedulerStats = {
      bytesIn: this.#retiredIn,
      bytesOut: this.#retiredOut,
      flowIn: 0,
      flowOut: 0,
      connections: this.#handles.size,
    }
    for (const handle of this.#handles) {
      const one = handle.stats()
      stats.bytesIn += one.bytesIn
      stats.bytesOut += one.bytesOut
      stats.flowIn += one.flowIn
      stats.flowOut += one.flowOut
    }
    return stats
  }

  /** Closes every handle (pending write requests reject with SchedulerClosedError) and the timer. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    const err = new SchedulerClosedError('scheduler')
    for (const handle of [...this.#handles]) handle.closeWith(err)
  }

  readonly #unregister = (handle: Registration, stats: IoStats): void => {
    this.#handles.delete(handle)
    this.#retiredIn += stats.bytesIn
    this.#retiredOut += stats.bytesOut
    if (this.#handles.size === 0 && this.#timer !== undefined) {
      this.#clock.clearInterval(this.#timer)
      this.#timer = undefined
      this.#keepingAlive = false
    }
  }

  #startTimer(): void {
    this.#lastTick = this.#clock.now()
    // A restart keeps any debt but gives a fresh period's budget, as at creation.
    const seconds = this.periodMs / 1000
    for (const lane of this.#lanes) {
      if (lane.maxSpeed !== undefined) lane.quota = Math.min(lane.quota, 0) + lane.maxSpeed * seconds
    }
    this.#timer = this.#clock.setInterval(() => this.#onTick(), this.periodMs)
    this.#timer.unref()
  }

  #onTick(): void {
    const now = this.#clock.now()
    const elapsedMs = Math.min(Math.max(now - this.#lastTick, 0), 2 * this.periodMs)
    this.#lastTick = now
    const tick = ++this.#tick
    for (const lane of this.#lanes) {
      if (lane.maxSpeed !== undefined) lane.refresh((lane.maxSpeed * elapsedMs) / 1000, tick)
    }
    this.#keepAlive(this.#up.busy || this.#down.busy)
  }

  /**
   * The quota timer is unref'd while nothing waits, and keeps the process alive while a
   * request or a paused reader waits for quota (as a pending setTimeout would).
   */
  #keepAlive(on: boolean): void {
    if (on === this.#keepingAlive || this.#timer === undefined) return
    this.#keepingAlive = on
    if (on) this.#timer.ref()
    else this.#timer.unref()
  }
}

/** One connection's access to the scheduler, both directions (from IoScheduler.register). */
export interface IoHandle {
  /** True once closed (by itself or with the scheduler). */
  readonly closed: boolean
  /** True between a consumedRead() that returned false and the matching resumeRead() call. */
  readonly readPaused: boolean
  /**
   * Asks to send `bytes` now. `undefined`: go ahead (nothing allocated). A Promise: wait for it
   * before writing; it rejects with SchedulerClosedError if the handle or scheduler closes first.
   * Requests of one handle are granted in order.
   */
  requestWrite(bytes: number): Promise<void> | undefined
  /**
   * Counts `bytes` just read. true: keep reading. false: pause reading now (Node's onread
   * callback returns it as is); resumeRead() is called once reading may go on. A closed handle
   * returns false. Throws IoArgumentError if it must pause but no resumeRead was registered.
   */
  consumedRead(bytes: number): boolean
  /** Bytes and flows of this connection. */
  stats(): IoStats
  /** Unregisters the connection: pending write requests reject with SchedulerClosedError. Idempotent. */
  close(): void
}

/** The scheduler's side of a handle. */
class Registration implements IoHandle {
  readonly #up: Lane
  readonly #down: Lane
  readonly #out: Member
  readonly #in: Member
  readonly #score: (() => number) | undefined
  readonly #toWeight: (score: number) => number
  readonly #resumeTicket: Ticket | undefined
  readonly #unregister: (handle: Registration, stats: IoStats) => void
  #weight = 1
  #weightTick = -1
  #readPaused = false
  #closed = false
  /** The error of requests after close, made at the first one (an Error's stack costs per close). */
  #closedError: SchedulerClosedError | undefined
  readonly #error = (): SchedulerClosedError => {
    this.#closedError ??= new SchedulerClosedError('handle')
    return this.#closedError
  }

  constructor(
    up: Lane,
    down: Lane,
    flows: FlowRegistry,
    options: RegisterOptions,
    toWeight: (score: number) => number,
    unregister: (handle: Registration, stats: IoStats) => void,
  ) {
    this.#up = up
    this.#down = down
    this.#out = new Member(this, flows.meter())
    this.#in = new Member(this, flows.meter())
    up.members.add(this.#out)
    down.members.add(this.#in)
    this.#score = options.score
    this.#toWeight = toWeight
    this.#unregister = unregister
    const resume = options.resumeRead
    if (resume !== undefined) {
      this.#resumeTicket = {
        member: this.#in,
        bytes: 0,
        grant: () => {
          this.#readPaused = false
          resume()
        },
        fail: undefined,
      }
    }
  }

  get closed(): boolean {
    return this.#closed
  }

  get readPaused(): boolean {
    return this.#readPaused
  }

  requestWrite(bytes: number): Promise<void> | undefined {
    checkByteCount('write size', bytes)
    if (this.#closed) return Promise.reject(this.#error())
    const out = this.#out
    if (this.#up.maxSpeed === undefined) {
      out.meter.add(bytes)
      return undefined
    }
    if (this.#up.mayGo(out)) {
      this.#up.charge(out, bytes)
      out.meter.add(bytes)
      return undefined
    }
    return new Promise((grant, fail) => this.#up.wait({ member: out, bytes, grant, fail }))
  }

  consumedRead(bytes: number): boolean {
    checkByteCount('read size', bytes)
    if (this.#closed) return false
    const input = this.#in
    input.meter.add(bytes)
    if (this.#down.maxSpeed === undefined) return true
    this.#down.charge(input, bytes)
    if (this.#readPaused) return false
    if (this.#down.quota > 0 && input.share > 0) return true
    if (this.#resumeTicket === undefined) {
      throw new IoArgumentError('a download limit needs a resumeRead callback in register()')
    }
    this.#readPaused = true
    this.#down.wait(this.#resumeTicket)
    return false
  }

  stats(): IoStats {
    return {
      bytesIn: this.#in.meter.total,
      bytesOut: this.#out.meter.total,
      flowIn: this.#in.meter.flow,
      flowOut: this.#out.meter.flow,
    }
  }

  /** The weight for quota period `tick`, read from the score once per period. */
  weight(tick: number): number {
    if (this.#weightTick !== tick) {
      this.#weightTick = tick
      let score = 0
      try {
        score = this.#score?.() ?? 0
      } catch {
        score = 0
      }
      const weight = this.#toWeight(score)
      this.#weight = weight > 0 && weight < Number.POSITIVE_INFINITY ? weight : 1
    }
    return this.#weight
  }

  close(): void {
    this.closeWith(undefined)
  }

  /** close() with the error given to pending requests (the scheduler's own when it closes). */
  closeWith(err: SchedulerClosedError | undefined): void {
    if (this.#closed) return
    this.#closed = true
    if (err !== undefined) this.#closedError = err
    this.#readPaused = false
    this.#up.remove(this.#out, this.#error)
    this.#down.remove(this.#in, this.#error)
    this.#out.meter.close()
    this.#in.meter.close()
    this.#unregister(this, this.stats())
  }
}

function checkSpeed(name: string, speed: number | undefined): number | undefined {
  if (speed === undefined) return undefined
  if (!(speed > 0 && speed < Number.POSITIVE_INFINITY)) {
    throw new IoArgumentError(`${name} must be a positive number of bytes/s, got ${speed}`)
  }
  return speed
}
