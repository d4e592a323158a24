// Decoding of a captured connection from one side's identity: reassembles each direction's chunks
// across socket reads, derives the channel key and nonces, decrypts and decodes every chunk.
import { channelKey } from '../crypto/channel-key.js'
import { ChunkCipher, MAX_CHUNK_WIRE, MacError } from '../crypto/chunk-cipher.js'
import { deriveNonces } from '../crypto/nonce.js'
import { connectionMessageEncoding, decodeConnectionMessage } from '../wire/connection-message.js'
import { DecodeError } from '../wire/errors.js'
import { OCTEZ_MAX_MESSAGE_SIZE } from '../wire/p2p-message.js'
import type { CaptureDirection, CaptureRecord, SessionIdentity } from './codec-capture.js'
import { findEncoding } from './codec-encodings.js'
import { CodecInputError } from './codec-input.js'
import type { CodecEncoding } from './codec-json.js'

/** Which side opened the connection: the identity's (`local`) or the other (`remote`). */
export type SessionDialer = 'local' | 'remote'

/** Why a direction stopped before the end of the capture. */
export type SessionStop = 'mac_failure' | 'short_chunk' | 'truncated' | 'oversized_message'

/**
 * One output line: a chunk (`index` 0 is the connection message, in clear; 1, 2, ... the
 * encrypted chunks) with its plaintext `size` and decoded content, or the place (`stopped`,
 * `error`) where a direction stopped. `record` is the capture row holding the chunk's first byte.
 */
export type SessionLine = { direction: CaptureDirection; index: number; record: number } & Record<
  string,
  unknown
>

const EMPTY = Buffer.alloc(0)
const SIZE_BYTES = 4
/** Chunk index of the metadata and of the Ack; P2P messages follow. */
const METADATA_INDEX = 1
const ACK_INDEX = 2

function encodingNamed(name: string): CodecEncoding {
  const encoding = findEncoding(name)
  if (encoding === undefined) throw new TypeError(`no encoding ${name}`)
  return encoding
}
const connectionJson = encodingNamed('connection_message')
const metadataJson = encodingNamed('metadata')
const ackJson = encodingNamed('ack')
const p2pJson = encodingNamed('p2p_message')

function describeDecodeError(err: DecodeError): string {
  const field = err.path === '' ? '' : `, in ${err.path}`
  return `at byte ${err.offset}${field}: ${err.detail} (${err.reason})`
}

/** JSON of `bytes` in `encoding`, or `{error, hex}` when they do not decode. */
function decodeOrError(encoding: CodecEncoding, bytes: Buffer): { value: unknown; failed: boolean } {
  try {
    return { value: encoding.decode(bytes), failed: false }
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err
    return {
      value: {
        error: `cannot decode ${encoding.name}: ${describeDecodeError(err)}`,
        hex: bytes.toString('hex'),
      },
      failed: true,
    }
  }
}

/** The state of one direction of the capture. */
class DirectionState {
  /** Bytes not yet cut into a chunk, and the record their first byte came in. */
  pending: Buffer = EMPTY
  pendingRecord = 0
  /** Index of the next chunk. */
  index = 0
  stopped = false
  /** The raw connection message (u16 length included), once read. */
  connectionMessage: Buffer | undefined
  publicKey: Buffer | undefined
  /** Encrypted chunks cut before the keys were known. */
  readonly waiting: { chunk: Buffer; record: number }[] = []
  cipher: ChunkCipher | undefined
  /** The same direction's cipher under the other dialer, to hint at `--dialer` on a MAC failure. */
  otherCipher: ChunkCipher | undefined
  /** A P2P message spanning chunks: its parts (copies), bytes so far, total size once known. */
  parts: Buffer[] = []
  partBytes = 0
  partTotal: number | undefined
  partFirstIndex = 0

  constructor(readonly direction: CaptureDirection) {}
}

/**
 * Decodes a capture record by record: `push` returns the lines the record completes, `end` the
 * lines of what the capture left unfinished. Both throw CodecInputError when the capture cannot
 * be a connection seen from this identity (no connection message first, another identity's
 * connection, a direction missing). After a MAC failure a direction stops; the other goes on.
 */
export class SessionDecoder {
  readonly #identity: SessionIdentity
  readonly #dialer: SessionDialer
  readonly #sent = new DirectionState('Sent')
  readonly #received = new DirectionState('Received')
  /** One chunk's plaintext; decoded values are copied out of it (hex) before the next chunk. */
  readonly #plain = Buffer.alloc(MAX_CHUNK_WIRE)
  /** True once a direction stopped early or a message failed to decode. */
  incomplete = false

  constructor(identity: SessionIdentity, dialer: SessionDialer) {
    this.#identity = identity
    this.#dialer = dialer
  }

  /** True once both connection messages are read and the keys derived. */
  get ready(): boolean {
    return this.#sent.cipher !== undefined
  }

