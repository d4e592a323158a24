// The handshake over real TCP on 127.0.0.x: Ack and every Nack path, each check's failure,
// a stalling peer, garbage instead of a connection message.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, test } from 'node:test'
import { peerIdToB58 } from '../../../src/crypto/index.js'
import {
  authenticate,
  dialTcp,
  HandshakeClosedError,
  HandshakeDecodingError,
  HandshakeTimeoutError,
  ProofOfWorkTooLowError,
  RejectedByPeerError,
  SelfConnectionError,
} from '../../../src/socket/index.js'
import { encodeConnectionMessage } from '../../../src/wire/index.js'
import { FakeClock } from '../../support/fake-clock.js'
import { testIdentity } from '../../support/identities.js'
import { handshakeConfig, listen, pendingPair } from '../../support/socket-pair.js'
import { settlementOf } from '../../support/wait.js'

describe('handshake', () => {
  test('both sides authenticate, learn each other and agree on versions; Ack makes it live', async () => {
    const a = handshakeConfig({ localMetadata: { disableMempool: true, privateNode: false } })
    const b = handshakeConfig({ listeningPort: 19732 })
    const pair = await pendingPair(a, b)
    try {
      const [dialed, accepted] = await Promise.all([pair.dialed, pair.accepted])
      assert.equal(dialed.peer.peerIdB58, peerIdToB58(b.identity.peerId))
      assert.equal(accepted.peer.peerIdB58, peerIdToB58(a.identity.peerId))
      assert.equal(dialed.peer.incoming, false)
      assert.equal(accepted.peer.incoming, true)
      assert.equal(accepted.peer.remoteAddress, '127.0.0.2')
      assert.equal(dialed.peer.remoteConnectionMessage.port, 19732)
      assert.deepEqual(accepted.peer.remoteMetadata, { disableMempool: true, privateNode: false })
      assert.deepEqual(dialed.peer.version, {
        ok: true,
        version: { chainName: 'DUNE_TEST', distributedDbVersion: 1, p2pVersion: 1 },
      })
      const [d, c] = await Promise.all([dialed.accept(), accepted.accept()])
      assert.equal(d.version.p2pVersion, 1)
      d.socket.destroy()
      c.socket.destroy()
    } finally {
      await pair.close()
    }
  })

  test('versions: the highest common one is chosen', async () => {
    const a = handshakeConfig({
      versions: { chainName: 'DUNE_TEST', distributedDbVersions: [0], p2pVersions: [0, 1, 2] },
    })
    const b = handshakeConfig({
      versions: { chainName: 'DUNE_TEST', distributedDbVersions: [0, 1], p2pVersions: [1] },
    })
    const pair = await pendingPair(a, b)
    try {
      const [dialed, accepted] = await Promise.all([pair.dialed, pair.accepted])
      for (const side of [dialed, accepted]) {
        assert.deepEqual(side.peer.version, {
          ok: true,
          version: { chainName: 'DUNE_TEST', distributedDbVersion: 0, p2pVersion: 1 },
        })
      }
    } finally {
      await pair.close()
    }
  })

  test('a wrong chain name is seen by both sides, each answering Nack unknown_chain_name', async () => {
    const a = handshakeConfig({
      versions: { chainName: 'OTHER_CHAIN', distributedDbVersions: [0], p2pVersions: [1] },
    })
    const pair = await pendingPair(a, handshakeConfig())
    try {
      const [dialed, accepted] = await Promise.all([pair.dialed, pair.accepted])
      assert.deepEqual(dialed.peer.version, { ok: false, motive: 'unknown_chain_name' })
      assert.deepEqual(accepted.peer.version, { ok: false, motive: 'unknown_chain_name' })
      assert.equal(accepted.peer.remoteConnectionMessage.chainName, 'OTHER_CHAIN')
      await Promise.all([dialed.nack('unknown_chain_name'), accepted.nack('unknown_chain_name')])
    } finally {
      await pair.close()
    }
  })

  for (const [what, dialerVersions, motive] of [
    [
      'p2p version',
      { chainName: 'DUNE_TEST', distributedDbVersions: [1], p2pVersions: [0] },
      'deprecated_p2p_version',
    ],
    [
      'distributed db version',
      { chainName: 'DUNE_TEST', distributedDbVersions: [0], p2pVersions: [1] },
      'deprecated_distributed_db_version',
    ],
  ] as const) {
    test(`a peer with an old ${what} is refused with that motive`, async () => {
      const a = handshakeConfig({ versions: dialerVersions })
      const b = handshakeConfig({
        versions: { chainName: 'DUNE_TEST', distributedDbVersions: [1, 2], p2pVersions: [1, 2] },
      })
      const pair = await pendingPair(a, b)
      try {
        const [dialed, accepted] = await Promise.all([pair.dialed, pair.accepted])
        assert.deepEqual(accepted.peer.version, { ok: false, motive })
        assert.equal(dialed.peer.version.ok, true) // the older side can speak the newer's best
        const answered = accepted.nack(motive, ['127.0.0.9:9732'])
        const err = await dialed.accept().then(
          () => assert.fail('accepted'),
          (e: unknown) => e,
        )
        assert.ok(err instanceof RejectedByPeerError, String(err))
        assert.equal(err.failure, 'rejected')
        // A peer announcing p2p_version 0 only understands the old Nack, without motive or points.
        const speaksNackV1 = dialerVersions.p2pVersions[0]! >= 1
        assert.equal(err.motive, speaksNackV1 ? motive : 'no_motive')
        assert.deepEqual(err.alternativePoints, speaksNackV1 ? ['127.0.0.9:9732'] : [])
        await answered
      } finally {
        await pair.close()
      }
    })
  }

  test('Nack too_many_connections with alternative points; a p2p_version 0 peer gets the old Nack', async () => {
    const old = handshakeConfig({
      versions: { chainName: 'DUNE_TEST', distributedDbVersions: [0], p2pVersions: [0] },
    })
    const pair = await pendingPair(old, handshakeConfig())
    try {
      const [dialed, accepted] = await Promise.all([pair.dialed, pair.accepted])
      void accepted.nack('too_many_connections', ['127.0.0.3:1'])
      const err = await dialed.accept().catch((e: unknown) => e)
      assert.ok(err instanceof RejectedByPeerError)
      assert.equal(err.motive, 'no_motive')
      assert.deepEqual(err.alternativePoints, [])
    } finally {
      await pair.close()
    }
    const modern = await pendingPair(handshakeConfig(), handshakeConfig())
    try {
      const [dialed, accepted] = await Promise.all([modern.dialed, modern.accepted])
      void accepted.nack('too_many_connections', ['127.0.0.3:1', '[::1]:2'])
      const err = await dialed.accept().catch((e: unknown) => e)
      assert.ok(err instanceof RejectedByPeerError)
      assert.equal(err.motive, 'too_many_connections')
      assert.deepEqual(err.alternativePoints, ['127.0.0.3:1', '[::1]:2'])
    } finally {
      await modern.close()
    }
  })

  test('a kick (Nack then close) after Ack from the dialer: the dialer learns it was rejected', async () => {
    const pair = await pendingPair(handshakeConfig(), handshakeConfig())
    try {
      const [dialed, accepted] = await Promise.all([pair.dialed, pair.accepted])
      const dialerAccept = dialed.accept().catch((e: unknown) => e)
      await accepted.nack('already_connected')
      const err = await dialerAccept
      assert.ok(err instanceof RejectedByPeerError)
      assert.equal(err.motive, 'already_connected')
    } finally {
      await pair.close()
    }
  })

  test('self-connection is refused on both ends', async () => {
    const identity = testIdentity()
    const pair = await pendingPair(handshakeConfig({ identity }), handshakeConfig({ identity }))
    try {
      const [d, a] = await Promise.allSettled([pair.dialed, pair.accepted])
      for (const result of [d, a]) {
        assert.equal(result.status, 'rejected')
        assert.ok(result.reason instanceof SelfConnectionError)
        assert.equal(result.reason.failure, 'self_connection')
      }
    } finally {
      await pair.close()
    }
  })

  test('a stamp below our proof-of-work target is refused, naming the peer', async () => {
    const weak = handshakeConfig({ identity: testIdentity(0) })
    const demanding = handshakeConfig({ expectedProofOfWork: 24 })
    const pair = await pendingPair(weak, demanding)
    try {
      const err = await pair.accepted.catch((e: unknown) => e)
      assert.ok(err instanceof ProofOfWorkTooLowError)
      assert.equal(err.failure, 'proof_of_work')
      assert.equal(err.peerId, peerIdToB58(weak.identity.peerId))
      assert.match(err.point, /^127\.0\.0\.2:\d+$/)
      const dialerSide = await pair.dialed.catch((e: unknown) => e)
      assert.ok(dialerSide instanceof HandshakeClosedError || dialerSide instanceof ProofOfWorkTooLowError)
    } finally {
      await pair.close()
    }
  })

  test('a peer that stalls mid-handshake is dropped at authentication_timeout', async () => {
    const server = await listen(() => {}) // accepts, never speaks
    try {
      const socket = await dialTcp('127.0.0.1', server.port, { localAddress: '127.0.0.4' })
      const err = await authenticate(socket, false, handshakeConfig({ authenticationTimeoutMs: 300 })).catch(
        (e: unknown) => e,
      )
      assert.ok(err instanceof HandshakeTimeoutError)
      assert.equal(err.failure, 'timeout')
      assert.ok(socket.destroyed)
    } finally {
      await server.close()
    }
  })

  test("the authentication timeout runs on the injected clock, not on Node's timers", async () => {
    const server = await listen(() => {}) // accepts, never speaks
    const clock = new FakeClock(1_000_000)
    try {
      const socket = await dialTcp('127.0.0.1', server.port, { localAddress: '127.0.0.4' })
      const handshake = authenticate(socket, false, handshakeConfig({ authenticationTimeoutMs: 300, clock }))
      const settlement = settlementOf(handshake)
      await new Promise((resolve) => setTimeout(resolve, 500)) // past 300 ms of real time
      assert.equal(settlement().kind, 'pending', 'the real clock must not end it')
      clock.advance(300)
      await handshake.catch(() => {})
      const outcome = settlement()
      assert.ok(
        outcome.kind === 'rejected' && outcome.error instanceof HandshakeTimeoutError,
        String(outcome.kind === 'rejected' ? outcome.error : outcome.kind),
      )
      assert.ok(socket.destroyed)
    } finally {
      await server.close()
    }
  })

  test('a peer that stalls after its connection message is dropped at authentication_timeout', async () => {
    const staller = testIdentity()
    const server = await listen((socket) => {
      // A valid connection message, then silence: no metadata chunk ever comes.
      socket.write(
        encodeConnectionMessage({
          port: 0,
          publicKey: staller.publicKey,
          proofOfWorkStamp: staller.proofOfWorkStamp,
          messageNonce: randomBytes(24),
          chainName: 'DUNE_TEST',
          distributedDbVersion: 1,
          p2pVersion: 1,
        }),
      )
    })
    try {
      const socket = await dialTcp('127.0.0.1', server.port)
      const err = await authenticate(socket, false, handshakeConfig({ authenticationTimeoutMs: 300 })).catch(
        (e: unknown) => e,
      )
      assert.ok(err instanceof HandshakeTimeoutError, String(err))
      assert.equal(err.peerId, peerIdToB58(staller.peerId)) // it got as far as knowing the peer
      assert.ok(socket.destroyed)
    } finally {
      await server.close()
    }
  })

  test('garbage instead of a connection message: a decoding failure, the socket closed', async () => {
    let result: Promise<unknown> | undefined
    const server = await listen((socket) => {
      result = authenticate(socket, true, handshakeConfig()).catch((e: unknown) => e)
    })
    try {
      const socket = await dialTcp('127.0.0.1', server.port)
      const garbage = Buffer.concat([Buffer.from([0x00, 0x20]), randomBytes(32)])
      socket.write(garbage)
      socket.resume() // read what the node sent, so that its close reaches us
      while (!result) await new Promise((r) => setImmediate(r))
      const err = await result
      assert.ok(err instanceof HandshakeDecodingError, String(err))
      assert.equal(err.failure, 'decoding')
      await new Promise((resolve) => socket.once('close', resolve))
    } finally {
      await server.close()
    }
  })

  test('the connection closed during the handshake is a typed failure', async () => {
    let result: Promise<unknown> | undefined
    const server = await listen((socket) => {
      result = authenticate(socket, true, handshakeConfig()).catch((e: unknown) => e)
    })
    try {
      const socket = await dialTcp('127.0.0.1', server.port)
      socket.end(Buffer.from([0x00, 0x87, 1, 2, 3]))
      while (!result) await new Promise((r) => setImmediate(r))
      const err = await result
      assert.ok(err instanceof HandshakeClosedError, String(err))
    } finally {
      await server.close()
    }
  })
})
