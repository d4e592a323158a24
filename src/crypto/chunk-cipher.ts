// Encryption of the chunks of a live connection: secretbox (MAC first) under the channel key,
// one nonce per direction advanced after every chunk; no buffer is allocated per chunk.
import { createRequire } from 'node:module'
import sodium from 'sodium-native'
import { DuneP2pError } from '../errors/index.js'
import { CHANNEL_KEY_BYTES } from './channel-key.js'
import { assertLength, CryptoInputError } from './errors.js'
import { incrementNonce, NONCE_BYTES } from './nonce.js'

/**
 * sodium-native's native secretbox, without the JS wrapper's asserts (`assert(...)` and its
 * message per argument: about 100 ns of a 100-byte chunk's 800). Safe here because every call
 * below has its lengths checked first: the key and nonces at construction, the regions by
 * `region`. The version is pinned, and the same module instance backs `sodium`.
 */
interface SecretboxBinding {
  crypto_secretbox_easy(c: Uint8Array, m: Uint8Array, n: Uint8Array, k: Uint8Array): number
  crypto_secretbox_open_easy(m: Uint8Array, c: Uint8Array, n: Uint8Array, k: Uint8Array): boolean
}
const secretbox = createRequire(import.meta.url)('sodium-native/binding.js') as SecretboxBinding

export const MAC_BYTES = 16
/** Largest chunk on the wire (MAC and ciphertext, after the u16 length). */
export const MAX_CHUNK_WIRE = 65535
/** Largest plaintext one chunk carries. */
export const MAX_CHUNK_PLAINTEXT = MAX_CHUNK_WIRE - MAC_BYTES - 2

/** A chunk whose MAC does not verify: wrong key, wrong nonce or altered bytes (code `DUNE_MAC`). */
export class MacError extends DuneP2pError {
  constructor(message: string) {
    super('DUNE_MAC', message)
  }
}

/** Seals the chunks we send and opens those we receive, keeping both nonces in step. */
export class ChunkCipher {
  readonly #key: Buffer
  readonly #localNonce: Buffer
  readonly #remoteNonce: Buffer

  /** Copies its arguments: the caller's buffers are never modified. */
  constructor(channelKey: Uint8Array, localNonce: Uint8Array, remoteNonce: Uint8Array) {
    assertLength(channelKey, CHANNEL_KEY_BYTES, 'channel key')
    assertLength(localNonce, NONCE_BYTES, 'local nonce')
    assertLength(remoteNonce, NONCE_BYTES, 'remote nonce')
    this.#key = Buffer.from(channelKey)
    this.#localNonce = Buffer.from(localNonce)
    this.#remoteNonce = Buffer.from(remoteNonce)
  }

  /**
   * Writes MAC ++ ciphertext of `plain` at `out[outOffset..]`, advances the local nonce and
   * returns the number of bytes written (`plain.length + MAC_BYTES`).
   */
  seal(plain: Uint8Array, out: Uint8Array, outOffset = 0): number {
    const length = plain.length + MAC_BYTES
    if (length > MAX_CHUNK_WIRE - 2) {
      throw new CryptoInputError(`a chunk carries at most ${MAX_CHUNK_PLAINTEXT} bytes, got ${plain.length}`)
    }
    if (
      secretbox.crypto_secretbox_easy(region(out, outOffset, length), plain, this.#localNonce, this.#key) !==
      0
    ) {
      throw new CryptoInputError('secretbox refused to seal the chunk')
    }
    incrementNonce(this.#localNonce)
    return length
  }

  /**
   * Decrypts `boxed` (MAC ++ ciphertext) into `out[outOffset..]`, advances the remote nonce
   * and returns the plaintext length. Throws MacError, without advancing, if the MAC fails.
   */
  open(boxed: Uint8Array, out: Uint8Array, outOffset = 0): number {
    if (boxed.length < MAC_BYTES) {
      throw new MacError(`a chunk of ${boxed.length} bytes is shorter than its ${MAC_BYTES}-byte MAC`)
    }
    const length = boxed.length - MAC_BYTES
    if (
      !secretbox.crypto_secretbox_open_easy(
        region(out, outOffset, length),
        boxed,
        this.#remoteNonce,
        this.#key,
      )
    ) {
      throw new MacError('chunk MAC verification failed')
    }
    incrementNonce(this.#remoteNonce)
    return length
  }

  /**
   * Decrypts the first `length` (<= 32) plaintext bytes of the next chunk to receive into `out`
   * WITHOUT authenticating them and without advancing the nonce: only for sizing a buffer
   * before `open` (which verifies the MAC) decrypts straight into it. Returns false when the
   * chunk carries fewer than `length` plaintext bytes.
   */
  peekPlaintext(boxed: Uint8Array, out: Uint8Array, length: number): boolean {
    if (length > MAX_PEEK_BYTES)
      throw new CryptoInputError(`peek at most ${MAX_PEEK_BYTES} bytes, got ${length}`)
    if (boxed.length < MAC_BYTES + length) return false
    sodium.crypto_stream(keystream, this.#remoteNonce, this.#key)
    // In range: boxed holds MAC_BYTES + length bytes (checked above), keystream SKIP + MAX_PEEK_BYTES.
    for (let i = 0; i < length; i++) out[i] = boxed[MAC_BYTES + i]! ^ keystream[KEYSTREAM_SKIP + i]!
    return true
  }
}

/** Keystream bytes the secretbox spends before the plaintext (the Poly1305 key). */
const KEYSTREAM_SKIP = 32
/** Largest prefix `peekPlaintext` decrypts. */
export const MAX_PEEK_BYTES = 32
/** One Salsa20 block: the skipped bytes and the peeked ones, computed whole (no view per call). */
const keystream = Buffer.alloc(KEYSTREAM_SKIP + MAX_PEEK_BYTES)

/**
 * `out[offset..offset+length]`, without a new view when that is the whole of `out`. The view is
 * a plain Uint8Array: a Buffer's `subarray` builds a Buffer through its species (about 4× the
 * cost, per chunk), and sodium needs only the bytes.
 */
function region(out: Uint8Array, offset: number, length: number): Uint8Array {
  if (!Number.isInteger(offset) || offset < 0 || offset + length > out.length) {
    throw new CryptoInputError(
      `${length} bytes do not fit at offset ${offset} of a ${out.length}-byte buffer`,
    )
  }
  return offset === 0 && length === out.length
    ? out
    : new Uint8Array(out.buffer, out.byteOffset + offset, length)
}
