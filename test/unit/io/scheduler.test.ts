// Tests of the I/O scheduler: the free unlimited path, quotas with debt, score-weighted and
// work-conserving shares (manual clock), read pausing, closing, and real-time rate bounds.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { isDuneP2pError } from '../../../src/errors/index.js'
import { IoArgumentError, SchedulerClosedError } from '../../../src/io/errors.js'
import { FlowRegistry } from '../../../src/io/flow-meter.js'
import {
  type IoHandle,
  IoScheduler,
  type IoSchedulerOptions,
  scoreToWeight,
} from '../../../src/io/scheduler.js'
import { defined } from '../../support/defined.js'
import { FakeClock } from '../../support/fake-clock.js'

/** Lets promise reactions and the scheduler's deferred dispatch rounds run to quiescence. */
async function settle(turns = 100) {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

/** A scheduler on a manual clock: limit 10 000 B/s, period 100 ms, so 1000 bytes per period. */
function manual(options: IoSchedulerOptions = {}) {
  const clock = new FakeClock()
  const flowClock = new FakeClock()
  const scheduler = new IoScheduler({
    maxUploadSpeed: 10_000,
    periodMs: 100,
    clock,
    flowRegistry: new FlowRegistry({ clock: flowClock }),
    ...options,
  })
  return { clock, flowClock, scheduler }
}

/** A writer that always has another `chunk` to send, like a writer worker with a full outbox. */
function greedyWriter(handle: IoHandle, chunk: number) {
  const state = { granted: 0, stopped: false, error: undefined as unknown }
  const run = async () => {
    while (!state.stopped) {
      const wait = handle.requestWrite(chunk)
      if (wait !== undefined) await wait
      if (state.stopped) return
      state.granted += chunk
    }
  }
  run().catch((err: unknown) => {
    state.error = err
  })
  return state
}

/** Runs `periods` periods of the manual clock, letting dispatch rounds run in between. */
async function runPeriods(clock: FakeClock, periods: number) {
  for (let i = 0; i < periods; i++) {
    clock.advance(100)
    await settle()
  }
}

describe('IoScheduler without limits', () => {
  test('creates no timer, grants synchronously and only counts', () => {
    const { clock, scheduler } = manual({ maxUploadSpeed: undefined })
    const handle = scheduler.register({ score: () => 3 })
    for (let i = 0; i < 1000; i++) {
      assert.equal(handle.requestWrite(1500), undefined)
      assert.equal(handle.consumedRead(700), true)
    }
    assert.equal(clock.created, 0, 'no quota timer')
    assert.equal(handle.readPaused, false)
    const stats = handle.stats()
    assert.equal(stats.bytesOut, 1_500_000)
    assert.equal(stats.bytesIn, 700_000)
    scheduler.close()
  })

  test('reports flows from the shared meters', () => {
    const { flowClock, scheduler } = manual({ maxUploadSpeed: undefined })
    const a = scheduler.register()
    const b = scheduler.register()
    a.requestWrite(10_000)
    b.consumedRead(5_000)
    assert.equal(flowClock.created, 1, 'one meter timer for all connections')
    flowClock.advance(1000)
    assert.equal(a.stats().flowOut, 2_000)
    assert.equal(b.stats().flowIn, 1_000)
    const total = scheduler.stats()
    assert.deepEqual(total, {
      bytesIn: 5_000,
      bytesOut: 10_000,
      flowIn: 1_000,
      flowOut: 2_000,
      connections: 2,
    })
    a.close()
    b.close()
    assert.equal(flowClock.active, 0, 'meters unregistered on close')
    assert.equal(scheduler.stats().bytesOut, 10_000, 'closed connections stay in the totals')
    assert.equal(scheduler.stats().connections, 0)
  })
})

describe('IoScheduler quotas (manual clock)', () => {
  test('never grants more than the budget per period, plus one request', async () => {
    const { clock, scheduler } = manual()
    const writers = [0, 1, 2].map(() => greedyWriter(scheduler.register(), 300))
    await settle()
    const granted = () => writers.reduce((sum, w) => sum + w.granted, 0)
    for (let period = 1; period <= 30; period++) {
      await runPeriods(clock, 1)
      assert.ok(granted() <= 1000 * (period + 1) + 300, `${granted()} after ${period} periods`)
    }
    assert.ok(granted() >= 1000 * 30, 'and uses the budget it has')
    for (const w of writers) w.stopped = true
    scheduler.close()
  })

  test('carries overspending over as debt', async () => {
    const { clock, scheduler } = manual()
    const handle = scheduler.register()
    const big = handle.requestWrite(5000)
    assert.notEqual(big, undefined, 'a new connection has no share yet: it waits for a dispatch round')
    await settle()
    let next = false
    handle.requestWrite(100)?.then(() => {
      next = true
    })
    // quota: 1000 - 5000 = -4000; +1000 per period: -3000, -2000, -1000, 0, then 1000.
    for (let period = 1; period <= 4; period++) {
      await runPeriods(clock, 1)
      assert.equal(next, false, `still in debt after ${period} periods`)
    }
    await runPeriods(clock, 1)
    assert.equal(next, true)
    scheduler.close()
  })

  test('equal scores get equal shares', async () => {
    const { clock, scheduler } = manual()
    const writers = [0, 1, 2, 3].map(() => greedyWriter(scheduler.register({ score: () => 1 }), 50))
    await runPeriods(clock, 40)
    const mean = writers.reduce((sum, w) => sum + w.granted, 0) / writers.length
    for (const w of writers) assert.ok(Math.abs(w.granted - mean) <= 0.05 * mean, `${w.granted} vs ${mean}`)
    for (const w of writers) w.stopped = true
    scheduler.close()
  })

  test('a higher score gets a larger share, by its weight', async () => {
    const { clock, scheduler } = manual()
    const high = greedyWriter(scheduler.register({ score: () => 2 }), 50)
    const low = greedyWriter(scheduler.register({ score: () => 0 }), 50)
    await runPeriods(clock, 40)
    const ratio = high.granted / low.granted
    const expected = scoreToWeight(2) / scoreToWeight(0)
    assert.ok(Math.abs(ratio - expected) <= 0.15 * expected, `ratio ${ratio}, weights ${expected}`)
    high.stopped = true
    low.stopped = true
    scheduler.close()
  })

  test('the score is read again every period', async () => {
    const { clock, scheduler } = manual()
    let score = 0
    const changing = greedyWriter(scheduler.register({ score: () => score }), 50)
    const fixed = greedyWriter(scheduler.register({ score: () => 0 }), 50)
    await runPeriods(clock, 10)
    const before = changing.granted - fixed.granted
    score = 3
    const [c0, f0] = [changing.granted, fixed.granted]
    await runPeriods(clock, 20)
    assert.ok(Math.abs(before) <= 200, 'equal while the scores are equal')
    assert.ok(changing.granted - c0 > 4 * (fixed.granted - f0), 'larger once the score rose')
    changing.stopped = true
    fixed.stopped = true
    scheduler.close()
  })

  test('a share nobody uses goes to the others', async () => {
    const { clock, scheduler } = manual()
    scheduler.register({ score: () => 4 }) // registered, idle
    const light = scheduler.register({ score: () => 4 })
    const busy = greedyWriter(scheduler.register({ score: () => 0 }), 50)
    let lightGranted = 0
    await settle()
    const start = busy.granted
    for (let period = 0; period < 20; period++) {
      // The light connection wants 100 bytes per period, far below its share.
      const wait = light.requestWrite(100)
      if (wait === undefined) lightGranted += 100
      else
        void wait.then(() => {
          lightGranted += 100
        })
      await runPeriods(clock, 1)
    }
    assert.equal(lightGranted, 2000, 'the light connection got what it asked for')
    const busyPerPeriod = (busy.granted - start) / 20
    assert.ok(busyPerPeriod >= 850, `busy got ${busyPerPeriod} of 1000 bytes per period`)
    busy.stopped = true
    scheduler.close()
  })

  test('connections with share left go before those without', async () => {
    const { clock, scheduler } = manual()
    const hog = scheduler.register()
    const polite = scheduler.register()
    // Both active in the first period, so both get a share (500) in the second.
    await hog.requestWrite(50)
    await polite.requestWrite(50)
    await runPeriods(clock, 1)
    // Second period: polite takes 50 of its share, the hog overspends its own by far.
    assert.equal(polite.requestWrite(50), undefined)
    assert.equal(hog.requestWrite(2000), undefined)
    await runPeriods(clock, 1) // quota -1050 + 1000 < 0; shares: hog -1000, polite 500
    const order: string[] = []
    const hogWait = hog.requestWrite(100)
    const politeWait = polite.requestWrite(100)
    assert.ok(hogWait !== undefined && politeWait !== undefined, 'both wait for quota')
    const both = Promise.all([
      hogWait.then(() => order.push('hog')),
      politeWait.then(() => order.push('polite')),
    ])
    await runPeriods(clock, 1) // quota 950: the one with share left goes first although it asked last
    await both
    assert.deepEqual(order, ['polite', 'hog'])
    scheduler.close()
  })

  test('grants the requests of one handle in order', async () => {
    const { clock, scheduler } = manual()
    const handle = scheduler.register()
    handle.requestWrite(3000)
    const order: number[] = []
    for (let i = 0; i < 5; i++) handle.requestWrite(400)?.then(() => order.push(i))
    await runPeriods(clock, 10)
    assert.deepEqual(order, [0, 1, 2, 3, 4])
    scheduler.close()
  })

  test('a throwing score weighs like score 0', async () => {
    const { clock, scheduler } = manual()
    const broken = greedyWriter(
      scheduler.register({
        score: () => {
          throw new Error('pool bug')
        },
      }),
      50,
    )
    const normal = greedyWriter(scheduler.register({ score: () => 0 }), 50)
    await runPeriods(clock, 20)
    assert.ok(Math.abs(broken.granted - normal.granted) <= 0.1 * normal.granted)
    assert.equal(broken.error, undefined)
    broken.stopped = true
    normal.stopped = true
    scheduler.close()
  })

  test('the quota timer runs only while connections are registered', () => {
    const { clock, scheduler } = manual()
    assert.equal(clock.active, 0)
    const a = scheduler.register()
    const b = scheduler.register()
    assert.equal(clock.active, 1)
    a.close()
    assert.equal(clock.active, 1)
    b.close()
    assert.equal(clock.active, 0)
    scheduler.register()
    assert.equal(clock.active, 1)
    scheduler.close()
    assert.equal(clock.active, 0)
  })

  test('the quota timer keeps the process alive only while something waits', async () => {
    const { clock, scheduler } = manual()
    const handle = scheduler.register()
    assert.equal(clock.keepingAlive, 0)
    const wait = handle.requestWrite(5000)
    assert.equal(clock.keepingAlive, 1, 'a waiting request is pending work, like a timeout')
    await settle()
    await wait
    await runPeriods(clock, 1)
    assert.equal(clock.keepingAlive, 0)
    scheduler.close()
  })
})

describe('IoScheduler reads (manual clock)', () => {
  test('pauses reading when the quota is spent and resumes in a later period', async () => {
    const { clock, scheduler } = manual({ maxUploadSpeed: undefined, maxDownloadSpeed: 10_000 })
    let resumed = 0
    const handle = scheduler.register({ resumeRead: () => resumed++ })
    assert.equal(handle.consumedRead(1000), false, 'quota spent')
    assert.equal(handle.readPaused, true)
    assert.equal(handle.consumedRead(200), false, 'bytes already in flight are counted, still paused')
    await settle()
    assert.equal(resumed, 0)
    await runPeriods(clock, 1) // quota -200 + 1000 > 0, share 1000
    assert.equal(resumed, 1)
    assert.equal(handle.readPaused, false)
    assert.equal(handle.consumedRead(500), true)
    assert.equal(handle.consumedRead(500), false)
    assert.equal(handle.stats().bytesIn, 2200)
    await runPeriods(clock, 1)
    assert.equal(resumed, 2, 'resumeRead is called once per pause')
    scheduler.close()
  })

  test('paused readers take turns on the leftover quota', async () => {
    const { clock, scheduler } = manual({ maxUploadSpeed: undefined, maxDownloadSpeed: 10_000 })
    const reads = [0, 0]
    const handles: IoHandle[] = []
    const pump = (i: number) => {
      for (;;) {
        reads[i] = defined(reads[i]) + 50
        if (!defined(handles[i]).consumedRead(50)) return
      }
    }
    for (const i of [0, 1])
      handles.push(scheduler.register({ resumeRead: () => setImmediate(() => pump(i)) }))
    pump(0)
    pump(1)
    await runPeriods(clock, 30)
    assert.ok(Math.abs(defined(reads[0]) - defined(reads[1])) <= 0.1 * defined(reads[1]), `${reads}`)
    const total = defined(reads[0]) + defined(reads[1])
    assert.ok(total <= 1000 * 31 + 2 * 50, `read ${total}`)
    scheduler.close()
  })

  test('a download limit without resumeRead is a typed error when it must pause', () => {
    const { scheduler } = manual({ maxDownloadSpeed: 10_000 })
    const handle = scheduler.register()
    assert.throws(() => handle.consumedRead(5000), IoArgumentError)
    scheduler.close()
  })
})

describe('IoScheduler closing', () => {
  test('closing a handle rejects its pending writes and forgets its paused read', async () => {
    const { clock, scheduler } = manual({ maxDownloadSpeed: 10_000 })
    let resumed = 0
    const handle = scheduler.register({ resumeRead: () => resumed++ })
    const other = scheduler.register()
    handle.requestWrite(5000)?.catch(() => {})
    const pending = handle.requestWrite(10)
    assert.equal(handle.consumedRead(5000), false)
    handle.close()
    handle.close()
    await assert.rejects(
      pending!,
      (err: unknown) => err instanceof SchedulerClosedError && /handle/.test(err.message),
    )
    assert.equal(handle.closed, true)
    assert.equal(handle.readPaused, false)
    assert.equal(handle.consumedRead(10), false)
    await assert.rejects(handle.requestWrite(10)!, SchedulerClosedError)
    await runPeriods(clock, 60)
    assert.equal(resumed, 0)
    assert.equal(scheduler.connections, 1)
    other.close()
    scheduler.close()
  })

  test('closing the scheduler rejects every pending write and refuses registrations', async () => {
    const { scheduler } = manual()
    const a = scheduler.register()
    const b = scheduler.register()
    a.requestWrite(5000)?.catch(() => {})
    const pending = [a.requestWrite(10), b.requestWrite(10)]
    scheduler.close()
    for (const p of pending) {
      await assert.rejects(
        p!,
        (err: unknown) => isDuneP2pError(err, 'DUNE_SCHEDULER_CLOSED') && /scheduler/.test(err.message),
      )
    }
    assert.equal(a.closed && b.closed, true)
    assert.equal(scheduler.closed, true)
    assert.throws(() => scheduler.register(), SchedulerClosedError)
    scheduler.close()
  })
})

describe('IoScheduler configuration', () => {
  test('has one shared read buffer of readBufferSize bytes (256 KiB, or 16 KiB with a download limit)', () => {
    const scheduler = new IoScheduler()
    assert.equal(scheduler.readBufferSize, 256 * 1024)
    assert.equal(scheduler.readBuffer.length, 256 * 1024)
    assert.equal(scheduler.readBuffer, scheduler.readBuffer)
    assert.equal(new IoScheduler({ maxDownloadSpeed: 1e6 }).readBufferSize, 16 * 1024)
    assert.equal(new IoScheduler({ maxUploadSpeed: 1e6 }).readBufferSize, 256 * 1024)
    assert.equal(new IoScheduler({ readBufferSize: 4096, maxDownloadSpeed: 1e6 }).readBuffer.length, 4096)
    assert.equal(scheduler.maxUploadSpeed, undefined)
    assert.equal(new IoScheduler({ maxDownloadSpeed: 5 }).maxDownloadSpeed, 5)
  })

  test('rejects unusable options with a typed error', () => {
    const bad: IoSchedulerOptions[] = [
      { maxUploadSpeed: 0 },
      { maxDownloadSpeed: -1 },
      { maxUploadSpeed: Number.NaN },
      { maxUploadSpeed: Number.POSITIVE_INFINITY },
      { readBufferSize: 0 },
      { readBufferSize: 1.5 },
      { periodMs: 0 },
    ]
    for (const options of bad) assert.throws(() => new IoScheduler(options), IoArgumentError)
    const handle = new IoScheduler().register()
    assert.throws(() => handle.requestWrite(-1), IoArgumentError)
    assert.throws(() => handle.consumedRead(Number.NaN), IoArgumentError)
    handle.close()
  })

  test('scoreToWeight is positive, monotone and bounded', () => {
    assert.equal(scoreToWeight(0), 1)
    assert.equal(scoreToWeight(1), 2)
    assert.equal(scoreToWeight(Number.NaN), 1)
    assert.equal(scoreToWeight(Number.POSITIVE_INFINITY), 16)
    assert.equal(scoreToWeight(Number.NEGATIVE_INFINITY), 1 / 16)
    fc.assert(
      fc.property(fc.double({ noNaN: true }), fc.double({ noNaN: true }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a]
        const [wLo, wHi] = [scoreToWeight(lo), scoreToWeight(hi)]
        return wLo > 0 && wLo <= wHi && wLo >= 1 / 16 && wHi <= 16
      }),
    )
  })
})

