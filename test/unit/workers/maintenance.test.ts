// Tests of the maintenance worker over a fake pool: dialing up to the targets, Bootstrap when
// candidates run out, dropping down, swaps, greylist GC, the triggers, joining, and stop().
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { netGroup, pointHost } from '../../../src/acl/net-group.js'
import { MaintenanceConfigError, maintenanceBounds } from '../../../src/pool/connection-bounds.js'
import { MaintenanceWorker, type StepReport } from '../../../src/workers/maintenance.js'
import { FakeClock } from '../../support/fake-clock.js'
import { FakePool, point, seededRandom, settle, type WorkerSetup, workerOptions } from './fake-pool.js'

function setup(config: WorkerSetup = {}, withSwap = true) {
  const clock = new FakeClock(1_000_000)
  const pool = new FakePool(clock, withSwap)
  const worker = new MaintenanceWorker(pool, {
    ...workerOptions(config),
    clock,
    random: seededRandom(7),
  })
  const reports: StepReport[] = []
  worker.on('step', (report) => reports.push(report))
  return { clock, pool, worker, reports }
}

/** `count` known points, each in its own /16 (numbered from `from`, outside 10.0.0.0/8). */
function distinctPoints(count: number, from = 0) {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i
    return point(`${20 + Math.floor(n / 256)}.${n % 256}.0.1:9732`)
  })
}

describe('MaintenanceWorker configuration', () => {
  test('default bounds 23/36/68/84', () => {
    const { worker } = setup()
    assert.deepEqual(worker.bounds, { minThreshold: 23, minTarget: 36, maxTarget: 68, maxThreshold: 84 })
  })

  test('connection counts that give no bounds are typed errors naming the field', () => {
    // The other settings are checked once, by the config schema (test/unit/pool/maintenance-config).
    const pool = new FakePool(new FakeClock())
    const bad: Array<[WorkerSetup, string]> = [
      [{ minConnections: 60 }, 'minConnections'],
      [{ maxConnections: 20 }, 'maxConnections'],
    ]
    for (const [config, field] of bad) {
      assert.throws(
        () => new MaintenanceWorker(pool, workerOptions(config)),
        (err: unknown) => err instanceof MaintenanceConfigError && err.field === field,
        field,
      )
    }
  })
})

