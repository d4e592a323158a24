// checkIdentity on the recorded identity (26 bits of proof of work) and on altered copies,
// one kind of problem at a time, each explained in words.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { checkIdentity, generateIdentityInline, type Identity } from '../../../src/crypto/identity.js'
import { generateKeyPair } from '../../../src/crypto/keys.js'
import { peerIdFromB58 } from '../../../src/crypto/peer-id.js'
import { defined, only } from '../../support/defined.js'
import { hex, type RecordedIdentityJson, readVectorJson } from '../../support/vectors.js'

const recorded = readVectorJson<RecordedIdentityJson>('recorded-session-identity.json')
const identity = (): Identity => ({
  peerId: peerIdFromB58(recorded.peer_id),
  publicKey: hex(recorded.public_key),
  secretKey: hex(recorded.secret_key),
  proofOfWorkStamp: hex(recorded.proof_of_work_stamp),
})
const kinds = (id: Identity, bits: number) => checkIdentity(id, bits).map((p) => p.kind)

describe('checkIdentity', () => {
  test('the recorded identity is sound at 26 bits', () => {
    assert.deepEqual(checkIdentity(identity(), 26), [])
  })

  test('a stamp below the difficulty', () => {
    const problem = only(checkIdentity(identity(), 60), 'the problems')
    assert.equal(problem.kind, 'insufficient_pow')
    assert.match(problem.message, /60 bits/)
  })

  test('a secret key that does not give the public key', () => {
    const id = { ...identity(), secretKey: generateKeyPair().secretKey }
    const problem = only(checkIdentity(id, 26), 'the problems')
    assert.equal(problem.kind, 'key_mismatch')
    assert.match(problem.message, /does not belong to the secret key/)
  })

  test('a peer id that is not the hash of the public key', () => {
    const id = identity()
    id.peerId[0] = defined(id.peerId[0]) ^ 1
    const problem = only(checkIdentity(id, 26), 'the problems')
    assert.equal(problem.kind, 'peer_id_mismatch')
    assert.ok(problem.message.includes(recorded.peer_id), 'names the peer id the key gives')
  })

  test('another public key: wrong for the secret key, the peer id and the stamp', () => {
    const id = { ...identity(), publicKey: generateKeyPair().publicKey }
    assert.deepEqual(kinds(id, 26), ['key_mismatch', 'peer_id_mismatch', 'insufficient_pow'])
  })

  test('fields of the wrong size are reported, each by name', () => {
    const id = { ...identity(), secretKey: Buffer.alloc(31), proofOfWorkStamp: Buffer.alloc(25) }
    const problems = checkIdentity(id, 26)
    assert.deepEqual(
      problems.map((p) => p.kind),
      ['bad_length', 'bad_length'],
    )
    assert.match(problems[0]?.message ?? '', /secret key has 31 bytes instead of 32/)
    assert.match(problems[1]?.message ?? '', /proof-of-work stamp has 25 bytes instead of 24/)
  })
})

test('generateIdentityInline: a sound identity meeting a small difficulty, found on this thread', () => {
  for (const bits of [0, 4, 8]) {
    const identity = generateIdentityInline(bits)
    assert.deepEqual(checkIdentity(identity, bits), [])
  }
})
