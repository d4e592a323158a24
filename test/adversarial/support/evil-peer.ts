// The adversarial suite's "evil peer": a raw TCP client that runs the handshake one step at a
// time with real crypto, then misbehaves (bad fields, truncations, replayed or forged chunks).
import net from 'node:net'
import {
  ChunkCipher,
  channelKey,
  deriveNonces,
  type Identity,
  MAC_BYTES,
  peerIdToB58,
} from '../../../src/crypto/index.js'
import { HandshakeReader } from '../../../src/socket/handshake-reader.js'
import {
  ackEncoding,
  type ConnectionMessage,
  decodeConnectionMessage,
  encode,
  encodeConnectionMessage,
  type MessageRegistry,
  metadataEncoding,
  type P2pMessage,
} from '../../../src/wire/index.js'
import { defined } from '../../support/defined.js'
import { testIdentity } from '../../support/identities.js'

export interface EvilOptions {
  /** Source address (a 127.x address of its own, so that greylisting can be told apart). */
  readonly localAddress: string
  readonly identity?: Identity
  readonly chainName?: string
}

/** The connection message an honest peer with `identity` would send. */
export function honestConnectionMessage(identity: Identity, chainName = 'DUNE_TEST'): ConnectionMessage {
  return {
    port: 0,
    publicKey: identity.publicKey,
    proofOfWorkStamp: identity.proofOfWorkStamp,
    messageNonce: Buffer.alloc(24, 7),
    chainName,
    distributedDbVersion: 0,
    p2pVersion: 1,
  }
}

/** A sealed chunk on the wire: `u16 length | MAC | ciphertext`. */
export function sealChunk(cipher: ChunkCipher, plain: Buffer): Buffer {
  const out = Buffer.allocUnsafe(2 + MAC_BYTES + plain.length)
  out.writeUInt16BE(MAC_BYTES + plain.length, 0)
  cipher.seal(plain, out, 2)
  return out
}

/** A raw TCP connection to a node that speaks the handshake only as far and as well as told. */
export class EvilPeer {
  readonly socket: net.Socket
  readonly identity: Identity
  readonly chainName: string
  readonly reader: HandshakeReader
  /** Resolves when the node closed the socket (or it failed). */
  readonly closed: Promise<void>
  sentRaw: Buffer | undefined
  recvRaw: Buffer | undefined
  cipher: ChunkCipher | undefined

  private constructor(socket: net.Socket, options: EvilOptions) {
    this.socket = socket
    this.identity = options.identity ?? testIdentity()
    this.chainName = options.chainName ?? 'DUNE_TEST'
    this.reader = new HandshakeReader(socket)
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()))
    socket.on('error', () => {})
  }

  /** Opens a TCP connection to `host:port` from `options.localAddress`. */
  static dial(host: string, port: number, options: EvilOptions): Promise<EvilPeer> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port, localAddress: options.localAddress })
      socket.once('connect', () => {
        socket.removeAllListeners('error')
        resolve(new EvilPeer(socket, options))
      })
      socket.once('error', reject)
    })
  }

  /** Wraps a socket a listener of ours accepted (the node dialed us). */
  static accepted(socket: net.Socket, identity: Identity): EvilPeer {
    return new EvilPeer(socket, { localAddress: socket.localAddress ?? '', identity })
  }

  get peerId(): string {
    return peerIdToB58(this.identity.peerId)
  }

  /** Writes bytes as they are (no framing). */
  send(bytes: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(bytes)
  }

  /** Sends a connection message given whole, or as raw bytes (hashed into the nonces as sent). */
  sendConnectionMessage(
    message: ConnectionMessage | Buffer = honestConnectionMessage(this.identity, this.chainName),
  ): Buffer {
    const raw = Buffer.isBuffer(message) ? message : encodeConnectionMessage(message)
    this.sentRaw = raw
    this.send(raw)
    return raw
  }

  /** Reads the node's connection message (raw bytes kept for the nonces). */
  async readConnectionMessage(): Promise<ConnectionMessage> {
    const prefix = await this.reader.read(2)
    const body = await this.reader.read(prefix.readUInt16BE(0))
    this.recvRaw = Buffer.concat([prefix, body])
    return decodeConnectionMessage(this.recvRaw)
  }

  /**
   * Derives the channel cipher from both raw messages (`sent` overrides what is hashed as ours);
   * `incoming` when we accepted the connection.
   */
  deriveCipher(sent: Buffer = this.sentRaw!, incoming = false): ChunkCipher {
    const remote = decodeConnectionMessage(this.recvRaw!)
    const nonces = deriveNonces(sent, this.recvRaw!, incoming)
    this.cipher = new ChunkCipher(
      channelKey(this.identity.secretKey, remote.publicKey),
      nonces.local,
      nonces.remote,
    )
    return this.cipher
  }

  /** Seals `plain` as the next chunk (advancing our nonce) without sending it. */
  seal(plain: Buffer): Buffer {
    return sealChunk(this.cipher!, plain)
  }

  /** Reads one chunk and opens it (throws MacError on a bad one). */
  async readChunk(): Promise<Buffer> {
    const length = (await this.reader.read(2)).readUInt16BE(0)
    const boxed = await this.reader.read(length)
    const plain = Buffer.allocUnsafe(length - MAC_BYTES)
    this.cipher!.open(boxed, plain)
    return plain
  }

  /** The metadata chunk an honest peer sends (sealed now: the next nonce). */
  metadataChunk(): Buffer {
    return this.seal(encode(metadataEncoding, { disableMempool: false, privateNode: false }))
  }

  /** The metadata and Ack chunks an honest peer sends after the connection messages, sealed in order. */
  honestTail(): { metadata: Buffer; ack: Buffer } {
    const metadata = this.metadataChunk()
    const ack = this.seal(encode(ackEncoding, { kind: 'ack' }))
    return { metadata, ack }
  }

  /**
   * Runs the whole handshake honestly; resolves once the node's Ack is read (the connection is
   * live on both sides). Rejects if the node refuses.
   */
  async handshake(): Promise<void> {
    this.sendConnectionMessage()
    await this.readConnectionMessage()
    this.deriveCipher()
    const { metadata, ack } = this.honestTail()
    this.send(metadata)
    await this.readChunk()
    this.send(ack)
    const answer = await this.readChunk()
    if (answer[0] !== 0x00) throw new Error(`the node refused: ack byte 0x${answer[0]?.toString(16)}`)
    this.reader.detach()
  }

  /** The frame of `message` (u32 size, tag, body) in `registry`'s encoding. */
  static frame<A>(registry: MessageRegistry<A>, message: P2pMessage<A>): Buffer {
    const out = Buffer.allocUnsafe(registry.sizeOf(message))
    registry.writeFrame(message, out, 0)
    return out
  }

  /** Stops reading: the node's writes fill the kernel buffers, then its queue. */
  stopReading(): void {
    this.socket.pause()
  }

  destroy(): void {
    this.socket.destroy()
  }
}

/** Runs `jobs` with at most `limit` in flight; resolves with their results in order. */
export async function inParallel<T>(limit: number, jobs: Array<() => Promise<T>>): Promise<T[]> {
  const results: T[] = new Array(jobs.length)
  let next = 0
  const worker = async (): Promise<void> => {
    for (let i = next++; i < jobs.length; i = next++) results[i] = await defined(jobs[i])()
  }
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker))
  return results
}