  push(record: CaptureRecord): SessionLine[] {
    const state = record.direction === 'Sent' ? this.#sent : this.#received
    const lines: SessionLine[] = []
    if (state.stopped || record.bytes.length === 0) return lines
    if (state.pending.length === 0) {
      state.pending = record.bytes
      state.pendingRecord = record.record
    } else {
      state.pending = Buffer.concat([state.pending, record.bytes])
    }
    while (!state.stopped && state.pending.length >= 2) {
      const length = state.pending.readUInt16BE(0)
      if (state.index === 0) this.#checkConnectionLength(state, length)
      if (state.pending.length < 2 + length) break
      const wire = state.pending.subarray(0, 2 + length)
      const startRecord = state.pendingRecord
      state.pending = state.pending.subarray(2 + length)
      // What is left began in this record: earlier records' bytes were all cut into chunks.
      state.pendingRecord = record.record
      if (state.index === 0) {
        lines.push(this.#connectionMessage(state, wire, startRecord))
        if (this.ready) lines.push(...this.#drainWaiting())
      } else if (this.ready) {
        lines.push(this.#encryptedChunk(state, wire.subarray(2), startRecord))
      } else {
        state.waiting.push({ chunk: wire.subarray(2), record: startRecord })
      }
    }
    return lines
  }

  end(): SessionLine[] {
    const lines: SessionLine[] = []
    for (const state of [this.#sent, this.#received]) {
      if (state.connectionMessage === undefined) {
        throw new CodecInputError(
          state.index === 0 && state.pending.length === 0
            ? `the capture has no ${state.direction} records; it must hold both directions of the connection`
            : `the ${state.direction} records end inside their first chunk; the capture must start with each side's connection message`,
        )
      }
      if (state.stopped) continue
      if (state.pending.length > 0) {
        const detail =
          state.pending.length < 2
            ? 'inside the u16 length of a chunk'
            : `${state.pending.length - 2} bytes into a chunk of ${state.pending.readUInt16BE(0)}`
        lines.push(this.#stop(state, state.pendingRecord, 'truncated', `the capture ends ${detail}`))
      } else if (state.partTotal !== undefined || state.partBytes > 0) {
        const of = state.partTotal === undefined ? '' : ` of ${state.partTotal}`
        lines.push(
          this.#stop(
            state,
            state.pendingRecord,
            'truncated',
            `the capture ends inside a P2P message begun at chunk ${state.partFirstIndex} (${state.partBytes}${of} bytes)`,
          ),
        )
      }
    }
    return lines
  }

  #checkConnectionLength(state: DirectionState, length: number): void {
    if (2 + length > connectionMessageEncoding.maxSize) {
      throw new CodecInputError(
        `record ${state.pendingRecord} (${state.direction}) does not start with a connection message: ` +
          `its u16 length ${length} is over ${connectionMessageEncoding.maxSize - 2}; the capture must start with each side's connection message`,
      )
    }
  }

  #connectionMessage(state: DirectionState, wire: Buffer, record: number): SessionLine {
    let publicKey: Buffer
    try {
      publicKey = Buffer.from(decodeConnectionMessage(wire).publicKey)
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err
      throw new CodecInputError(
        `record ${record} (${state.direction}) does not start with a connection message: ${describeDecodeError(err)}; ` +
          "the capture must start with each side's connection message",
        { cause: err },
      )
    }
    if (state.direction === 'Sent' && !publicKey.equals(this.#identity.publicKey)) {
      throw new CodecInputError(
        `the Sent connection message (record ${record}) carries public key ${publicKey.toString('hex')}, not the identity's ` +
          `${this.#identity.publicKey.toString('hex')}: give the identity of the side that sent the Sent records`,
      )
    }
    state.connectionMessage = wire
    state.publicKey = publicKey
    state.index = 1
    const line: SessionLine = {
      direction: state.direction,
      index: 0,
      record,
      size: wire.length,
      connection_message: connectionJson.decode(wire),
    }
    if (this.#sent.connectionMessage !== undefined && this.#received.connectionMessage !== undefined) {
      this.#deriveKeys()
    }
    return line
  }

  /** The ciphers of both directions, under the given dialer and under the other one. */
  #deriveKeys(): void {
    const sent = this.#sent.connectionMessage as Buffer
    const received = this.#received.connectionMessage as Buffer
    const key = channelKey(this.#identity.secretKey, this.#received.publicKey as Buffer)
    for (const dialer of ['local', 'remote'] as const) {
      // Nonces from the identity's point of view: local opens nothing here, it seals what was Sent.
      const { local, remote } = deriveNonces(sent, received, dialer === 'remote')
      const sentCipher = new ChunkCipher(key, remote, local)
      const receivedCipher = new ChunkCipher(key, local, remote)
      if (dialer === this.#dialer) {
        this.#sent.cipher = sentCipher
        this.#received.cipher = receivedCipher
      } else {
        this.#sent.otherCipher = sentCipher
        this.#received.otherCipher = receivedCipher
      }
    }
    key.fill(0)
  }

  /** Lines of the chunks that waited for the keys, in the order they were cut. */
  #drainWaiting(): SessionLine[] {
    const lines: SessionLine[] = []
    for (const state of [this.#sent, this.#received]) {
      for (const { chunk, record } of state.waiting.splice(0)) {
        if (!state.stopped) lines.push(this.#encryptedChunk(state, chunk, record))
      }
    }
    return lines
  }

  #encryptedChunk(state: DirectionState, boxed: Buffer, record: number): SessionLine {
    const cipher = state.cipher as ChunkCipher
    let size: number
    try {
      size = cipher.open(boxed, this.#plain)
    } catch (err) {
      if (!(err instanceof MacError)) throw err
      return this.#stop(
        state,
        record,
        boxed.length < 16 ? 'short_chunk' : 'mac_failure',
        this.#macFailure(state, boxed, err),
      )
    }
    const plain = this.#plain.subarray(0, size)
    const line: SessionLine = { direction: state.direction, index: state.index, record, size }
    if (state.index === METADATA_INDEX) {
      this.#put(line, 'metadata', decodeOrError(metadataJson, plain))
    } else if (state.index === ACK_INDEX) {
      this.#put(line, 'ack', decodeOrError(ackJson, plain))
    } else {
      this.#p2pMessages(state, plain, line)
    }
    state.index++
    return line
  }

  #macFailure(state: DirectionState, boxed: Buffer, err: MacError): string {
    let text = `${err.message}: the capture lost or altered bytes here (a gap), or the key or nonces are wrong; the rest of ${state.direction} is not decoded`
    if (state.index === 1 && boxed.length >= 16) {
      try {
        state.otherCipher?.open(boxed, this.#plain)
        const other = this.#dialer === 'local' ? 'remote' : 'local'
        text += `; it opens with --dialer ${other}: run again with --dialer ${other}`
      } catch {
        // The other dialer's nonces do not open it either: no hint.
      }
    }
    return text
  }

  #put(line: SessionLine, field: string, result: { value: unknown; failed: boolean }): void {
    line[field] = result.value
    if (result.failed) this.incomplete = true
  }

  /**
   * Cuts P2P messages (u32 size, then tag and body) out of a chunk's plaintext, carrying a
   * message that spans chunks over to the next ones. Sets `p2p_message` on the line (or
   * `p2p_messages` for several), and `p2p_message_part` while one is incomplete.
   */
  #p2pMessages(state: DirectionState, plain: Buffer, line: SessionLine): void {
    const messages: unknown[] = []
    let rest = plain
    while (rest.length > 0 && !state.stopped) {
      if (state.partBytes === 0) {
        const total = rest.length >= SIZE_BYTES ? SIZE_BYTES + rest.readUInt32BE(0) : undefined
        if (total !== undefined && total <= rest.length) {
          messages.push(this.#p2pMessage(rest.subarray(0, total)))
          rest = rest.subarray(total)
          continue
        }
        state.partFirstIndex = state.index
      }
      if (state.partTotal === undefined) {
        const take = Math.min(SIZE_BYTES - state.partBytes, rest.length)
        this.#addPart(state, rest.subarray(0, take))
        rest = rest.subarray(take)
        if (state.partBytes < SIZE_BYTES) break
        const header = Buffer.concat(state.parts)
        state.parts = [header]
        state.partTotal = SIZE_BYTES + header.readUInt32BE(0)
        if (state.partTotal - SIZE_BYTES > OCTEZ_MAX_MESSAGE_SIZE) {
          this.#oversized(state, line, state.partTotal)
          return
        }
      }
      const take = Math.min(state.partTotal - state.partBytes, rest.length)
      this.#addPart(state, rest.subarray(0, take))
      rest = rest.subarray(take)
      if (state.partBytes === state.partTotal) {
        line.p2p_message_from = state.partFirstIndex
        messages.push(this.#p2pMessage(Buffer.concat(state.parts, state.partTotal)))
        state.parts = []
        state.partBytes = 0
        state.partTotal = undefined
      }
    }
    if (messages.length === 1) line.p2p_message = messages[0]
    else if (messages.length > 1) line.p2p_messages = messages
    if (state.partBytes > 0) line.p2p_message_part = { bytes: state.partBytes, of: state.partTotal ?? null }
  }

  #addPart(state: DirectionState, bytes: Buffer): void {
    state.parts.push(Buffer.from(bytes))
    state.partBytes += bytes.length
  }

  #p2pMessage(frame: Buffer): unknown {
    const result = decodeOrError(p2pJson, frame)
    if (result.failed) this.incomplete = true
    return result.value
  }

  #oversized(state: DirectionState, line: SessionLine, total: number): void {
    state.stopped = true
    this.incomplete = true
    line.stopped = 'oversized_message'
    line.error =
      `a P2P message declares ${total - SIZE_BYTES} bytes, over Octez's bound of ${OCTEZ_MAX_MESSAGE_SIZE}: ` +
      `the rest of ${state.direction} cannot be cut into messages and is not decoded`
  }

  #stop(state: DirectionState, record: number, stopped: SessionStop, error: string): SessionLine {
    state.stopped = true
    this.incomplete = true
    return { direction: state.direction, index: state.index, record, stopped, error }
  }
}
