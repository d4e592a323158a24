// The encrypted channel: the recorded precomputed key, nonces of both directions, the nonce
// increment, the recorded box, and ChunkCipher round trips, offsets and MAC failures.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { channelKey } from '../../../src/crypto/channel-key.js'
import {
  ChunkCipher,
  MAC_BYTES,
  MAX_CHUNK_PLAINTEXT,
  MAX_CHUNK_WIRE,
  MacError,
} from '../../../src/crypto/chunk-cipher.js'
import { generateKeyPair } from '../../../src/crypto/keys.js'
import { deriveNonces, incrementNonce } from '../../../src/crypto/nonce.js'
import { isDuneP2pError } from '../../../src/errors/index.js'
import { hex, readVectorJson } from '../../support/vectors.js'

interface WireVectors {
  connection_messages: Record<string, unknown> & { a: string; b: string }
  nonces: { sent: string; recv: string; incoming: boolean; local: string; remote: string }[]
  nonce_increment: { from: string; to: string }
  precomputed_key: { public_key: string; secret_key: string; channel_key: string }
  box: { channel_key: string; nonce: string; plaintext: string; ciphertext_with_mac_first: string }
}
const vectors = readVectorJson<WireVectors>('octez-wire.json')
/** Resolves a reference like "connection_messages.a" to its bytes. */
const message = (ref: string): Buffer =>
  hex(vectors.connection_messages[ref.replace('connection_messages.', '')] as string)

describe('channel key', () => {
  test('matches the recorded precomputed key', () => {
    const { public_key, secret_key, channel_key } = vectors.precomputed_key
    assert.equal(channelKey(hex(secret_key), hex(public_key)).toString('hex'), channel_key)
  })

  test('both sides compute the same key', () => {
    const a = generateKeyPair()
    const b = generateKeyPair()
    assert.deepEqual(channelKey(a.secretKey, b.publicKey), channelKey(b.secretKey, a.publicKey))
    assert.notDeepEqual(channelKey(a.secretKey, b.publicKey), channelKey(a.secretKey, a.publicKey))
  })

  test('a low-order public key or a wrong size is a typed error', () => {
    const { secretKey } = generateKeyPair()
    assert.throws(() => channelKey(secretKey, Buffer.alloc(32)), { code: 'DUNE_CRYPTO_INPUT' })
    assert.throws(() => channelKey(secretKey, Buffer.alloc(31)), { code: 'DUNE_CRYPTO_INPUT' })
    assert.throws(() => channelKey(Buffer.alloc(8), Buffer.alloc(32, 9)), { code: 'DUNE_CRYPTO_INPUT' })
  })
})

describe('nonces', () => {
  for (const v of vectors.nonces) {
    test(`recorded nonces, ${v.incoming ? 'accepting' : 'dialing'} side`, () => {
      const nonces = deriveNonces(message(v.sent), message(v.recv), v.incoming)
      assert.equal(nonces.local.toString('hex'), v.local)
      assert.equal(nonces.remote.toString('hex'), v.remote)
    })
  }

  test("one side's local nonce is the other side's remote nonce", () => {
    const a = message('connection_messages.a')
    const b = message('connection_messages.b')
    const dialer = deriveNonces(a, b, false)
    const acceptor = deriveNonces(b, a, true)
    assert.deepEqual(dialer.local, acceptor.remote)
    assert.deepEqual(dialer.remote, acceptor.local)
  })

  test('recorded increment', () => {
    const nonce = hex(vectors.nonce_increment.from)
    incrementNonce(nonce)
    assert.equal(nonce.toString('hex'), vectors.nonce_increment.to)
  })

  test('increment carries and wraps', () => {
    const nonce = hex('0000000000000000000000000000000000000000000000ff')
    incrementNonce(nonce)
    assert.equal(nonce.toString('hex'), '000000000000000000000000000000000000000000000100')
    const top = Buffer.alloc(24, 0xff)
    incrementNonce(top)
    assert.deepEqual(top, Buffer.alloc(24))
  })

  test('increment agrees with bigint +1 modulo 2^192', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 24, maxLength: 24 }), (bytes) => {
        const nonce = Buffer.from(bytes)
        incrementNonce(nonce)
        const expected = (BigInt(`0x${Buffer.from(bytes).toString('hex')}`) + 1n) % 2n ** 192n
        assert.equal(nonce.toString('hex'), expected.toString(16).padStart(48, '0'))
      }),
    )
  })

  test('increment refuses a wrong size with a typed error', () => {
    assert.throws(() => incrementNonce(Buffer.alloc(23)), { code: 'DUNE_CRYPTO_INPUT' })
  })
})

