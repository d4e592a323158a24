// Tests of the soak's periodic malloc_trim: no trimmer for period 0, and on glibc a trimmer that
// trims on its period and stops, and a trim that gives freed C-heap pages back to the system.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { fullCollection } from '../../../src/sim/soak-probe.js'
import { mallocTrim, startMallocTrim } from '../../../src/sim/soak-trim.js'

describe('soak malloc trim', () => {
  test('period 0: no trimmer', () => {
    assert.equal(startMallocTrim(0), undefined)
  })

  test('on glibc, the trimmer trims on its period and stops', {
    skip: mallocTrim === undefined,
  }, async () => {
    const trimmer = startMallocTrim(10)!
    try {
      await sleep(200)
      const { trims, maxMs, totalMs } = trimmer.stats()
      assert.ok(trims >= 2, `trims ${trims}`)
      assert.ok(maxMs <= totalMs)
    } finally {
      trimmer.stop()
    }
    const stopped = trimmer.stats().trims
    await sleep(50)
    assert.equal(trimmer.stats().trims, stopped, 'no trim after stop')
  })

  test('on glibc, a trim gives back the pages of freed C-heap memory', {
    skip: mallocTrim === undefined,
  }, () => {
    // 200,000 buffers of 200 bytes (malloc'd outside V8's heap), then freed by a collection:
    // glibc keeps most of those pages resident until the trim.
    let held: Buffer[] = Array.from({ length: 200_000 }, () => Buffer.allocUnsafeSlow(200))
    assert.equal(held.length, 200_000)
    held = []
    fullCollection()()
    const before = process.memoryUsage.rss()
    mallocTrim!()
    const released = before - process.memoryUsage.rss()
    assert.ok(released > 8 * 1024 * 1024, `released ${(released / 1048576).toFixed(1)} MiB`)
  })
})
