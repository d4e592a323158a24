// A manual Clock for the I/O unit tests: time moves only when the test says so, and the
// repeating timers fire at their due times as it moves, so flows and quotas are exact.
import type { Clock, RepeatingTimer } from '../../src/io/clock.js'

interface FakeTimer {
  periodMs: number
  due: number
  tick: () => void
  keepAlive: boolean
}

export class FakeClock implements Clock {
  time = 0
  /** Number of every() calls so far (timers created). */
  created = 0
  readonly #timers = new Set<FakeTimer>()

  now(): number {
    return this.time
  }

  every(periodMs: number, tick: () => void): RepeatingTimer {
    const timer = { periodMs, due: this.time + periodMs, tick, keepAlive: false }
    this.#timers.add(timer)
    this.created++
    return {
      stop: () => this.#timers.delete(timer),
      keepAlive: (on) => {
        timer.keepAlive = on
      },
    }
  }

  /** Timers currently running. */
  get active(): number {
    return this.#timers.size
  }

  /** Running timers that keep the process alive. */
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
      next.due += next.periodMs
      next.tick()
    }
    this.time = end
  }

  /** Moves time forward without firing timers (an event loop that was blocked). */
  jump(ms: number): void {
    this.time += ms
    for (const timer of this.#timers) timer.due = Math.max(timer.due, this.time)
  }
}
