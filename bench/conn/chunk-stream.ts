// Cuts a byte stream of chunks (u16 length, then that many bytes) into the chunks' bodies, across
// reads: what the benchmark's bare sealed transports (sealed-tcp, decrypt-threads) share.
import { MAC_BYTES, MAX_CHUNK_PLAINTEXT } from '../../src/crypto/chunk-cipher.js'

const LENGTH_BYTES = 2
const MAX_CHUNK_WIRE = LENGTH_BYTES + MAC_BYTES + MAX_CHUNK_PLAINTEXT

/**
 * A reader to call with every socket read; it calls `onBody` once per whole chunk, in order, with
 * a view of the read (or of its one carry buffer, for a chunk cut between reads; the view is
 * reused afterwards). An exception from `onBody` propagates to the reader's caller.
 */
export function chunkBodies(onBody: (body: Buffer) => void): (data: Buffer) => void {
  const carry = Buffer.allocUnsafe(MAX_CHUNK_WIRE)
  let carryFill = 0
  /** Where the chunk starting at `bytes[offset]` ends, or 0 if its length is not all there. */
  const chunkEnd = (bytes: Buffer, offset: number, end: number): number =>
    end - offset < LENGTH_BYTES ? 0 : offset + LENGTH_BYTES + bytes.readUInt16BE(offset)
  return (data) => {
    let offset = 0
    if (carryFill > 0) {
      // Complete the chunk cut by the previous read: its length first, then its bytes.
      if (carryFill < LENGTH_BYTES) carry[carryFill++] = data[offset++]!
      const end = chunkEnd(carry, 0, carryFill)
      const n = Math.min(end - carryFill, data.length - offset)
      data.copy(carry, carryFill, offset, offset + n)
      carryFill += n
      offset += n
      if (carryFill < end) return
      carryFill = 0
      onBody(carry.subarray(LENGTH_BYTES, end))
    }
    for (;;) {
      const end = chunkEnd(data, offset, data.length)
      if (end === 0 || end > data.length) break
      onBody(data.subarray(offset + LENGTH_BYTES, end))
      offset = end
    }
    if (offset < data.length) carryFill = data.copy(carry, 0, offset)
  }
}
