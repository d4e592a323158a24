// Attacks on the handshake of a node as it ships: garbage, every connection-message field
// corrupted, truncation at every byte, lengths at and past each bound, weak stamps, its own
// identity replayed. (Versions below ours need a node that drops version 0: see
// test/integration/socket/handshake.test.ts.)
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import { describe, test } from 'node:test'
import { checkProofOfWork, type Identity, MAC_BYTES, peerIdToB58 } from '../../src/crypto/index.js'
import { HandshakeDecodingError, HandshakeError, RejectedByPeerError } from '../../src/socket/index.js'
import { ackEncoding, encode, encodeConnectionMessage } from '../../src/wire/index.js'
import { defined } from '../support/defined.js'
import { testIdentity } from '../support/identities.js'
import { SHIPPED_TEST_POW } from '../support/shipped-node.js'
import { waitUntil } from '../support/wait.js'
import { EvilPeer, honestConnectionMessage, inParallel } from './support/evil-peer.js'
import {
  assertAtRest,
  assertServesGoodPeer,
  attackOutcome,
  type Outcome,
  SHIPPED_CHAIN,
  type ShippedTarget,
  shippedTargetFixture,
} from './support/shipped-target.js'

const POW = SHIPPED_TEST_POW
const honest = (identity: Identity) => honestConnectionMessage(identity, SHIPPED_CHAIN)
/** SPEC 5: a handshake failure greylists the IP exactly for a bad proof of work, decryption or decoding. */
const GREYLISTING_FAILURES = new Set(['proof_of_work', 'decryption', 'decoding'])

/** Byte offsets in a raw connection message (length prefix included). */
const AT = { port: 2, publicKey: 4, stamp: 36, nonce: 60, chainLength: 84, chain: 88 } as const

/** An identity whose stamp fails `bits`. */
function weakIdentity(bits: number): Identity {
  for (;;) {
    const identity = testIdentity(0)
    if (!checkProofOfWork(identity.publicKey, identity.proofOfWorkStamp, bits)) return identity
  }
}

/** `raw` with one bit flipped in [from, from+length) such that the proof of work fails. */
function breakPow(raw: Buffer, from: number, length: number): Buffer {
  for (let bit = 0; bit < length * 8; bit++) {
    const copy = Buffer.from(raw)
    copy[from + (bit >> 3)] = defined(copy[from + (bit >> 3)]) ^ (1 << (bit & 7))
    if (!checkProofOfWork(copy.subarray(AT.publicKey, AT.stamp), copy.subarray(AT.stamp, AT.nonce), POW))
      return copy
  }
  throw new Error('no single bit flip breaks the proof of work')
}

/** Sends `raw` as the connection message, then plays the rest honestly (nonces from `hashed`). */
async function playWith(evil: EvilPeer, raw: Buffer, hashed: Buffer = raw): Promise<void> {
  evil.sendConnectionMessage(raw)
  await evil.readConnectionMessage()
  evil.deriveCipher(hashed)
  const { metadata, ack } = evil.honestTail()
  evil.send(metadata)
  await evil.readChunk()
  evil.send(ack)
  await evil.readChunk()
}