describe('ChunkCipher', () => {
  const key = hex(vectors.box.channel_key)
  const nonce = hex(vectors.box.nonce)
  const plain = message(vectors.box.plaintext)
  const boxed = hex(vectors.box.ciphertext_with_mac_first)

  test('constants', () => {
    assert.equal(MAC_BYTES, 16)
    assert.equal(MAX_CHUNK_PLAINTEXT, 65517)
    assert.equal(MAX_CHUNK_WIRE, 65535)
  })

  test('seal reproduces the recorded box (MAC first), then advances the local nonce', () => {
    const other = Buffer.alloc(24, 1)
    const cipher = new ChunkCipher(key, nonce, other)
    const out = Buffer.alloc(plain.length + MAC_BYTES)
    assert.equal(cipher.seal(plain, out), boxed.length)
    assert.deepEqual(out, boxed)
    const next = Buffer.from(nonce)
    incrementNonce(next)
    const expected = Buffer.alloc(out.length)
    new ChunkCipher(key, next, other).seal(plain, expected)
    cipher.seal(plain, out)
    assert.deepEqual(out, expected)
  })

  test('open decrypts the recorded box with the remote nonce', () => {
    const cipher = new ChunkCipher(key, Buffer.alloc(24), nonce)
    const out = Buffer.alloc(boxed.length)
    const n = cipher.open(boxed, out, 3)
    assert.equal(n, plain.length)
    assert.deepEqual(out.subarray(3, 3 + n), plain)
    // The remote nonce moved on: the same box no longer opens.
    assert.throws(() => cipher.open(boxed, out), MacError)
  })

  test('the nonces given to the constructor are copied, not modified', () => {
    const local = Buffer.from(nonce)
    const remote = Buffer.from(nonce)
    const cipher = new ChunkCipher(key, local, remote)
    const out = Buffer.alloc(plain.length + MAC_BYTES)
    cipher.seal(plain, out)
    cipher.open(out, Buffer.alloc(plain.length))
    assert.deepEqual(local, nonce)
    assert.deepEqual(remote, nonce)
  })

  test('a flipped bit anywhere is a MacError (DUNE_MAC), and the nonce does not advance', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: boxed.length * 8 - 1 }), (bit) => {
        const cipher = new ChunkCipher(key, Buffer.alloc(24), nonce)
        const bad = Buffer.from(boxed)
        bad.writeUInt8(bad.readUInt8(bit >> 3) ^ (1 << (bit & 7)), bit >> 3)
        assert.throws(
          () => cipher.open(bad, Buffer.alloc(plain.length)),
          (err: unknown) => err instanceof MacError && isDuneP2pError(err, 'DUNE_MAC'),
        )
        assert.equal(cipher.open(boxed, Buffer.alloc(plain.length)), plain.length)
      }),
      { numRuns: 50 },
    )
  })

  test('a box shorter than its MAC is a MacError', () => {
    const cipher = new ChunkCipher(key, nonce, nonce)
    assert.throws(() => cipher.open(Buffer.alloc(15), Buffer.alloc(0)), MacError)
  })

  test('two sides talk: every chunk sealed by one opens on the other, in order', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), (chunks) => {
        const a = Buffer.alloc(24, 0xaa)
        const b = Buffer.alloc(24, 0xff)
        const sender = new ChunkCipher(key, a, b)
        const receiver = new ChunkCipher(key, b, a)
        const wire = Buffer.alloc(400)
        const back = Buffer.alloc(400)
        for (const chunk of chunks) {
          const written = sender.seal(chunk, wire, 7)
          assert.equal(written, chunk.length + MAC_BYTES)
          const n = receiver.open(wire.subarray(7, 7 + written), back, 1)
          assert.deepEqual(back.subarray(1, 1 + n), Buffer.from(chunk))
        }
      }),
    )
  })

  test('the largest chunk seals, one byte more is refused; so is an output too small', () => {
    const cipher = new ChunkCipher(key, nonce, nonce)
    const out = Buffer.alloc(MAX_CHUNK_WIRE)
    assert.equal(cipher.seal(Buffer.alloc(MAX_CHUNK_PLAINTEXT), out), MAX_CHUNK_PLAINTEXT + MAC_BYTES)
    assert.throws(() => cipher.seal(Buffer.alloc(MAX_CHUNK_PLAINTEXT + 1), out), {
      code: 'DUNE_CRYPTO_INPUT',
    })
    assert.throws(() => cipher.seal(Buffer.alloc(10), Buffer.alloc(26), 1), { code: 'DUNE_CRYPTO_INPUT' })
    assert.throws(() => cipher.open(boxed, Buffer.alloc(boxed.length - MAC_BYTES - 1)), {
      code: 'DUNE_CRYPTO_INPUT',
    })
  })

  test('the constructor refuses wrong sizes with a typed error', () => {
    assert.throws(() => new ChunkCipher(key.subarray(1), nonce, nonce), { code: 'DUNE_CRYPTO_INPUT' })
    assert.throws(() => new ChunkCipher(key, nonce.subarray(1), nonce), { code: 'DUNE_CRYPTO_INPUT' })
  })
})
