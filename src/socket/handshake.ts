// The handshake of SPEC section 2 over a fresh TCP socket, the same on both sides: connection
// messages in clear, then metadata and Ack/Nack in encrypted chunks. `authenticate` stops after
// the metadata so that the pool can decide; `accept` and `nack` finish the exchange. An abort
// of the caller's signal destroys the socket and rejects the step in progress with AbortedError.
import type { Socket } from 'node:net'
import sodium from 'sodium-native'
import {
  ChunkCipher,
  channelKey,
  checkProofOfWork,
  deriveNonces,
  type Identity,
  MAC_BYTES,
  MacError,
  peerIdOf,
  peerIdToB58,
} from '../crypto/index.js'
import { InvalidArgumentError } from '../errors/index.js'
import { type Clock, systemClock, type TimerHandle } from '../io/clock.js'
import {
  type Ack,
  ackEncoding,
  type ConnectionMessage,
  connectionMessageEncoding,
  decode,
  type Encoding,
  encode,
  type NackMotive,
} from '../wire/index.js'
import { AbortedError, type AbortOptions, onAbort } from './abort.js'
import {
  HandshakeClosedError,
  HandshakeDecodingError,
  HandshakeDecryptionError,
  HandshakeError,
  HandshakeTimeoutError,
  ProofOfWorkTooLowError,
  RejectedByPeerError,
  SelfConnectionError,
} from './errors.js'
import { HandshakeReader, SocketEndedError } from './handshake-reader.js'
import {
  announcedVersions,
  type NegotiatedVersion,
  negotiateVersion,
  type SupportedVersions,
  type VersionRejection,
} from './versions.js'

/** What a node brings to every handshake. */
export interface HandshakeConfig<M> {
  readonly identity: Identity
  /** Proof-of-work bits we demand of the remote stamp. */
  readonly expectedProofOfWork: number
  readonly versions: SupportedVersions
  /** Our listening port, announced in the connection message (undefined: not listening). */
  readonly listeningPort: number | undefined
  readonly metadataEncoding: Encoding<M>
  readonly localMetadata: M
  /** Bounds the whole handshake, Ack included (SPEC: authentication_timeout, 5 s). */
  readonly authenticationTimeoutMs: number
  /** Bounds the wait for the peer's connection message, from the start (unset: only the whole timeout). */
  readonly connectionMessageTimeoutMs?: number | undefined
  /** Told once the peer's connection message has arrived (the handshake table's stage). */
  readonly onConnectionMessage?: (() => void) | undefined
  /** The clock of the handshake's timeouts (default: Node's timers); the pool passes its own. */
  readonly clock?: Clock | undefined
}

/** The peer as the handshake revealed it, before either side sent its Ack. */
export interface AuthenticatedPeer<M> {
  readonly incoming: boolean
  /** `host:port` of the socket's remote end. */
  readonly remoteAddress: string
  readonly remotePort: number
  readonly peerId: Buffer
  readonly peerIdB58: string
  readonly remoteConnectionMessage: ConnectionMessage
  readonly remoteMetadata: M
  /** The versions to speak, or why they cannot be agreed (answer with a Nack of that motive). */
  readonly version: { ok: true; version: NegotiatedVersion } | { ok: false; motive: VersionRejection }
}

/** State a finished handshake hands to the connection. */
export interface HandshakeResult<M> {
  readonly peer: AuthenticatedPeer<M>
  readonly socket: Socket
  readonly cipher: ChunkCipher
  /** Bytes the peer sent after its Ack, to be read as the first chunks of the connection. */
  readonly leftover: Buffer
  readonly version: NegotiatedVersion
}

const pointOf = (socket: Socket): string => {
  const host = socket.remoteAddress ?? 'unknown'
  return host.includes(':') ? `[${host}]:${socket.remotePort}` : `${host}:${socket.remotePort}`
}

/**
 * A handshake in progress after the metadata exchange. Call exactly one of `accept` (send Ack,
 * read the peer's answer) or `nack` (send Nack with a motive and alternative points, then close).
 */
export class PendingHandshake<M> {
  readonly peer: AuthenticatedPeer<M>
  readonly #socket: Socket
  readonly #reader: HandshakeReader
  readonly #cipher: ChunkCipher
  readonly #deadline: Deadline
  /** Stops listening to the caller's signal (once the handshake is over). */
  readonly #release: () => void
  #settled = false

  constructor(
    peer: AuthenticatedPeer<M>,
    socket: Socket,
    reader: HandshakeReader,
    cipher: ChunkCipher,
    deadline: Deadline,
    release: () => void,
  ) {
    this.peer = peer
    this.#socket = socket
    this.#reader = reader
    this.#cipher = cipher
    this.#deadline = deadline
    this.#release = release
  }

