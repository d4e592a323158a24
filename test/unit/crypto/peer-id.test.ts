// Peer ids and keys: the ids of the recorded connection messages, base58check round trips,
// typed errors on malformed printed ids, and the public key of a secret key.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { sha256 } from '@noble/hashes/sha2.js'
import { createBase58check } from '@scure/base'
import fc from 'fast-check'
import { generateKeyPair, publicKeyOf } from '../../../src/crypto/keys.js'
import { PeerIdFormatError, peerIdFromB58, peerIdOf, peerIdToB58 } from '../../../src/crypto/peer-id.js'
import { isDuneP2pError } from '../../../src/errors/index.js'
import { parseConnectionMessage } from '../../support/connection-message.js'
import { hex, readVectorJson } from '../../support/vectors.js'

interface WireVectors {
  connection_messages: {
    a: string
    a_decoded: { peer_id: string; public_key: string }
    b: string
    b_peer_id: string
  }
}
const vectors = readVectorJson<WireVectors>('octez-wire.json')
const b58check = createBase58check(sha256)

describe('peer ids of the recorded connection messages', () => {
  test('message a', () => {
    const publicKey = hex(vectors.connection_messages.a).subarray(4, 36)
    assert.equal(publicKey.toString('hex'), vectors.connection_messages.a_decoded.public_key)
    assert.equal(peerIdToB58(peerIdOf(publicKey)), vectors.connection_messages.a_decoded.peer_id)
  })

  test('message b', () => {
    const { publicKey } = parseConnectionMessage(hex(vectors.connection_messages.b))
    assert.equal(peerIdToB58(peerIdOf(publicKey)), vectors.connection_messages.b_peer_id)
  })

  test('printed ids parse back to the hash of the key', () => {
    const publicKey = hex(vectors.connection_messages.a_decoded.public_key)
    assert.deepEqual(peerIdFromB58(vectors.connection_messages.a_decoded.peer_id), peerIdOf(publicKey))
  })
})

describe('printed peer ids', () => {
  test('any 16 bytes round-trip through 30 characters starting with "id"', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const text = peerIdToB58(bytes)
        assert.equal(text.length, 30)
        assert.ok(text.startsWith('id'))
        assert.deepEqual(peerIdFromB58(text), Buffer.from(bytes))
      }),
    )
  })

  const rejects = (text: string, pattern: RegExp) =>
    assert.throws(
      () => peerIdFromB58(text),
      (err: unknown) =>
        err instanceof PeerIdFormatError && isDuneP2pError(err, 'DUNE_PEER_ID') && pattern.test(err.message),
    )

  test('a wrong checksum is a typed error', () => {
    const good = vectors.connection_messages.a_decoded.peer_id
    const last = good.at(-1) === 'A' ? 'B' : 'A'
    rejects(good.slice(0, -1) + last, /base58check/)
  })

  test('a wrong prefix is a typed error', () => {
    rejects(b58check.encode(Buffer.alloc(18, 7)), /prefix/)
  })

  test('a wrong length is a typed error', () => {
    rejects(b58check.encode(Buffer.from([153, 103, ...Buffer.alloc(17)])), /17 bytes/)
    rejects(b58check.encode(Buffer.from([153, 103, ...Buffer.alloc(15)])), /15 bytes/)
    rejects(b58check.encode(Buffer.from([153])), /prefix/)
  })

  test('non-base58 text and non-strings are typed errors', () => {
    rejects('', /base58check/)
    rejects('id0OIl', /base58check/)
    rejects(42 as unknown as string, /string/)
  })

  test('arbitrary strings give a peer id or a typed error, nothing else', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          assert.equal(peerIdFromB58(text).length, 16)
        } catch (err) {
          assert.ok(err instanceof PeerIdFormatError)
        }
      }),
    )
  })

  test('peerIdOf and peerIdToB58 refuse wrong sizes with a typed error', () => {
    assert.throws(() => peerIdOf(Buffer.alloc(31)), { code: 'DUNE_CRYPTO_INPUT' })
    assert.throws(() => peerIdToB58(Buffer.alloc(17)), { code: 'DUNE_CRYPTO_INPUT' })
  })
})

describe('keys', () => {
  test('a generated key pair agrees with publicKeyOf', () => {
    const { publicKey, secretKey } = generateKeyPair()
    assert.equal(publicKey.length, 32)
    assert.equal(secretKey.length, 32)
    assert.deepEqual(publicKeyOf(secretKey), publicKey)
    assert.notDeepEqual(generateKeyPair().secretKey, secretKey)
  })

  test('publicKeyOf gives the recorded identity public key', () => {
    const identity = readVectorJson<{ public_key: string; secret_key: string }>(
      'recorded-session-identity.json',
    )
    assert.equal(publicKeyOf(hex(identity.secret_key)).toString('hex'), identity.public_key)
  })

  test('publicKeyOf refuses a short secret key with a typed error', () => {
    assert.throws(() => publicKeyOf(Buffer.alloc(16)), { code: 'DUNE_CRYPTO_INPUT' })
  })
})
