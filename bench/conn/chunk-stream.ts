// Cuts a byte stream of chunks (u16 length, then that many bytes) into the chunks' bodies, across
// reads, with dune's ChunkReader: what the benchmark's bare sealed transports (decrypt-threads) share.
import { BufferPool } from '../../src/socket/buffer-pool.js'
import { ChunkReader } from '../../src/socket/chunk-reader.js'

/**
 * A reader to call with every socket read; it calls `onBody` once per whole chunk, in order, with
 * a view of the read (or of a carry buffer, for a chunk cut between reads; the view is reused
 * afterwards). An exception from `onBody`, or a chunk shorter than its MAC, propagates to the
 * reader's caller.
 */
export function chunkBodies(onBody: (body: Buffer) => void): (data: Buffer) => void {
  const reader = new ChunkReader(
    (_, body) => {
      onBody(Buffer.from(body.buffer, body.byteOffset, body.length))
      return true
    },
    undefined,
    new BufferPool({ maxSpareOutputs: 0, maxSpareCarries: 1 }),
  )
  return (data) => {
    reader.feed(data)
  }
}
