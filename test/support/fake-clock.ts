// The one manual Clock of the tests: time moves only when the test says so, and the timers and
// intervals fire at their due times as it moves, in time order, so every timed rule is exact.
import type { Clock, TimerHandle } from '../../src/io/clock.js'

class FakeTimer implements TimerHandle {
  keepAlive = true

  constructor(
    readonly fire: () => void,
    public due: number,
    /** The interval's period; undefined: a one-shot timer. */
    readonly periodMs: number | undefined,
  ) {}

  ref(): this {
    this.keepAlive = true
    return this
  }

  unref(): this {
    this.keepAlive = false
    return this
  }
}

export class FakeClock implements Clock {
  time: number
  /** Timers and intervals set so far. */
  created = 0
  readonly #timers = new Set<FakeTimer>()

  /** `start`: the time at creation (default 0). */
  constructor(start = 0) {
    this.time = start
  }

  now(): number {
    return this.time
  }

  setTimeout(fire: () => void, delayMs: number): TimerHandle {
    return this.#add(new FakeTimer(fire, this.time + Math.max(0, delayMs), undefined))
  }

  clearTimeout(timer: TimerHandle | undefined): void {
    this.#timers.delete(timer as FakeTimer)
  }

  setInterval(tick: () => void, periodMs: number): TimerHandle {
    return this.#add(new FakeTimer(tick, this.time + periodMs, periodMs))
  }

  clearInterval(timer: TimerHandle | undefined): void {
    this.#timers.delete(timer as FakeTimer)
  }

  /** Timers and intervals set and not yet fired (one-shot) or cleared. */
  get active(): number {
    return this.#timers.size
  }

  /** Of those, the ones that keep the process alive (not unref'd). */
  get keepingAlive(): number {
    let count = 0
    for (const timer of this.#timers) if (timer.keepAlive) count++
    return count
  }

  /** Moves time forward by `ms`, firing each due timer at its due time, in time order. */
  advance(ms: number): void {
    const end = this.time + ms
    for (;;) {
      let next: FakeTimer | undefined
      for (const timer of this.#timers)
        if (timer.due <= end && (next === undefined || timer.due < next.due)) next = timer
      if (next === undefined) break
      this.time = next.due
      if (next.periodMs === undefined) this.#timers.delete(next)
      else next.due += next.periodMs
      next.fire()
    }
    this.time = end
  }

  /** Moves time forward without firing timers (an event loop that was blocked). */
  jump(ms: number): void {
    this.time += ms
    for (const timer of this.#timers) timer.due = Math.max(timer.due, this.time)
  }

  #add(timer: FakeTimer): FakeTimer {
    this.#timers.add(timer)
    this.created++
    return timer
  }
}