describe('MaintenanceWorker below min_threshold', () => {
  test('dials until min_target, in parallel but bounded', async () => {
    const { pool, worker } = setup()
    pool.addManyConnections(5)
    pool.addPoints(...distinctPoints(100))
    const report = await worker.maintain()
    assert.equal(report.reason, 'asked')
    assert.equal(report.before, 5)
    assert.equal(report.after, 36)
    assert.equal(report.connected, 31)
    assert.equal(pool.connections.size, 36)
    assert.equal(pool.maxActive, 36)
    assert.ok(pool.maxDialsInProgress > 1 && pool.maxDialsInProgress <= 8, `${pool.maxDialsInProgress}`)
    assert.equal(report.bootstrapSent, 0)
  })

  test('never past max_target, whatever the bounds, parallelism and failures', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(fc.nat({ max: 30 }), fc.nat({ max: 30 }), fc.nat({ max: 30 })),
        fc.nat({ max: 30 }),
        fc.array(fc.boolean(), { maxLength: 40 }),
        fc.integer({ min: 1, max: 8 }),
        async (levels, initial, succeeds, maxParallelDials) => {
          const [min, expected, max] = levels.sort((a, b) => a - b) as [number, number, number]
          const { pool, worker } = setup({
            minConnections: min,
            expectedConnections: expected,
            maxConnections: max,
            maxParallelDials,
            bootstrapRounds: 0,
          })
          pool.addManyConnections(initial)
          const points = distinctPoints(succeeds.length, 100)
          pool.addPoints(...points)
          for (const [i, p] of points.entries()) pool.outcomes.set(p.point, succeeds[i] ? 'connect' : 'fail')
          const report = await worker.maintain()
          const bounds = maintenanceBounds(min, expected, max)
          assert.ok(pool.maxActive <= Math.max(initial, bounds.maxTarget))
          if (initial < bounds.minThreshold) {
            const reachable = initial + succeeds.filter(Boolean).length
            assert.equal(report.after, Math.min(bounds.minTarget, reachable))
          }
          assert.equal(new Set(pool.dialed).size, pool.dialed.length)
        },
      ),
      { numRuns: 40 },
    )
  })

  test('candidates are spread over network groups', async () => {
    // Bounds 3/4/6/7: four dials from none, one at a time.
    const { pool, worker } = setup({
      minConnections: 2,
      expectedConnections: 5,
      maxConnections: 8,
      maxParallelDials: 1,
    })
    pool.addPoints(...Array.from({ length: 10 }, (_, i) => point(`10.1.0.${i + 1}:9732`)))
    pool.addPoints(point('20.1.0.1:9732'), point('30.1.0.1:9732'), point('40.1.0.1:9732'))
    await worker.maintain()
    assert.equal(pool.dialed.length, 4)
    assert.equal(new Set(pool.dialed.map((p) => netGroup(pointHost(p)))).size, 4)
  })

  test('trusted points are dialed first; greylisted and banned never', async () => {
    const { pool, worker } = setup({
      minConnections: 2,
      expectedConnections: 5,
      maxConnections: 8,
      maxParallelDials: 1,
      bootstrapRounds: 0,
    })
    pool.addPoints(
      point('10.1.0.1:9732', { greylisted: true }),
      point('10.2.0.1:9732', { banned: true }),
      point('10.3.0.1:9732'),
      point('10.4.0.1:9732', { trusted: true }),
      point('10.5.0.1:9732'),
    )
    await worker.maintain()
    assert.equal(pool.dialed[0], '10.4.0.1:9732')
    assert.deepEqual([...pool.dialed].sort(), ['10.3.0.1:9732', '10.4.0.1:9732', '10.5.0.1:9732'])
  })

  test('a failed point is not retried in the same step, and only after its backoff', async () => {
    const { clock, pool, worker } = setup({ bootstrapRounds: 0 })
    pool.addPoints(point('10.1.0.1:9732'), point('10.2.0.1:9732'))
    pool.outcomes.set('10.1.0.1:9732', 'fail')
    const first = await worker.maintain()
    assert.equal(first.failedDials, 1)
    assert.equal(first.connected, 1)
    assert.deepEqual(pool.dialed.filter((p) => p === '10.1.0.1:9732').length, 1)
    await worker.maintain()
    assert.equal(pool.dialed.length, 2, 'within the 1 s backoff')
    clock.advance(999)
    await worker.maintain()
    assert.equal(pool.dialed.length, 2)
    clock.advance(1)
    await worker.maintain()
    assert.deepEqual(pool.dialed.slice(2), ['10.1.0.1:9732'])
    assert.equal(pool.points.get('10.1.0.1:9732')!.failures, 2)
    // Second failure in a row: 1.2 s.
    clock.advance(1199)
    await worker.maintain()
    assert.equal(pool.dialed.length, 3)
    clock.advance(1)
    await worker.maintain()
    assert.equal(pool.dialed.length, 4)
  })

  test('candidates exhausted: Bootstrap, wait, and loop when a new point shows up', async () => {
    const { clock, pool, worker } = setup({ bootstrapRounds: 3 })
    const step = worker.maintain()
    await settle()
    assert.equal(pool.bootstraps, 1)
    assert.equal(pool.newPeerListeners, 1, 'waiting for a new peer or point')
    pool.learn(point('10.5.0.1:9732'))
    await settle()
    assert.deepEqual(pool.dialed, ['10.5.0.1:9732'])
    assert.equal(pool.bootstraps, 2, 'still short of the target: asks again')
    clock.advance(5000)
    await settle()
    assert.equal(pool.bootstraps, 3)
    clock.advance(5000)
    const report = await step
    assert.equal(report.bootstrapSent, 3, 'bounded by bootstrapRounds')
    assert.equal(report.connected, 1)
    assert.equal(report.after, 1)
    assert.equal(pool.newPeerListeners, 0)
    assert.equal(clock.active, 0)
  })
})

