// A real recorded session (Carthagenet 2019, see recorded-session.md): connection messages,
// stamps, channel key and nonces, the whole Sent direction end to end, and the Received
// direction up to the chunk the capture damaged.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { channelKey } from '../../../src/crypto/channel-key.js'
import { ChunkCipher, MAC_BYTES, MacError } from '../../../src/crypto/chunk-cipher.js'
import { publicKeyOf } from '../../../src/crypto/keys.js'
import { deriveNonces } from '../../../src/crypto/nonce.js'
import { peerIdOf, peerIdToB58 } from '../../../src/crypto/peer-id.js'
import { checkProofOfWork } from '../../../src/crypto/proof-of-work.js'
import { parseConnectionMessage } from '../../support/connection-message.js'
import { defined } from '../../support/defined.js'
import { hex, readVectorJson, readVectorText } from '../../support/vectors.js'

interface IdentityJson {
  peer_id: string
  public_key: string
  secret_key: string
  proof_of_work_stamp: string
}
const identity = readVectorJson<IdentityJson>('recorded-session-identity.json')

/** Each direction's socket reads joined into one stream. */
function readStreams(): { sent: Buffer; received: Buffer } {
  const lines = readVectorText('recorded-session.csv').trim().split(/\r?\n/)
  assert.equal(lines[0], 'direction,message')
  const parts = { Sent: [] as Buffer[], Received: [] as Buffer[] }
  for (const line of lines.slice(1)) {
    const [direction, bytes = ''] = line.split(',')
    assert.ok(direction === 'Sent' || direction === 'Received', `unknown direction ${direction}`)
    parts[direction].push(hex(bytes))
  }
  return { sent: Buffer.concat(parts.Sent), received: Buffer.concat(parts.Received) }
}

/** Cuts a stream into chunks by their u16 length prefix; the chunks exclude the prefix. */
function splitChunks(stream: Buffer): { chunks: Buffer[]; rest: number } {
  const chunks: Buffer[] = []
  let at = 0
  while (at + 2 <= stream.length) {
    const length = stream.readUInt16BE(at)
    if (at + 2 + length > stream.length) break
    chunks.push(stream.subarray(at + 2, at + 2 + length))
    at += 2 + length
  }
  return { chunks, rest: stream.length - at }
}

const { sent, received } = readStreams()
const sentChunks = splitChunks(sent)
const receivedChunks = splitChunks(received).chunks
const sentRaw = sent.subarray(0, 2 + sent.readUInt16BE(0))
const receivedRaw = received.subarray(0, 2 + received.readUInt16BE(0))
const key = channelKey(hex(identity.secret_key), parseConnectionMessage(receivedRaw).publicKey)
const nonces = deriveNonces(sentRaw, receivedRaw, false)

describe('recorded session: handshake', () => {
  test('the identity file is consistent', () => {
    assert.equal(publicKeyOf(hex(identity.secret_key)).toString('hex'), identity.public_key)
    assert.equal(peerIdToB58(peerIdOf(hex(identity.public_key))), identity.peer_id)
  })

  for (const [name, raw] of [
    ['sent', sentRaw],
    ['received', receivedRaw],
  ] as const) {
    test(`${name} connection message: fields and a 26-bit stamp`, () => {
      const message = parseConnectionMessage(raw)
      assert.equal(message.port, 9732)
      assert.equal(message.chainName, 'TEZOS_ALPHANET_CARTHAGE_2019-11-28T13:02:13Z')
      assert.equal(message.distributedDbVersion, 0)
      assert.equal(message.p2pVersion, 1)
      assert.equal(checkProofOfWork(message.publicKey, message.proofOfWorkStamp, 26), true)
    })
  }

  test('the sent message carries the recorded identity', () => {
    const message = parseConnectionMessage(sentRaw)
    assert.equal(message.publicKey.toString('hex'), identity.public_key)
    assert.equal(message.proofOfWorkStamp.toString('hex'), identity.proof_of_work_stamp)
  })

  test('channel key and the dialer nonces', () => {
    assert.equal(key.toString('hex'), '12f1ae95957d1043ce3334f9789e13dbc5c3159817e773d79ce1d029f1e0dec9')
    assert.equal(nonces.local.toString('hex'), '9a50778ccbfc15dd59b7175a7f6c21937a940b7d3ac47be6')
    assert.equal(nonces.remote.toString('hex'), '2646d1cbb99b2f8aa2bec7ceac84e4b795c1f710dfd8e703')
  })
})

describe('recorded session: the Sent direction', () => {
  const encrypted = sentChunks.chunks.slice(1)
  // Decrypting what the dialer sent takes its local nonce on the "remote" side of the cipher.
  const reader = new ChunkCipher(key, nonces.remote, nonces.local)
  const plain = Buffer.alloc(65535)
  const plaintexts = encrypted.map((chunk) => Buffer.from(plain.subarray(0, reader.open(chunk, plain))))

  test('the stream is whole chunks: 5,474 after the connection message', () => {
    assert.equal(sentChunks.rest, 0)
    assert.equal(encrypted.length, 5474)
  })

  test('metadata 0000, then Ack 00', () => {
    assert.deepEqual(
      plaintexts.slice(0, 2).map((p) => p.toString('hex')),
      ['0000', '00'],
    )
  })

  test('5,472 P2P messages, one per chunk, with the recorded tag counts', () => {
    const messages = plaintexts.slice(2)
    assert.equal(messages.length, 5472)
    const tags = new Map<number, number>()
    for (const message of messages) {
      assert.equal(message.readUInt32BE(0), message.length - 4, 'the dynamic-size block fills its chunk')
      const tag = message.readUInt16BE(4)
      tags.set(tag, (tags.get(tag) ?? 0) + 1)
    }
    assert.deepEqual(Object.fromEntries([...tags].sort(([a], [b]) => a - b)), {
      3: 3,
      16: 6,
      17: 2,
      32: 2071,
      48: 8,
      96: 3382,
    })
  })

  test('sealing the plaintexts again with the local nonce gives back the recorded bytes', () => {
    const writer = new ChunkCipher(key, nonces.local, nonces.remote)
    const out = Buffer.alloc(65535)
    plaintexts.forEach((text, i) => {
      const written = writer.seal(text, out)
      assert.equal(written, text.length + MAC_BYTES)
      assert.ok(out.subarray(0, written).equals(defined(encrypted[i], `chunk ${i}`)), `chunk ${i} differs`)
    })
  })
})

describe('recorded session: the Received direction', () => {
  test('four chunks decrypt, the damaged fifth is a MacError', () => {
    const reader = new ChunkCipher(key, nonces.local, nonces.remote)
    const plain = Buffer.alloc(65535)
    const encrypted = receivedChunks.slice(1)
    const opened = encrypted
      .slice(0, 4)
      .map((chunk) => plain.subarray(0, reader.open(chunk, plain)).toString('hex'))
    assert.deepEqual(opened, ['0000', '00', '0000000600109caecab9', '0000000600109caecab9'])
    const fifth = defined(encrypted[4], 'the fifth chunk')
    assert.throws(
      () => reader.open(fifth, plain),
      (err: unknown) => err instanceof MacError && err.code === 'DUNE_MAC',
    )
  })
})