  /** Sends Ack and reads the peer's Ack: the connection is then live. */
  async accept(): Promise<HandshakeResult<M>> {
    this.#settle()
    if (!this.peer.version.ok)
      throw new InvalidArgumentError('accept: the versions were not agreed; send a Nack')
    const where = { point: pointOf(this.#socket), peerId: this.peer.peerIdB58 }
    try {
      writeChunk(this.#socket, this.#cipher, encode(ackEncoding, { kind: 'ack' }))
      const answer = await this.#deadline.race(readChunk(this.#reader, this.#cipher, where, 'ack'))
      const ack = decodeStep(ackEncoding, answer, where, 'ack')
      if (ack.kind !== 'ack') {
        throw new RejectedByPeerError(
          where,
          ack.kind === 'nack' ? ack.motive : 'no_motive',
          ack.kind === 'nack' ? ack.potentialPeersToConnect : [],
        )
      }
      this.#deadline.clear()
      this.#release()
      return {
        peer: this.peer,
        socket: this.#socket,
        cipher: this.#cipher,
        leftover: this.#reader.detach(),
        version: this.peer.version.version,
      }
    } catch (err) {
      this.#abort()
      throw mapFailure(err, where)
    }
  }

  /** Refuses the peer: Nack (with alternatives to peers speaking p2p_version >= 1), then close. */
  async nack(motive: NackMotive, alternativePoints: readonly string[] = []): Promise<void> {
    this.#settle()
    const ack: Ack =
      this.peer.remoteConnectionMessage.p2pVersion >= 1
        ? { kind: 'nack', motive, potentialPeersToConnect: alternativePoints.slice(0, 100) }
        : { kind: 'nack_v0' }
    try {
      writeChunk(this.#socket, this.#cipher, encode(ackEncoding, ack))
    } finally {
      this.#deadline.clear()
      this.#reader.detach()
      // An abort while the peer reads the Nack still destroys the socket.
      await endSocket(this.#socket, this.#deadline.clock)
      this.#release()
    }
  }

  #settle(): void {
    if (this.#settled) throw new InvalidArgumentError('PendingHandshake: accept or nack was already called')
    this.#settled = true
  }

  #abort(): void {
    this.#deadline.clear()
    this.#release()
    this.#reader.detach()
    this.#socket.destroy()
  }
}

/**
 * Runs the handshake up to the metadata exchange on `socket` (dialed when `incoming` is false).
 * Throws a HandshakeError subclass on every failure, or AbortedError when `options.signal`
 * aborts (until `accept` or `nack` ends), and destroys the socket.
 */
export async function authenticate<M>(
  socket: Socket,
  incoming: boolean,
  config: HandshakeConfig<M>,
  options: AbortOptions = {},
): Promise<PendingHandshake<M>> {
  const where: { point: string; peerId?: string } = { point: pointOf(socket) }
  const { signal } = options
  if (signal?.aborted) {
    socket.destroy()
    throw new AbortedError(`handshake with ${where.point}`, signal.reason)
  }
  const clock = config.clock ?? systemClock
  const deadline = new Deadline(clock, config.authenticationTimeoutMs, () => {
    socket.destroy()
    return new HandshakeTimeoutError(where, config.authenticationTimeoutMs)
  })
  const firstMs = config.connectionMessageTimeoutMs
  const first =
    firstMs !== undefined && firstMs < config.authenticationTimeoutMs
      ? new Deadline(clock, firstMs, () => {
          socket.destroy()
          return new HandshakeTimeoutError(where, firstMs, 'connection message')
        })
      : undefined
  const release = onAbort(signal, () => {
    deadline.expire(new AbortedError(`handshake with ${where.point}`, signal?.reason))
    socket.destroy()
  })
  const reader = new HandshakeReader(socket)
  socket.setNoDelay(true) // the handshake is a few small writes, each awaited by the peer
  try {
    const announced = announcedVersions(config.versions)
    const localMessage: ConnectionMessage = {
      port: config.listeningPort ?? 0,
      publicKey: config.identity.publicKey,
      proofOfWorkStamp: config.identity.proofOfWorkStamp,
      messageNonce: randomNonce(),
      chainName: config.versions.chainName,
      distributedDbVersion: announced.distributedDbVersion,
      p2pVersion: announced.p2pVersion,
    }
    const sentRaw = encode(connectionMessageEncoding, localMessage)
    socket.write(sentRaw)

    const readFirst = <T>(p: Promise<T>): Promise<T> => deadline.race(first ? first.race(p) : p)
    const lengthPrefix = await readFirst(reader.read(2))
    const body = await readFirst(reader.read(lengthPrefix.readUInt16BE(0)))
    first?.clear()
    config.onConnectionMessage?.()
    const recvRaw = Buffer.concat([lengthPrefix, body])
    const remote = decodeStep(connectionMessageEncoding, recvRaw, where, 'connection message')
    const peerId = peerIdOf(remote.publicKey)
    where.peerId = peerIdToB58(peerId)
    if (remote.publicKey.equals(config.identity.publicKey)) throw new SelfConnectionError(where)
    if (!checkProofOfWork(remote.publicKey, remote.proofOfWorkStamp, config.expectedProofOfWork)) {
      throw new ProofOfWorkTooLowError(where, config.expectedProofOfWork)
    }

    const key = channelKey(config.identity.secretKey, remote.publicKey)
    const nonces = deriveNonces(sentRaw, recvRaw, incoming)
    const cipher = new ChunkCipher(key, nonces.local, nonces.remote)

    writeChunk(socket, cipher, encode(config.metadataEncoding, config.localMetadata))
    const metadataBytes = await deadline.race(readChunk(reader, cipher, where, 'metadata'))
    const remoteMetadata = decodeStep(config.metadataEncoding, metadataBytes, where, 'metadata')

    const peer: AuthenticatedPeer<M> = {
      incoming,
      remoteAddress: socket.remoteAddress ?? 'unknown',
      remotePort: socket.remotePort ?? 0,
      peerId,
      peerIdB58: where.peerId,
      remoteConnectionMessage: remote,
      remoteMetadata,
      version: negotiateVersion(config.versions, remote),
    }
    return new PendingHandshake(peer, socket, reader, cipher, deadline, release)
  } catch (err) {
    first?.clear()
    deadline.clear()
    release()
    reader.detach()
    socket.destroy()
    throw mapFailure(err, where)
  }
}

/** Bounds a sequence of awaits by one timer; the first to lose gets the timeout error. */
class Deadline {
  /** The clock of its timer, also the close's after a Nack. */
  readonly clock: Clock
  readonly #timer: TimerHandle
  #expired: Error | undefined
  #onExpire: Array<(e: Error) => void> = []

  constructor(clock: Clock, ms: number, makeError: () => Error) {
    this.clock = clock
    this.#timer = clock.setTimeout(() => this.expire(makeError()), ms)
  }

  /** Fails the awaits in progress and those to come with `error` (the timer's, or an abort's). */
  expire(error: Error): void {
    if (this.#expired) return
    this.clock.clearTimeout(this.#timer)
    this.#expired = error
    for (const reject of this.#onExpire) reject(error)
    this.#onExpire = []
  }

  race<T>(p: Promise<T>): Promise<T> {
    if (this.#expired) return Promise.reject(this.#expired)
    return new Promise<T>((resolve, reject) => {
      this.#onExpire.push(reject)
      p.then(resolve, reject)
    })
  }

  clear(): void {
    this.clock.clearTimeout(this.#timer)
    this.#onExpire = []
  }
}

/** 24 random bytes from libsodium's generator (one native call; Web Crypto costs more per call). */
function randomNonce(): Buffer {
  const nonce = Buffer.allocUnsafe(24)
  sodium.randombytes_buf(nonce)
  return nonce
}

function writeChunk(socket: Socket, cipher: ChunkCipher, plain: Buffer): void {
  const out = Buffer.allocUnsafe(2 + MAC_BYTES + plain.length)
  out.writeUInt16BE(MAC_BYTES + plain.length, 0)
  cipher.seal(plain, out, 2)
  socket.write(out)
}

async function readChunk(
  reader: HandshakeReader,
  cipher: ChunkCipher,
  where: { point: string; peerId?: string },
  step: string,
): Promise<Buffer> {
  const length = (await reader.read(2)).readUInt16BE(0)
  const boxed = await reader.read(length)
  if (length < MAC_BYTES)
    throw new HandshakeDecryptionError(where, step, new MacError('chunk shorter than its MAC'))
  const plain = Buffer.allocUnsafe(length - MAC_BYTES)
  try {
    cipher.open(boxed, plain)
  } catch (err) {
    throw new HandshakeDecryptionError(where, step, err)
  }
  return plain
}

function decodeStep<T>(
  encoding: Encoding<T>,
  bytes: Buffer,
  where: { point: string; peerId?: string },
  step: string,
): T {
  try {
    return decode(encoding, bytes)
  } catch (err) {
    throw new HandshakeDecodingError(where, step, err)
  }
}

function mapFailure(err: unknown, where: { point: string; peerId?: string }): HandshakeError | AbortedError {
  if (err instanceof HandshakeError || err instanceof AbortedError) return err
  if (err instanceof SocketEndedError) return new HandshakeClosedError(where, { cause: err })
  return new HandshakeClosedError(where, { cause: err })
}

/** Half-closes, then destroys if the peer does not close within a second. */
function endSocket(socket: Socket, clock: Clock): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve()
    const timer = clock.setTimeout(() => socket.destroy(), 1000)
    socket.once('close', () => {
      clock.clearTimeout(timer)
      resolve()
    })
    socket.end()
    socket.resume()
  })
}
