// The chunk reader alone (no socket, no cipher): a stream of u16-length-prefixed chunks cut at
// any byte yields the same chunks, bounds are typed errors, and the carry comes from the pool.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { MAC_BYTES, MacError } from '../../../src/crypto/index.js'
import { BufferPool, CARRY_BYTES } from '../../../src/socket/buffer-pool.js'
import { ChunkReader, type ChunkReaderOptions } from '../../../src/socket/chunk-reader.js'
import { DecodeError } from '../../../src/wire/index.js'

/** The wire form of chunks with these bodies. */
function stream(bodies: readonly Uint8Array[]): Buffer {
  const parts: Buffer[] = []
  for (const body of bodies) {
    const length = Buffer.alloc(2)
    length.writeUInt16BE(body.length, 0)
    parts.push(length, Buffer.from(body))
  }
  return Buffer.concat(parts)
}

/** A body of `length` bytes whose content tells it apart from the others. */
const body = (length: number, seed: number): Buffer =>
  Buffer.from(Array.from({ length }, (_, i) => (i * 31 + seed * 7) & 0xff))

/** A reader without owner calling `handler` with each body. */
const newReader = (
  handler: (body: Uint8Array) => boolean,
  pool: BufferPool,
  options: ChunkReaderOptions = {},
): ChunkReader => new ChunkReader((_, body) => handler(body), undefined, pool, options)

/** A reader that copies out every body it is handed (the views are valid during the call only). */
function collecting(pool = new BufferPool(), options = {}): { reader: ChunkReader; got: Buffer[] } {
  const got: Buffer[] = []
  const reader = newReader(
    (chunk) => {
      got.push(Buffer.from(chunk))
      return true
    },
    pool,
    options,
  )
  return { reader, got }
}

/** Feeds `bytes` in pieces cut at `cuts` (sorted offsets), asserting each feed uses all it gets. */
function feedCut(reader: ChunkReader, bytes: Buffer, cuts: readonly number[]): void {
  let from = 0
  for (const to of [...cuts, bytes.length]) {
    // A copy per read, as a socket gives: nothing may alias an earlier read.
    const read = Buffer.from(bytes.subarray(from, to))
    assert.equal(reader.feed(read), read.length)
    read.fill(0xee) // the next read overwrites a shared read buffer
    from = to
  }
}

/** What `fn` throws (fails if it returns). */
function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  assert.fail('expected a throw')
}

const BODIES = [body(MAC_BYTES, 1), body(17, 2), body(300, 3), body(MAC_BYTES + 1, 4), body(4096, 5)]

