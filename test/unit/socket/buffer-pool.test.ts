// The buffer pool of connections: which sizes it hands out, which buffers it takes back and how
// many it keeps, the scratch that grows, and the process-wide default.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { MAX_CHUNK_PLAINTEXT } from '../../../src/crypto/index.js'
import {
  BufferPool,
  CARRY_BYTES,
  OUTPUT_BUFFER_BYTES,
  processBufferPool,
  SMALL_BATCH_BYTES,
} from '../../../src/socket/buffer-pool.js'

describe('BufferPool', () => {
  test('without spares, a small batch gets its own size and a large one at least an output buffer', () => {
    const pool = new BufferPool()
    assert.equal(pool.takeOutput(100).length, 100)
    assert.equal(pool.takeOutput(SMALL_BATCH_BYTES).length, SMALL_BATCH_BYTES)
    assert.equal(pool.takeOutput(SMALL_BATCH_BYTES + 1).length, OUTPUT_BUFFER_BYTES)
    assert.equal(pool.takeOutput(OUTPUT_BUFFER_BYTES + 5).length, OUTPUT_BUFFER_BYTES + 5)
  })

  test('an output buffer given back is handed out again, for any size it holds', () => {
    const pool = new BufferPool()
    const buffer = pool.takeOutput(OUTPUT_BUFFER_BYTES)
    pool.giveBackOutput(buffer)
    assert.equal(pool.spares.outputs, 1)
    assert.equal(pool.takeOutput(10), buffer, 'a spare serves a small batch too')
    assert.equal(pool.spares.outputs, 0)
    pool.giveBackOutput(buffer)
    assert.notEqual(pool.takeOutput(OUTPUT_BUFFER_BYTES + 1), buffer, 'too big for a spare')
    assert.equal(pool.spares.outputs, 1)
  })

  test('only buffers of the spares size are kept, up to the bound', () => {
    const pool = new BufferPool({ maxSpareOutputs: 2, maxSpareCarries: 1 })
    pool.giveBackOutput(Buffer.alloc(100))
    pool.giveBackOutput(Buffer.alloc(OUTPUT_BUFFER_BYTES + 1))
    assert.equal(pool.spares.outputs, 0)
    for (let i = 0; i < 3; i++) pool.giveBackOutput(Buffer.alloc(OUTPUT_BUFFER_BYTES))
    assert.equal(pool.spares.outputs, 2)
    pool.giveBackCarry(Buffer.alloc(10))
    assert.equal(pool.spares.carries, 0)
    pool.giveBackCarry(pool.takeCarry())
    pool.giveBackCarry(Buffer.alloc(CARRY_BYTES))
    assert.equal(pool.spares.carries, 1)
  })

  test('carries hold the largest chunk and are reused', () => {
    const pool = new BufferPool()
    const carry = pool.takeCarry()
    assert.equal(carry.length, CARRY_BYTES)
    pool.giveBackCarry(carry)
    assert.equal(pool.takeCarry(), carry)
    assert.notEqual(pool.takeCarry(), carry)
  })

  test('the scratch is one buffer, at least a chunk plaintext, grown when asked for more', () => {
    const pool = new BufferPool()
    const scratch = pool.scratch(4)
    assert.ok(scratch.length >= MAX_CHUNK_PLAINTEXT)
    assert.equal(pool.scratch(MAX_CHUNK_PLAINTEXT), scratch)
    const grown = pool.scratch(MAX_CHUNK_PLAINTEXT + 10)
    assert.ok(grown.length >= MAX_CHUNK_PLAINTEXT + 10)
    assert.equal(pool.scratch(0), grown)
  })

  test('two pools share nothing; the process pool is one instance', () => {
    const a = new BufferPool()
    const b = new BufferPool()
    a.giveBackOutput(Buffer.alloc(OUTPUT_BUFFER_BYTES))
    assert.equal(b.spares.outputs, 0)
    assert.notEqual(a.scratch(1), b.scratch(1))
    assert.equal(processBufferPool(), processBufferPool())
  })

  test('negative bounds are refused', () => {
    assert.throws(() => new BufferPool({ maxSpareOutputs: -1 }), RangeError)
  })
})
