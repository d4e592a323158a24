// Tests of the soak's periodic malloc_trim: no trimmer for period 0, and on glibc a trimmer that
// trims on its period, counts its trims and stops.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
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
})