describe('MaintenanceWorker above max_threshold', () => {
  test('drops down to max_target, never trusted nor the best-scored', async () => {
    const { pool, worker } = setup()
    pool.addManyConnections(100, (i) => ({ trusted: i < 2 }))
    const report = await worker.maintain()
    assert.equal(report.before, 100)
    assert.equal(report.after, 68)
    assert.equal(report.disconnected, 32)
    assert.equal(pool.connections.size, 68)
    for (const kept of ['10.0.0.1', '10.1.0.1', '10.96.0.1', '10.97.0.1', '10.98.0.1', '10.99.0.1'])
      assert.ok(pool.connections.has(`peer-${kept}`), kept)
    const droppedScores = pool.disconnected.map((id) => Number(id.split('.')[1]))
    const mean = droppedScores.reduce((a, b) => a + b, 0) / droppedScores.length
    assert.ok(mean < 40, `dropped scores average ${mean}`)
  })

  test('drops only what it may when most connections are protected', async () => {
    const { pool, worker } = setup()
    pool.addManyConnections(90, (i) => ({ trusted: i >= 10 }))
    const report = await worker.maintain()
    // 10 untrusted, 4 of them protected: 6 dropped.
    assert.equal(report.disconnected, 6)
    assert.equal(report.after, 84)
  })
})

describe('MaintenanceWorker within the bounds', () => {
  test('asks for a swap when the pool can', async () => {
    const { pool, worker } = setup()
    pool.addManyConnections(40)
    pool.addPoints(...distinctPoints(10))
    const report = await worker.maintain()
    assert.equal(report.swapRequested, true)
    assert.equal(pool.swaps, 1)
    assert.equal(pool.dialed.length + pool.disconnected.length, 0)
  })

  test('no swap when the pool has no requestSwap', async () => {
    const { pool, worker } = setup({}, false)
    pool.addManyConnections(40)
    const report = await worker.maintain()
    assert.equal(report.swapRequested, false)
  })
})

test('every step collects the greylist', async () => {
  const { pool, worker } = setup({ bootstrapRounds: 0 })
  pool.expired = 3
  assert.equal((await worker.maintain()).collected, 3)
  pool.addManyConnections(40)
  await worker.maintain()
  pool.addManyConnections(100)
  await worker.maintain()
  assert.equal(pool.gcs, 3)
})

describe('MaintenanceWorker triggers', () => {
  test('timer: a step every period after the last one ended', async () => {
    const { clock, pool, worker, reports } = setup()
    pool.addManyConnections(40)
    worker.start()
    assert.equal(reports.length, 0)
    clock.advance(119_999)
    await settle()
    assert.equal(reports.length, 0)
    clock.advance(1)
    await settle()
    assert.deepEqual(
      reports.map((r) => r.reason),
      ['timer'],
    )
    clock.advance(120_000)
    await settle()
    assert.deepEqual(
      reports.map((r) => r.reason),
      ['timer', 'timer'],
    )
    await worker.stop()
    assert.equal(clock.active, 0)
  })

  test('start runs a first step when stepOnStart', async () => {
    const { pool, worker, reports } = setup({ stepOnStart: true })
    pool.addManyConnections(40)
    worker.start()
    await settle()
    assert.equal(reports[0]?.reason, 'start')
    await worker.stop()
  })

  test('maintain() resolves once the step has ended, and a second ask joins it', async () => {
    const { pool, worker, reports } = setup()
    pool.addPoints(...distinctPoints(50))
    const first = worker.maintain()
    const second = worker.maintain()
    const report = await first
    assert.equal(await second, report)
    assert.equal(reports.length, 1)
    assert.equal(reports[0], report)
    assert.equal(pool.dialsInProgress, 0)
    assert.equal(report.after, pool.connections.size)
  })

  test('too few: a connection closes below min_connections', async () => {
    const { pool, worker, reports } = setup()
    pool.addManyConnections(10)
    pool.addPoints(...distinctPoints(50, 100))
    worker.start()
    pool.drop('peer-10.3.0.1')
    await settle(20)
    assert.equal(reports[0]?.reason, 'too_few')
    assert.equal(reports[0]?.after, 36)
    assert.equal(reports.length, 1, 'the step’s own connections trigger nothing more')
    await worker.stop()
  })

  test('too many: a connection opens above max_threshold', async () => {
    const { pool, worker, reports } = setup()
    pool.addManyConnections(84)
    worker.start()
    pool.accept({ peerId: 'incoming', remoteAddress: '192.168.0.1', trusted: false, score: 0 })
    await settle(20)
    assert.equal(reports[0]?.reason, 'too_many')
    assert.equal(reports[0]?.after, 68)
    await worker.stop()
  })

  test('a pool error fails the step, is reported, and the worker goes on', async () => {
    const { pool, worker } = setup()
    pool.addManyConnections(40)
    const failures: unknown[] = []
    worker.on('step-failed', ({ error }) => failures.push(error))
    const broken = new Error('greylist broken')
    const gc = pool.gc.bind(pool)
    pool.gc = () => {
      throw broken
    }
    await assert.rejects(worker.maintain(), broken)
    assert.deepEqual(failures, [broken])
    pool.gc = gc
    assert.equal((await worker.maintain()).swapRequested, true)
  })
})