describe('IoScheduler in real time', () => {
  test('never uploads faster than its limit', async () => {
    const limit = 200_000 // bytes/s: 20 000 per 100 ms period
    const chunk = 2000
    const total = 100_000
    const start = performance.now()
    const scheduler = new IoScheduler({ maxUploadSpeed: limit })
    const handles = [scheduler.register(), scheduler.register()]
    let sent = 0
    await Promise.all(
      handles.map(async (handle) => {
        while (sent < total) {
          const wait = handle.requestWrite(chunk)
          if (wait !== undefined) await wait
          sent += chunk
        }
      }),
    )
    const elapsed = (performance.now() - start) / 1000
    // The first period's budget and one overdrawn request may go at once; the rest at the limit.
    const burst = limit * (scheduler.periodMs / 1000) + chunk
    assert.ok(elapsed >= (sent - burst) / limit, `${sent} bytes in ${elapsed} s`)
    scheduler.close()
  })

  test('never downloads faster than its limit', async () => {
    const limit = 200_000
    const chunk = 2000
    const total = 100_000
    const start = performance.now()
    const scheduler = new IoScheduler({ maxDownloadSpeed: limit })
    let read = 0
    let finish: () => void = () => {}
    const done = new Promise<void>((resolve) => {
      finish = resolve
    })
    const handles: IoHandle[] = []
    // A socket that always has data: reads `chunk` bytes per callback until paused.
    const pump = (handle: IoHandle) => {
      for (;;) {
        if (read >= total) return finish()
        read += chunk
        if (!handle.consumedRead(chunk)) return
      }
    }
    for (let i = 0; i < 2; i++) {
      const handle: IoHandle = scheduler.register({ resumeRead: () => setImmediate(() => pump(handle)) })
      handles.push(handle)
    }
    for (const handle of handles) setImmediate(() => pump(handle))
    await done
    const elapsed = (performance.now() - start) / 1000
    // Reads are counted after the fact: each paused reader may overdraw by one read.
    const burst = limit * (scheduler.periodMs / 1000) + handles.length * chunk
    assert.ok(elapsed >= (read - burst) / limit, `${read} bytes in ${elapsed} s`)
    scheduler.close()
  })

  test('equal scores share a real-time window equally', async () => {
    const scheduler = new IoScheduler({ maxUploadSpeed: 300_000 })
    const writers = [0, 1, 2].map(() => greedyWriter(scheduler.register(), 1000))
    await new Promise((resolve) => setTimeout(resolve, 600))
    for (const w of writers) w.stopped = true
    const mean = writers.reduce((sum, w) => sum + w.granted, 0) / writers.length
    for (const w of writers) assert.ok(Math.abs(w.granted - mean) <= 0.15 * mean, `${w.granted} vs ${mean}`)
    scheduler.close()
  })
})
