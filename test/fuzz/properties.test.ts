// The fuzzing properties, bounded (a few hundred runs each): every decoder, the stream decoder
// and the handshake. A failure prints the seed and path to replay; `npm run fuzz` runs longer.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { describeFailure, properties } from './properties.js'

describe('fuzzing (bounded)', () => {
  for (const p of properties) {
    test(p.name, async () => {
      const { property, close } = await p.open()
      try {
        const details = await fc.check(property, { numRuns: p.runs })
        assert.ok(!details.failed, describeFailure(p.name, details))
      } finally {
        await close()
      }
    })
  }
})