describe('MaintenanceWorker stop', () => {
  test('stop() during dials cancels the step and resolves', async () => {
    const { clock, pool, worker } = setup()
    const points = distinctPoints(50)
    pool.addPoints(...points)
    for (const p of points) pool.outcomes.set(p.point, 'hang')
    worker.start()
    const step = worker.maintain()
    await settle()
    assert.equal(pool.dialsInProgress, 8)
    await worker.stop()
    const report = await step
    assert.equal(report.aborted, true)
    assert.equal(report.connected, 0)
    await settle()
    assert.equal(pool.dialed.length, 8, 'no dial after stop')
    assert.equal(clock.active, 0)
    assert.equal(worker.running, false)
    // Disarmed: a closing connection or an ask runs no step.
    pool.addManyConnections(3)
    pool.drop('peer-10.0.0.1')
    const late = await worker.maintain()
    assert.equal(late.aborted, true)
    assert.equal(pool.gcs, 1)
    worker.start()
    assert.equal(worker.running, false, 'a stopped worker stays stopped')
  })

  test('stop() during the wait after Bootstrap', async () => {
    const { clock, pool, worker } = setup()
    worker.start()
    const step = worker.maintain()
    await settle()
    assert.equal(pool.newPeerListeners, 1)
    await worker.stop()
    assert.equal((await step).aborted, true)
    assert.equal(pool.newPeerListeners, 0)
    assert.equal(clock.active, 0)
    assert.equal(pool.bootstraps, 1)
  })
})

describe('MaintenanceWorker outbound minimum', () => {
  test('within the thresholds but short of minOutbound outbound connections, a step dials the missing ones', async () => {
    // 10/20/40: bounds 13/16/34/38; 20 inbound connections, none outbound.
    const { pool, worker } = setup({
      minConnections: 10,
      expectedConnections: 20,
      maxConnections: 40,
      minOutbound: 4,
    })
    pool.addManyConnections(20, () => ({ incoming: true }))
    pool.addPoints(...distinctPoints(10))
    const report = await worker.maintain()
    assert.equal(report.connected, 4)
    assert.equal(report.swapRequested, false)
    assert.equal([...pool.connections.values()].filter((c) => c.incoming !== true).length, 4)
    const again = await worker.maintain()
    assert.equal(again.connected, 0, 'the minimum held: a plain step (a swap) this time')
    assert.equal(again.swapRequested, true)
  })

  test('a step asks the pool to enforce scores first and reports how many went', async () => {
    const { pool, worker } = setup({ minConnections: 0, expectedConnections: 0, maxConnections: 10 })
    let asked = 0
    Object.assign(pool, { enforceScores: () => ++asked })
    const report = await worker.maintain()
    assert.equal(asked, 1)
    assert.equal(report.lowScoreDisconnected, 1)
  })
})
