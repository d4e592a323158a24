// The sealed-TCP floor: raw TCP plus the wire's chunk encryption (u16 length, then secretbox
// MAC and ciphertext under a per-chunk nonce) and nothing else: no handshake, queues or scheduler.
//
// Every Octez-compatible transport pays for this encryption, so this driver's bulk rate shows
// what the cipher alone leaves of raw TCP on this machine; dune's figures are read against it.
import type { Socket } from 'node:net'
import sodium from 'sodium-native'
import { MAC_BYTES, MAX_CHUNK_PLAINTEXT } from '../../src/crypto/chunk-cipher.js'
import { BufferPool } from '../../src/socket/buffer-pool.js'
import { ChunkReader } from '../../src/socket/chunk-reader.js'
import type { BenchConnection, Driver } from './driver.js'
import { BenchConnectionError } from './errors.js'
import { FRAME_HEADER_BYTES, FrameDecoder } from './framing.js'
import { TcpConnection, tcpDriver } from './tcp-connection.js'

const CHUNK_LENGTH_BYTES = 2
const MAX_CHUNK_BOX = MAC_BYTES + MAX_CHUNK_PLAINTEXT
/** Sealed chunks written to the socket in one call. */
const BATCH_BYTES = 4 * (CHUNK_LENGTH_BYTES + MAX_CHUNK_BOX)
/** Bytes the socket may hold unsent before `send` asks the caller to wait. */
const HIGH_WATER_BYTES = 1024 * 1024
/** Both sides know the key: no handshake, the figure is the cipher's cost alone. */
const KEY = Buffer.alloc(sodium.crypto_secretbox_KEYBYTES, 0x42)
/** The carries of every connection's chunk reader in this process. */
const carries = new BufferPool()

/**
 * Messages are framed (u32 length) into one plaintext stream, cut into chunks of at most
 * MAX_CHUNK_PLAINTEXT bytes: a chunk is sealed when full or when the tick ends, so small
 * messages of one tick share a chunk. Received bytes are cut into chunks by dune's own
 * ChunkReader (what a transport of this wire format cannot do without), each chunk opened into a
 * fresh buffer.
 */
class SealedTcpConnection extends TcpConnection {
  private readonly plain = Buffer.allocUnsafe(MAX_CHUNK_PLAINTEXT)
  private plainFill = 0
  private batch = Buffer.allocUnsafe(BATCH_BYTES)
  private batchFill = 0
  private readonly header = Buffer.allocUnsafe(FRAME_HEADER_BYTES)
  private readonly sendNonce = Buffer.alloc(sodium.crypto_secretbox_NONCEBYTES)
  private readonly receiveNonce = Buffer.alloc(sodium.crypto_secretbox_NONCEBYTES)
  private flushQueued = false
  private readonly flushAtTickEnd = (): void => {
    this.flushQueued = false
    this.flush()
  }

  send(message: Buffer): Promise<void> | undefined {
    if (this.closed) return Promise.reject(this.closedError())
    this.header.writeUInt32BE(message.length, 0)
    this.append(this.header)
    this.append(message)
    if (!this.flushQueued) {
      this.flushQueued = true
      process.nextTick(this.flushAtTickEnd)
    }
    return this.socket.writableLength < HIGH_WATER_BYTES ? undefined : this.drained()
  }

  protected override flush(): void {
    if (this.plainFill > 0) this.seal()
    this.writeBatch()
  }

  private append(bytes: Buffer): void {
    let offset = 0
    while (offset < bytes.length) {
      const n = Math.min(MAX_CHUNK_PLAINTEXT - this.plainFill, bytes.length - offset)
      bytes.copy(this.plain, this.plainFill, offset, offset + n)
      this.plainFill += n
      offset += n
      if (this.plainFill === MAX_CHUNK_PLAINTEXT) this.seal()
    }
  }

  private seal(): void {
    const boxBytes = MAC_BYTES + this.plainFill
    if (this.batchFill + CHUNK_LENGTH_BYTES + boxBytes > BATCH_BYTES) this.writeBatch()
    const at = this.batchFill + CHUNK_LENGTH_BYTES
    this.batch.writeUInt16BE(boxBytes, this.batchFill)
    sodium.crypto_secretbox_easy(
      this.batch.subarray(at, at + boxBytes),
      this.plain.subarray(0, this.plainFill),
      this.sendNonce,
      KEY,
    )
    sodium.sodium_increment(this.sendNonce)
    this.batchFill = at + boxBytes
    this.plainFill = 0
  }

  /** The socket keeps the written batch until it is sent, so the next one is a new buffer. */
  private writeBatch(): void {
    if (this.batchFill === 0 || this.closed) return
    this.socket.write(this.batch.subarray(0, this.batchFill))
    this.batch = Buffer.allocUnsafe(BATCH_BYTES)
    this.batchFill = 0
  }

  onMessage(callback: (message: Buffer) => void): void {
    const decoder = new FrameDecoder(callback)
    // The reader refuses a chunk shorter than its MAC (a MacError).
    const chunks = new ChunkReader(
      (_, box) => {
        const opened = Buffer.allocUnsafe(box.length - MAC_BYTES)
        if (!sodium.crypto_secretbox_open_easy(opened, box, this.receiveNonce, KEY))
          throw new BenchConnectionError('sealed-tcp chunk MAC verification failed')
        sodium.sodium_increment(this.receiveNonce)
        decoder.push(opened)
        return true
      },
      undefined,
      carries,
    )
    this.socket.on('data', (data: Buffer) => {
      try {
        chunks.feed(data)
      } catch (err) {
        this.socket.destroy(err as Error)
      }
    })
  }
}

export const sealedTcpDriver: Driver = tcpDriver(
  'sealed-tcp',
  (socket: Socket): BenchConnection => new SealedTcpConnection(socket, 'sealed-tcp'),
)
