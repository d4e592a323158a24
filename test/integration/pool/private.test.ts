// Private mode on real sockets: a private node talks only to trusted points and peers, tells
// its peers it is private, and they never advertise it.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { ConnectionRefusedError } from '../../../src/pool/errors.js'
import { RejectedByPeerError } from '../../../src/socket/index.js'
import { nextEvent, nodeFixture, pointOf } from '../../support/p2p-nodes.js'
import { waitUntil } from '../../support/wait.js'

describe('private mode', () => {
  const node = nodeFixture()

  test('a private node connects only to trusted points and accepts only trusted peers', async () => {
    const t = await node('127.0.6.1')
    const p = await node('127.0.6.2', { privateMode: true, trustedPoints: [`127.0.6.1:${t.port}`] })
    const x = await node('127.0.6.3')
    const info = await p.connect(pointOf(t))
    assert.equal(info.peerId, t.peerId)
    assert.equal(p.point(pointOf(t))?.trusted, true)
    assert.equal(p.connection(t.peerId)?.trusted, true)

    await assert.rejects(
      p.connect(pointOf(x)),
      (err: ConnectionRefusedError) => err.reason === 'private_mode',
    )
    const refused = nextEvent(p, 'handshake-failed')
    await assert.rejects(
      x.connect(pointOf(p)),
      (err: RejectedByPeerError) => err instanceof RejectedByPeerError && err.motive === 'no_motive',
    )
    assert.equal(((await refused)[0].error as ConnectionRefusedError).reason, 'private_mode')
    assert.equal(p.acl.isPeerGreylisted(x.peerId), false)

    // A peer the administrator trusts by id gets in.
    p.acl.trustPeer(x.peerId)
    await x.connect(pointOf(p))
    await waitUntil(() => p.connections().length === 2, { message: 'p to accept the trusted peer' })
  })

  test('peers of a private node see it as private and never advertise its point', async () => {
    const t = await node('127.0.6.4')
    const p = await node('127.0.6.5', { privateMode: true, trustedPoints: [`127.0.6.4:${t.port}`] })
    const y = await node('127.0.6.6')
    const x = await node('127.0.6.7')
    await p.connect(pointOf(t))
    await y.connect(pointOf(t))
    await waitUntil(() => t.connections().length === 2, { message: 't to see p and y' })
    assert.equal(t.connection(p.peerId)?.private, true)
    assert.equal(t.connection(p.peerId)?.metadata.privateNode, true)
    assert.equal(t.point(pointOf(p))?.state, 'running', 't knows where p listens')

    await x.connect(pointOf(t))
    const learnt = nextEvent(x, 'new-point', (e) => e.point === pointOf(y))
    x.bootstrap()
    await learnt
    assert.equal(x.point(pointOf(p)), undefined, 'p was not advertised')
    assert.equal(p.swapRequest(), false, 'a private node does not swap')
  })
})