describe('ChunkReader', () => {
  test('several chunks in one feed come out in order, each a view of the read (no copy)', () => {
    const bytes = stream(BODIES)
    const views: Uint8Array[] = []
    const reader = newReader((chunk) => {
      views.push(chunk)
      return true
    }, new BufferPool())
    assert.equal(reader.feed(bytes), bytes.length)
    assert.deepEqual(
      views.map((v) => Buffer.from(v)),
      BODIES,
    )
    for (const v of views) assert.equal(v.buffer, bytes.buffer)
    assert.equal(reader.carriedBytes, 0)
  })

  test('a stream cut at every byte boundary yields the same chunks', () => {
    const bytes = stream(BODIES)
    for (let cut = 0; cut <= bytes.length; cut++) {
      const { reader, got } = collecting()
      feedCut(reader, bytes, [cut])
      assert.deepEqual(got, BODIES, `cut at ${cut}`)
      assert.equal(reader.carriedBytes, 0, `cut at ${cut}`)
    }
  })

  test('a stream fed one byte at a time yields the same chunks', () => {
    const bytes = stream(BODIES)
    const { reader, got } = collecting()
    feedCut(
      reader,
      bytes,
      Array.from({ length: bytes.length - 1 }, (_, i) => i + 1),
    )
    assert.deepEqual(got, BODIES)
  })

  test('property: any split of any stream yields the chunks it was made of', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: MAC_BYTES, maxLength: 600 }), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (bodies, rawCuts) => {
          const bytes = stream(bodies)
          const cuts = [...new Set(rawCuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
          const { reader, got } = collecting()
          feedCut(reader, bytes, cuts)
          assert.deepEqual(
            got,
            bodies.map((b) => Buffer.from(b)),
          )
          assert.equal(reader.carriedBytes, 0)
        },
      ),
      { numRuns: 300 },
    )
  })

  test('the longest chunk a u16 can announce (65535 bytes), cut in its middle', () => {
    const big = body(0xffff, 9)
    const { reader, got } = collecting()
    feedCut(reader, stream([big, BODIES[0]!]), [1, 30_000])
    assert.deepEqual(got, [big, BODIES[0]])
  })

  test('a chunk shorter than its MAC is a MacError, whole or with its length cut', () => {
    const short = stream([body(MAC_BYTES - 1, 1)])
    assert.throws(() => collecting().reader.feed(short), MacError)
    const { reader } = collecting()
    assert.equal(reader.feed(short.subarray(0, 1)), 1)
    assert.throws(() => reader.feed(short.subarray(1)), MacError)
  })

  test('a length over the bound is a DecodeError length_over_bound at the chunk offset; nothing after it is read', () => {
    const bytes = stream([body(100, 1), body(201, 2), body(50, 3)])
    const { reader, got } = collecting(new BufferPool(), { maxBody: 200 })
    const err = thrown(() => reader.feed(bytes))
    assert.ok(err instanceof DecodeError)
    assert.equal(err.reason, 'length_over_bound')
    assert.equal(err.code, 'DUNE_DECODE')
    assert.equal(err.offset, 102)
    assert.deepEqual(got, [body(100, 1)])
  })

  test('a length over the bound cut between reads is refused once its second byte arrives', () => {
    const bytes = stream([body(100, 1), body(201, 2)])
    const pool = new BufferPool()
    const { reader, got } = collecting(pool, { maxBody: 200 })
    assert.equal(reader.feed(bytes.subarray(0, 103)), 103) // the second length's first byte only
    const err = thrown(() => reader.feed(bytes.subarray(103)))
    assert.ok(err instanceof DecodeError)
    assert.equal(err.offset, 102)
    assert.deepEqual(got, [body(100, 1)])
    assert.equal(reader.carriedBytes, 0)
    assert.equal(pool.spares.carries, 1, 'the carry went back to the pool')
  })

  test('bounds that cannot hold are refused at construction', () => {
    assert.throws(() => newReader(() => true, new BufferPool(), { minBody: 10, maxBody: 5 }), RangeError)
  })

  test('a handler returning false stops the feed after its chunk; the rest can be fed later', () => {
    const bytes = stream(BODIES)
    const got: Buffer[] = []
    let stopAt = 2
    const reader = newReader((chunk) => {
      got.push(Buffer.from(chunk))
      return got.length !== stopAt
    }, new BufferPool())
    const stopped = reader.feed(bytes)
    assert.equal(stopped, 2 + BODIES[0]!.length + 2 + BODIES[1]!.length)
    assert.deepEqual(got, BODIES.slice(0, 2))
    stopAt = -1
    assert.equal(reader.feed(bytes, stopped), bytes.length)
    assert.deepEqual(got, BODIES)
  })

  test('a handler returning false for a chunk completed from the carry stops right after it', () => {
    const bytes = stream(BODIES)
    const got: Buffer[] = []
    const reader = newReader((chunk) => {
      got.push(Buffer.from(chunk))
      return got.length !== 1
    }, new BufferPool())
    assert.equal(reader.feed(bytes.subarray(0, 5)), 5)
    const second = Buffer.from(bytes.subarray(5))
    const stopped = reader.feed(second)
    assert.equal(stopped, 2 + BODIES[0]!.length - 5)
    assert.deepEqual(got, [BODIES[0]])
    assert.equal(reader.feed(second, stopped), second.length)
    assert.deepEqual(got, BODIES)
  })

  test('an exception from the handler propagates, and a carry it was reading goes back to the pool', () => {
    const pool = new BufferPool()
    const reader = newReader(() => {
      throw new Error('boom')
    }, pool)
    const bytes = stream([BODIES[2]!])
    assert.equal(reader.feed(bytes.subarray(0, 10)), 10)
    assert.equal(pool.spares.carries, 0, 'the carry is taken at the cut')
    assert.throws(() => reader.feed(bytes.subarray(10)), /boom/)
    assert.equal(pool.spares.carries, 1)
    assert.equal(reader.carriedBytes, 0)
  })

  test('the carry is taken from the pool at a cut and given back once its chunk is read, or at reset', () => {
    const pool = new BufferPool()
    const { reader, got } = collecting(pool)
    const bytes = stream([BODIES[2]!, BODIES[3]!])
    reader.feed(bytes.subarray(0, 100))
    assert.equal(reader.carriedBytes, 100)
    assert.equal(pool.spares.carries, 0)
    reader.feed(bytes.subarray(100))
    assert.deepEqual(got, [BODIES[2], BODIES[3]])
    assert.equal(pool.spares.carries, 1)
    reader.feed(bytes.subarray(0, 1)) // takes the spare back
    assert.equal(pool.spares.carries, 0)
    reader.reset()
    assert.equal(reader.carriedBytes, 0)
    assert.equal(pool.spares.carries, 1)
    assert.equal(CARRY_BYTES, 2 + 0xffff)
  })
})
