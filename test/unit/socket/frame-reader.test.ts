// The frame reader alone over a real chunk cipher (no socket): frames spanning chunks, several
// in one chunk, sizes cut by chunk boundaries, the peek path of large frames, and its errors.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { ChunkCipher, MAC_BYTES, MacError } from '../../../src/crypto/index.js'
import { BufferPool } from '../../../src/socket/buffer-pool.js'
import { FRAME_PREFIX, FrameReader } from '../../../src/socket/frame-reader.js'
import { DecodeError } from '../../../src/wire/index.js'

const MAX_FRAME = 200_000

/** A sealing end and a reader whose frames (copied) land in `frames`. */
function setup(options: { onFrame?: (frame: Buffer) => boolean; onEmptyChunk?: () => void } = {}) {
  const key = randomBytes(32)
  const a = randomBytes(24)
  const b = randomBytes(24)
  const sealer = new ChunkCipher(key, a, b)
  const frames: Buffer[] = []
  const reader = new FrameReader(
    new ChunkCipher(key, b, a),
    MAX_FRAME,
    new BufferPool(),
    (_, frame) => {
      if (options.onFrame) return options.onFrame(frame)
      frames.push(frame)
      return true
    },
    undefined,
    options.onEmptyChunk,
  )
  /** Seals `plain` as one chunk and opens it. */
  const send = (plain: Uint8Array): void => {
    const boxed = Buffer.alloc(plain.length + MAC_BYTES)
    sealer.seal(plain, boxed)
    reader.open(boxed)
  }
  return { reader, frames, send, sealer }
}

/** The frame (u32 size, then the bytes) carrying `body`. */
function frame(body: Uint8Array): Buffer {
  const out = Buffer.alloc(FRAME_PREFIX + body.length)
  out.writeUInt32BE(body.length, 0)
  out.set(body, FRAME_PREFIX)
  return out
}

/** `bytes` cut into chunks at the given lengths (the last piece takes the rest). */
function cut(bytes: Buffer, sizes: readonly number[]): Buffer[] {
  const out: Buffer[] = []
  let off = 0
  for (const size of sizes) {
    if (off >= bytes.length) break
    out.push(bytes.subarray(off, Math.min(bytes.length, off + size)))
    off += size
  }
  if (off < bytes.length) out.push(bytes.subarray(off))
  return out
}

describe('FrameReader', () => {
  test('a frame in one small chunk is handed on whole', () => {
    const { frames, send } = setup()
    const f = frame(randomBytes(100))
    send(f)
    assert.deepEqual(frames, [f])
  })

  test('several frames in one chunk, and a frame spanning several chunks', () => {
    const { frames, send } = setup()
    const small = [frame(randomBytes(10)), frame(randomBytes(1)), frame(randomBytes(300))]
    send(Buffer.concat(small))
    const big = frame(randomBytes(150_000))
    for (const piece of cut(big, [60_000, 60_000])) send(piece)
    assert.deepEqual(frames, [...small, big])
  })

  test('a large first chunk sizes its frame by peeking (the frame buffer is the one opened into)', () => {
    const { frames, send } = setup()
    const big = frame(randomBytes(100_000))
    const pieces = cut(big, [65_000])
    send(pieces[0]!)
    assert.equal(frames.length, 0)
    send(pieces[1]!)
    assert.deepEqual(frames, [big])
    assert.equal(frames[0]!.length, big.length)
  })

  test('property: any chunking of a run of frames yields the frames', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 9000 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 12_000 }), { maxLength: 40 }),
        (bodies, sizes) => {
          const { frames, send } = setup()
          const expected = bodies.map(frame)
          for (const piece of cut(Buffer.concat(expected), sizes)) send(piece)
          assert.deepEqual(frames, expected)
        },
      ),
      { numRuns: 100 },
    )
  })

  test('a size prefix cut by tiny chunks is put together', () => {
    const { frames, send } = setup()
    const f = frame(randomBytes(20))
    for (const piece of cut(f, [1, 1, 1, 3, 5])) send(piece)
    assert.deepEqual(frames, [f])
  })

  test('an empty chunk is reported and changes nothing', () => {
    let empty = 0
    const { frames, send } = setup({ onEmptyChunk: () => empty++ })
    const f = frame(randomBytes(30))
    const [head, tail] = cut(f, [10])
    send(head!)
    send(Buffer.alloc(0))
    send(tail!)
    assert.equal(empty, 1)
    assert.deepEqual(frames, [f])
  })

  test('a frame of size 0 and one above the bound are DecodeErrors', () => {
    const over = setup()
    const head = Buffer.alloc(FRAME_PREFIX + 10)
    head.writeUInt32BE(MAX_FRAME + 1, 0)
    assert.throws(
      () => over.send(head),
      (e: unknown) => e instanceof DecodeError && e.reason === 'length_over_bound',
    )
    assert.throws(
      () => setup().send(Buffer.concat([frame(Buffer.alloc(0)), Buffer.alloc(8)])),
      (e: unknown) => e instanceof DecodeError && e.reason === 'empty_frame',
    )
  })

  test('a chunk that does not verify is a MacError', () => {
    const { reader } = setup()
    assert.throws(() => reader.open(randomBytes(MAC_BYTES + 40)), MacError)
    assert.throws(() => reader.open(randomBytes(MAC_BYTES - 1)), MacError)
  })

  test('a handler returning false stops the chunk: the frames after it are not read', () => {
    const got: Buffer[] = []
    const { send } = setup({
      onFrame: (f) => {
        got.push(f)
        return false
      },
    })
    send(Buffer.concat([frame(randomBytes(3)), frame(randomBytes(4))]))
    assert.equal(got.length, 1)
  })

  test('reset drops a partly filled frame', () => {
    const { reader, frames, send } = setup()
    const first = frame(randomBytes(50))
    send(first.subarray(0, 20))
    reader.reset()
    const second = frame(randomBytes(7))
    send(second)
    assert.deepEqual(frames, [second])
  })
})
