// Length-prefixed framing (u32 big-endian length, then the bytes) for the drivers that run
// over a byte stream: the raw-TCP and js-libp2p baselines.
import { BenchConnectionError } from './errors.js'

export const FRAME_HEADER_BYTES = 4
/** The largest message a frame may carry. */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024

/** The 4-byte header announcing a message of `length` bytes. */
export function frameHeader(length: number): Buffer {
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES)
  header.writeUInt32BE(length, 0)
  return header
}

/** A message with its header, in one buffer. */
export function framed(message: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + message.length)
  frame.writeUInt32BE(message.length, 0)
  message.copy(frame, FRAME_HEADER_BYTES)
  return frame
}

/**
 * Cuts a byte stream into messages. A message lying whole in one chunk is passed on as a
 * view of that chunk; one spanning chunks is copied once into its own buffer.
 * `push` throws a BenchConnectionError for a length above MAX_FRAME_BYTES.
 */
export class FrameDecoder {
  private readonly header = Buffer.alloc(FRAME_HEADER_BYTES)
  private headerFill = 0
  private body: Buffer | undefined
  private bodyFill = 0

  constructor(private readonly onFrame: (message: Buffer) => void) {}

  push(bytes: Uint8Array): void {
    const chunk = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    let offset = 0
    while (offset < chunk.length) {
      if (this.body === undefined) {
        let length: number
        if (this.headerFill === 0 && chunk.length - offset >= FRAME_HEADER_BYTES) {
          length = chunk.readUInt32BE(offset)
          offset += FRAME_HEADER_BYTES
        } else {
          const n = Math.min(FRAME_HEADER_BYTES - this.headerFill, chunk.length - offset)
          chunk.copy(this.header, this.headerFill, offset, offset + n)
          this.headerFill += n
          offset += n
          if (this.headerFill < FRAME_HEADER_BYTES) return
          this.headerFill = 0
          length = this.header.readUInt32BE(0)
        }
        if (length > MAX_FRAME_BYTES) {
          throw new BenchConnectionError(`frame of ${length} bytes exceeds ${MAX_FRAME_BYTES}`)
        }
        if (chunk.length - offset >= length) {
          this.onFrame(chunk.subarray(offset, offset + length))
          offset += length
          continue
        }
        this.body = Buffer.allocUnsafe(length)
        this.bodyFill = 0
      }
      const n = Math.min(this.body.length - this.bodyFill, chunk.length - offset)
      chunk.copy(this.body, this.bodyFill, offset, offset + n)
      this.bodyFill += n
      offset += n
      if (this.bodyFill === this.body.length) {
        const message = this.body
        this.body = undefined
        this.onFrame(message)
      }
    }
  }
}