describe('adversarial: the handshake of a shipped node', () => {
  const start = shippedTargetFixture()
  let target: ShippedTarget
  let nextIp = 1
  /** A fresh attacker address, so that each case's greylisting is its own. */
  const attackerIp = () => `127.30.${1 + (nextIp >> 8)}.${nextIp++ & 255}`
  const dial = (ip: string, identity: Identity = testIdentity(POW)) =>
    EvilPeer.dial(target.host, target.port, { localAddress: ip, identity, chainName: SHIPPED_CHAIN })

  /**
   * Runs an attack from a fresh IP. The target has the shipped admission rules, where loopback
   * addresses are exempt: a failure SPEC 5 greylists for greylists the attacker's peer id (once
   * its connection message named one), never the IP its neighbours share. (The IP of a remote,
   * non-exempt address: test/integration/pool/greylist.test.ts and test/netns.)
   */
  async function attack(run: (evil: EvilPeer) => Promise<unknown>, identity?: Identity): Promise<Outcome> {
    const ip = attackerIp()
    let evil: EvilPeer | undefined
    const outcome = await attackOutcome(target.p2p, ip, async () => {
      evil = await dial(ip, identity)
      await run(evil)
    })
    evil?.destroy()
    assert.equal(
      target.p2p.acl.isIpGreylisted(ip),
      false,
      `${ip} (exempt) greylisted after ${outcome.failure}`,
    )
    const peerId = outcome.error instanceof HandshakeError ? outcome.error.peerId : undefined
    if (peerId !== undefined && GREYLISTING_FAILURES.has(outcome.failure))
      assert.equal(
        target.p2p.acl.isPeerGreylisted(peerId),
        true,
        `${peerId} after a ${outcome.failure} failure`,
      )
    return outcome
  }

  test('start the shipped target and its good peer', async () => {
    target = await start('127.30.0.1', '127.30.0.2')
    await assertServesGoodPeer(target)
  })

  test('random bytes instead of a connection message: refused, greylisted when decoded', async () => {
    const failures = new Set<string>()
    for (const size of [1, 2, 3, 40, 101, 300, 5000]) {
      const garbage = randomBytes(size)
      const outcome = await attack(async (evil) => {
        evil.send(garbage)
        evil.socket.end()
        await evil.closed
      })
      assert.ok(['decoding', 'closed', 'proof_of_work'].includes(outcome.failure), outcome.failure)
      failures.add(outcome.failure)
    }
    // A length prefix that fits what was sent is always decoded, and garbage never decodes.
    const decodable = Buffer.concat([Buffer.from([0, 60]), randomBytes(60)])
    assert.equal(
      (
        await attack(async (evil) => {
          evil.send(decodable)
          await evil.closed
        })
      ).failure,
      'decoding',
    )
    await assertAtRest(target)
    await assertServesGoodPeer(target)
  })

  test('every field of the connection message corrupted', async () => {
    const identity = testIdentity(POW)
    const raw = encodeConnectionMessage(honest(identity))
    const bodyLength = raw.length - 2
    const withLength = (length: number, extra = Buffer.alloc(0)) => {
      const copy = Buffer.concat([raw, extra])
      copy.writeUInt16BE(length, 0)
      return copy
    }
    // Refusals after the metadata greylist the peer id: each of those cases has its own.
    const chainId = testIdentity(POW)
    const cases: Array<[string, () => Promise<Outcome>, string]> = [
      [
        'length one short',
        () => attack((e) => playWith(e, withLength(bodyLength - 1)), identity),
        'decoding',
      ],
      ['length 0', () => attack((e) => playWith(e, withLength(0)), identity), 'decoding'],
      [
        'length one long (one junk byte)',
        () => attack((e) => playWith(e, withLength(bodyLength + 1, Buffer.from([0]))), identity),
        'decoding',
      ],
      [
        'length 65535 of junk',
        () => attack((e) => playWith(e, withLength(0xffff, randomBytes(0xffff - bodyLength))), identity),
        'decoding',
      ],
      [
        'length past the bytes sent, then EOF',
        () =>
          attack(async (e) => {
            e.send(withLength(bodyLength + 10))
            e.socket.end()
            await e.closed
          }, identity),
        'closed',
      ],
      [
        'public key bit flipped',
        () => attack((e) => playWith(e, breakPow(raw, AT.publicKey, 32)), identity),
        'proof_of_work',
      ],
      [
        'stamp bit flipped',
        () => attack((e) => playWith(e, breakPow(raw, AT.stamp, 24)), identity),
        'proof_of_work',
      ],
      [
        "another node's public key and stamp (its secret key unknown)",
        () => {
          const other = testIdentity(POW)
          const forged = Buffer.from(raw)
          other.publicKey.copy(forged, AT.publicKey)
          other.proofOfWorkStamp.copy(forged, AT.stamp)
          return attack((e) => playWith(e, forged), identity)
        },
        'decryption',
      ],
      [
        'message nonce sent differs from the one hashed',
        () => {
          const sent = Buffer.from(raw)
          sent[AT.nonce] = defined(sent[AT.nonce]) ^ 0xff
          return attack((e) => playWith(e, sent, raw), identity)
        },
        'decryption',
      ],
      [
        'chain name of another network',
        () =>
          attack(
            (e) => playWith(e, encodeConnectionMessage({ ...honest(chainId), chainName: 'DUNE_OTHER' })),
            chainId,
          ),
        'unknown_chain_name',
      ],
      [
        'chain name of malformed UTF-8',
        () => {
          const other = testIdentity(POW)
          const bad = encodeConnectionMessage(honest(other))
          bad[AT.chain] = 0xff
          return attack((e) => playWith(e, bad), other)
        },
        'decoding',
      ],
      [
        'chain name length past the message',
        () => {
          const bad = Buffer.from(raw)
          bad.writeUInt32BE(0xffffffff, AT.chainLength)
          return attack((e) => playWith(e, bad), identity)
        },
        'decoding',
      ],
    ]
    for (const [what, run, expected] of cases) {
      const outcome = await run()
      assert.equal(outcome.failure, expected, `${what}: ${outcome.error.message}`)
    }
    // A wrong network greylists the peer id (not the IP: checked by attack()).
    assert.equal(target.p2p.acl.isPeerGreylisted(peerIdToB58(chainId.peerId)), true)
    await assertAtRest(target)
    await assertServesGoodPeer(target)
  })

  test('any port and any higher version are accepted (not errors)', async () => {
    for (const [i, change] of [
      { port: 0xffff },
      { port: 0 },
      { distributedDbVersion: 0xffff, p2pVersion: 0xffff },
    ].entries()) {
      const ip = `127.30.9.${i + 1}`
      const evil = await dial(ip)
      await playWith(evil, encodeConnectionMessage({ ...honest(evil.identity), ...change }))
      await waitUntil(() => target.p2p.connection(evil.peerId) !== undefined, {
        message: `connected with ${JSON.stringify(change)}`,
      })
      evil.destroy()
    }
    await waitUntil(() => target.p2p.connections().length === 1, { message: 'the attackers gone' })
    await assertServesGoodPeer(target)
  })

  test('truncation at every byte of the handshake: each closed, none greylisted, nothing left', async () => {
    const ip = '127.30.8.1'
    // The dialer's whole handshake: connection message, metadata chunk, Ack chunk.
    const probe = encodeConnectionMessage(honest(testIdentity(POW)))
    const total = probe.length + (2 + MAC_BYTES + 2) + (2 + MAC_BYTES + 1)
    const failures = await inParallel(
      8,
      Array.from({ length: total }, (_, cut) => async () => {
        const outcome = await attackOutcome(target.p2p, ip, async () => {
          const evil = await dial(ip)
          const raw = encodeConnectionMessage(honest(evil.identity))
          if (cut <= raw.length) {
            evil.send(raw.subarray(0, cut))
          } else {
            evil.sendConnectionMessage(raw)
            await evil.readConnectionMessage()
            evil.deriveCipher()
            const { metadata, ack } = evil.honestTail()
            evil.send(Buffer.concat([metadata, ack]).subarray(0, cut - raw.length))
          }
          evil.socket.end()
          await evil.closed
        }).catch((err: Error) => ({ failure: `none (${err.message})`, error: err }))
        return outcome.failure
      }),
    )
    assert.deepEqual(new Set(failures), new Set(['closed']), `failures: ${failures.join(', ')}`)
    assert.equal(target.p2p.acl.isIpGreylisted(ip), false)
    await assertAtRest(target)
    await assertServesGoodPeer(target)
  })

  test('handshake chunks at and past their bounds', async () => {
    const cases: Array<[string, (e: EvilPeer) => Buffer, string]> = [
      ['a chunk shorter than its MAC', () => Buffer.from([0, 5, 1, 2, 3, 4, 5]), 'decryption'],
      ['an empty chunk', () => Buffer.from([0, 0]), 'decryption'],
      ['metadata of 1 byte', (e) => e.seal(Buffer.from([0])), 'decoding'],
      ['metadata of 3 bytes', (e) => e.seal(Buffer.from([0, 0, 0])), 'decoding'],
      ['metadata with a bad boolean', (e) => e.seal(Buffer.from([0, 1])), 'decoding'],
      ['a MAC byte flipped', (e) => flip(e.seal(Buffer.from([0, 0])), 2), 'decryption'],
      [
        'a max-size chunk of junk (65535 bytes)',
        () => Buffer.concat([Buffer.from([0xff, 0xff]), randomBytes(0xffff)]),
        'decryption',
      ],
    ]
    for (const [what, metadata, expected] of cases) {
      const outcome = await attack(async (evil) => {
        evil.sendConnectionMessage(encodeConnectionMessage(honest(evil.identity)))
        await evil.readConnectionMessage()
        evil.deriveCipher()
        evil.send(metadata(evil))
        await evil.closed
      })
      assert.equal(outcome.failure, expected, what)
    }
    // An Ack that is not one: an unknown tag, or trailing bytes.
    for (const ack of [Buffer.from([0x02]), Buffer.from([0x00, 0x00])]) {
      const outcome = await attack(async (evil) => {
        evil.sendConnectionMessage(encodeConnectionMessage(honest(evil.identity)))
        await evil.readConnectionMessage()
        evil.deriveCipher()
        evil.send(evil.metadataChunk())
        evil.send(evil.seal(ack))
        await evil.closed
      })
      assert.equal(outcome.failure, 'decoding', outcome.error.message)
    }
    await assertAtRest(target)
    await assertServesGoodPeer(target)
  })

  test('a Nack at and past its bounds when the node dials: 100 points taken (special addresses refused), 101 or a 48-byte point refused', async () => {
    // Loopback points (learnable by a node on 127.x, where nobody listens) and two special ones.
    const points = (n: number) =>
      Array.from({ length: n }, (_, i) =>
        i === 0 ? '10.9.0.1:9000' : i === 1 ? '192.0.2.1:9001' : `127.9.${i >> 8}.${i & 255}:${9000 + i}`,
      )
    const listeners: net.Server[] = []
    try {
      const answer = async (nack: Buffer): Promise<string> => {
        const server = net.createServer((socket) => {
          void (async () => {
            const evil = EvilPeer.accepted(socket, testIdentity(POW))
            await evil.readConnectionMessage()
            evil.sendConnectionMessage(encodeConnectionMessage(honest(evil.identity)))
            evil.deriveCipher(evil.sentRaw, true)
            evil.send(evil.metadataChunk())
            await evil.readChunk()
            evil.send(evil.seal(nack))
            await evil.closed
          })().catch(() => {})
        })
        listeners.push(server)
        const host = `127.30.7.${listeners.length}` // a decoding failure greylists the host
        await new Promise<void>((resolve) => server.listen(0, host, resolve))
        const port = (server.address() as net.AddressInfo).port
        const err = await target.p2p.connect(`${host}:${port}`).then(
          () => assert.fail('connected'),
          (e: Error) => e,
        )
        return `${err.constructor.name}: ${err.message}`
      }
      const nack = (list: string[]) =>
        encode(ackEncoding, { kind: 'nack', motive: 'too_many_connections', potentialPeersToConnect: list })
      assert.match(await answer(nack(points(100))), new RegExp(`^${RejectedByPeerError.name}`))
      assert.ok(target.p2p.point('127.9.0.99:9099'), 'the 100th alternative point is learnt')
      assert.equal(target.p2p.point('10.9.0.1:9000'), undefined, 'a private point is refused')
      assert.equal(target.p2p.point('192.0.2.1:9001'), undefined, 'a documentation point is refused')
      // 101 points: the encoder refuses, so patch the count of a 100-point list and append one.
      const over = Buffer.concat([nack(points(100)), Buffer.from([0, 0, 0, 11]), Buffer.from('192.0.2.4:5')])
      over.writeUInt32BE(over.readUInt32BE(3) + 15, 3)
      assert.match(await answer(over), new RegExp(`^${HandshakeDecodingError.name}`))
      const long = nack(['192.0.2.4:5'])
      const longPoint = Buffer.concat([
        long.subarray(0, 3),
        Buffer.alloc(4),
        Buffer.alloc(4),
        Buffer.alloc(48, 0x31),
      ])
      longPoint.writeUInt32BE(52, 3)
      longPoint.writeUInt32BE(48, 7)
      assert.match(await answer(longPoint), new RegExp(`^${HandshakeDecodingError.name}`))
      assert.ok(target.p2p.points().length <= target.p2p.config.maxKnownPoints.max)
    } finally {
      for (const server of listeners) server.close()
    }
    await assertServesGoodPeer(target)
  })

  test('a stamp below the target: refused, its peer id greylisted (not the exempt IP)', async () => {
    const weak = weakIdentity(POW)
    const outcome = await attack((e) => playWith(e, encodeConnectionMessage(honest(weak))), weak)
    assert.equal(outcome.failure, 'proof_of_work')
    assert.equal(target.p2p.acl.isPeerGreylisted(peerIdToB58(weak.peerId)), true)
    await assertServesGoodPeer(target)
  })

  test('its own connection message replayed back: a self-connection, refused before any crypto', async () => {
    const outcome = await attack(async (evil) => {
      const prefix = await evil.reader.read(2)
      const body = await evil.reader.read(prefix.readUInt16BE(0))
      evil.send(Buffer.concat([prefix, body]))
      await evil.closed
    })
    assert.equal(outcome.failure, 'self_connection')
    assert.equal(target.p2p.connections().length, 1, 'only the good peer')
    await assertAtRest(target)
    await assertServesGoodPeer(target)
  })
})

/** `chunk` with the byte at `index` flipped. */
function flip(chunk: Buffer, index: number): Buffer {
  chunk[index] = defined(chunk[index]) ^ 0xff
  return chunk
}
