// Every /network route of the admin RPC against running nodes on 127.0.0.x: successes and the
// error bodies (400 bad input, 404 unknown, 409 forgetting what is in use, 502 failed connect).
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { before, describe, test } from 'node:test'
import { peerIdToB58 } from '../../../src/crypto/index.js'
import type { DuneNode } from '../../../src/node/daemon.js'
import { api, duneNodeFixture, enc, netPoint } from '../../support/dune-nodes.js'
import { waitUntil } from '../../support/wait.js'

/** A well-formed peer id nobody has. */
const STRANGER = peerIdToB58(randomBytes(16))
/** Another, never named to the ACL (naming a peer there makes it known). */
const UNKNOWN = peerIdToB58(randomBytes(16))

describe('admin RPC /network routes', () => {
  const startTestNode = duneNodeFixture()
  let a: DuneNode
  let b: DuneNode
  before(async () => {
    a = await startTestNode('127.0.0.31')
    b = await startTestNode('127.0.0.32')
  })

  test('self and stat', async () => {
    assert.deepEqual((await api(a, 'GET', '/network/self')).body, { peer_id: a.peerId })
    const stat = await api(a, 'GET', '/network/stat')
    assert.equal(stat.status, 200)
    assert.equal(stat.body.peer_id, a.peerId)
    for (const key of [
      'total_sent',
      'total_recv',
      'current_inflow',
      'current_outflow',
      'connections',
      'incoming_handshakes',
      'known_points',
      'known_peers',
      'uptime_ms',
    ]) {
      assert.equal(typeof stat.body[key], 'number', key)
    }
  })

  test('PUT /network/points/:point connects; the connection, peer and point are listed', async () => {
    const put = await api(a, 'PUT', `/network/points/${enc(netPoint(b))}`)
    assert.equal(put.status, 200, JSON.stringify(put.body))
    assert.equal(put.body.peer_id, b.peerId)
    assert.equal(put.body.incoming, false)
    assert.equal(put.body.point, netPoint(b))
    assert.equal(put.body.version.chain_name, 'DUNE_TEST')
    assert.equal(typeof put.body.stats.total_sent, 'number')

    const list = await api(a, 'GET', '/network/connections')
    assert.deepEqual(
      list.body.map((c: { peer_id: string }) => c.peer_id),
      [b.peerId],
    )
    assert.equal((await api(a, 'GET', `/network/connections/${b.peerId}`)).body.remote_addr, '127.0.0.32')
    const peer = await api(a, 'GET', `/network/peers/${b.peerId}`)
    assert.equal(peer.body.state, 'running')
    assert.ok(
      (await api(a, 'GET', '/network/peers')).body.some((p: { peer_id: string }) => p.peer_id === b.peerId),
    )
    const point = await api(a, 'GET', `/network/points/${enc(netPoint(b))}`)
    assert.equal(point.body.state, 'running')
    assert.equal(point.body.peer_id, b.peerId)
    assert.ok(
      (await api(a, 'GET', '/network/points')).body.some((p: { point: string }) => p.point === netPoint(b)),
    )
  })

  test('forgetting a connected peer or point is a 409', async () => {
    const peer = await api(a, 'DELETE', `/network/peers/${b.peerId}`)
    assert.equal(peer.status, 409)
    assert.equal(peer.body.error.code, 'CONFLICT')
    const point = await api(a, 'DELETE', `/network/points/${enc(netPoint(b))}`)
    assert.equal(point.status, 409)
    assert.equal(point.body.error.code, 'CONFLICT')
  })

  test('kick closes the connection; then the peer and point can be forgotten', async () => {
    const kick = await api(a, 'DELETE', `/network/connections/${b.peerId}`)
    assert.deepEqual(kick.body, { ok: true })
    assert.equal(a.p2p.connections().length, 0)
    await waitUntil(() => b.p2p.connections().length === 0, { message: 'b to see the close' })
    assert.equal((await api(a, 'DELETE', `/network/connections/${b.peerId}`)).status, 404)
    assert.deepEqual((await api(a, 'DELETE', `/network/peers/${b.peerId}`)).body, { ok: true })
    assert.equal((await api(a, 'GET', `/network/peers/${b.peerId}`)).status, 404)
    assert.deepEqual((await api(a, 'DELETE', `/network/points/${enc(netPoint(b))}`)).body, { ok: true })
    assert.equal((await api(a, 'GET', `/network/points/${enc(netPoint(b))}`)).status, 404)
    assert.equal((await api(a, 'DELETE', `/network/points/${enc(netPoint(b))}`)).status, 404)
    assert.equal((await api(a, 'DELETE', `/network/peers/${b.peerId}`)).status, 404)
  })

  test('peer ACL: ban, banned, unban, trust, untrust (known or not)', async () => {
    const ban = await api(a, 'PATCH', `/network/peers/${STRANGER}`, { acl: 'ban' })
    assert.deepEqual(ban.body, { peer_id: STRANGER, banned: true, trusted: false })
    assert.deepEqual((await api(a, 'GET', `/network/peers/${STRANGER}/banned`)).body, { banned: true })
    assert.deepEqual((await api(a, 'GET', '/network/acl')).body.banned_peers, [STRANGER])
    assert.equal((await api(a, 'PATCH', `/network/peers/${STRANGER}`, { acl: 'unban' })).body.banned, false)
    assert.deepEqual((await api(a, 'GET', `/network/peers/${STRANGER}/banned`)).body, { banned: false })
    assert.equal((await api(a, 'PATCH', `/network/peers/${STRANGER}`, { acl: 'trust' })).body.trusted, true)
    assert.deepEqual((await api(a, 'GET', '/network/acl')).body.trusted_peers, [STRANGER])
    assert.equal(
      (await api(a, 'PATCH', `/network/peers/${STRANGER}`, { acl: 'untrust' })).body.trusted,
      false,
    )
    // A known peer answers with its Peer record.
    await api(a, 'PUT', `/network/points/${enc(netPoint(b))}`)
    const known = await api(a, 'PATCH', `/network/peers/${b.peerId}`, { acl: 'trust' })
    assert.equal(known.body.state, 'running')
    assert.equal(known.body.trusted, true)
    assert.equal(
      (await api(a, 'PATCH', `/network/peers/${b.peerId}`, { acl: 'untrust' })).body.trusted,
      false,
    )
  })

  test('point ACL on a point, an IP and a CIDR prefix', async () => {
    const point = await api(a, 'PATCH', `/network/points/${enc('127.0.0.99:9732')}`, { acl: 'ban' })
    assert.deepEqual(point.body, { point: '127.0.0.99:9732', banned: true, trusted: false })
    assert.deepEqual((await api(a, 'GET', `/network/points/${enc('127.0.0.99:9732')}/banned`)).body, {
      banned: true,
    })
    const ip = await api(a, 'PATCH', '/network/points/127.0.0.98', { acl: 'ban' })
    assert.deepEqual(ip.body, { point: '127.0.0.98', banned: true, trusted: false })
    assert.deepEqual((await api(a, 'GET', `/network/points/${enc('127.0.0.98:1')}/banned`)).body, {
      banned: true,
    })
    const cidr = await api(a, 'PATCH', `/network/points/${enc('10.0.0.0/8')}`, { acl: 'trust' })
    assert.deepEqual(cidr.body, { point: '10.0.0.0/8', banned: false, trusted: true })
    const acl = (await api(a, 'GET', '/network/acl')).body
    assert.deepEqual(acl.banned_points, ['127.0.0.99:9732'])
    assert.deepEqual(acl.banned_ips, ['127.0.0.98'])
    assert.deepEqual(acl.trusted_ips, ['10.0.0.0/8'])
    assert.equal(
      (await api(a, 'PATCH', `/network/points/${enc('127.0.0.99:9732')}`, { acl: 'unban' })).body.banned,
      false,
    )
    assert.equal((await api(a, 'PATCH', '/network/points/127.0.0.98', { acl: 'unban' })).body.banned, false)
    assert.equal((await api(a, 'PATCH', '/network/points/127.0.0.98', { acl: 'trust' })).body.trusted, true)
    assert.equal(
      (await api(a, 'PATCH', '/network/points/127.0.0.98', { acl: 'untrust' })).body.trusted,
      false,
    )
    assert.equal(
      (await api(a, 'PATCH', `/network/points/${enc('10.0.0.0/8')}`, { acl: 'untrust' })).body.trusted,
      false,
    )
  })

  test('greylist: listed, then cleared', async () => {
    a.p2p.acl.greylistIp('127.0.0.77', 'test')
    a.p2p.acl.greylistPeer(STRANGER, 'test')
    a.p2p.acl.greylistPoint('127.0.0.78:9732', 'test')
    const list = (await api(a, 'GET', '/network/greylist')).body
    assert.deepEqual(
      list.points.map((e: { point: string; reason: string }) => [e.point, e.reason]),
      [['127.0.0.78:9732', 'test']],
    )
    assert.deepEqual(
      list.ips.map((e: { ip: string; reason: string }) => [e.ip, e.reason]),
      [['127.0.0.77', 'test']],
    )
    assert.equal(list.peers[0].peer_id, STRANGER)
    assert.equal(typeof list.peers[0].until, 'number')
    assert.deepEqual((await api(a, 'GET', '/network/acl')).body.greylist, list)
    assert.deepEqual((await api(a, 'DELETE', '/network/greylist')).body, { cleared: 3 })
    assert.deepEqual((await api(a, 'GET', '/network/greylist')).body, { ips: [], points: [], peers: [] })
  })

  test('bad input is a 4xx with a message, never a crash', async () => {
    const cases: Array<[string, string, unknown, number, string]> = [
      ['PUT', '/network/points/not-a-point', undefined, 400, 'BAD_REQUEST'],
      ['GET', '/network/points/127.0.0.1', undefined, 400, 'BAD_REQUEST'],
      ['GET', `/network/points/${enc('127.0.0.1:1')}`, undefined, 404, 'NOT_FOUND'],
      ['PATCH', '/network/points/nonsense', { acl: 'ban' }, 400, 'BAD_REQUEST'],
      ['GET', '/network/points/nonsense/banned', undefined, 400, 'BAD_REQUEST'],
      ['GET', '/network/peers/not-a-peer-id', undefined, 400, 'BAD_REQUEST'],
      ['GET', `/network/peers/${UNKNOWN}`, undefined, 404, 'NOT_FOUND'],
      ['GET', `/network/connections/${UNKNOWN}`, undefined, 404, 'NOT_FOUND'],
      ['DELETE', '/network/connections/idXXX', undefined, 400, 'BAD_REQUEST'],
      ['PATCH', `/network/peers/${STRANGER}`, { acl: 'forgive' }, 400, 'BAD_REQUEST'],
      ['PATCH', `/network/peers/${STRANGER}`, undefined, 400, 'BAD_REQUEST'],
      ['PATCH', `/network/peers/${STRANGER}`, '{"acl": ', 400, 'BAD_REQUEST'],
      ['PATCH', `/network/peers/${STRANGER}`, [1, 2], 400, 'BAD_REQUEST'],
      ['PUT', `/network/points/${enc(netPoint(b))}`, { timeout_ms: -5 }, 400, 'BAD_REQUEST'],
      ['GET', '/network/log?stat_interval_ms=abc', undefined, 400, 'BAD_REQUEST'],
      ['GET', '/network/nothing', undefined, 404, 'NOT_FOUND'],
      ['POST', '/network/stat', undefined, 404, 'NOT_FOUND'],
    ]
    for (const [method, path, body, status, code] of cases) {
      const answer = await api(a, method, path, body)
      assert.equal(answer.status, status, `${method} ${path}: ${JSON.stringify(answer.body)}`)
      assert.equal(answer.body.error.code, code, `${method} ${path}`)
      assert.ok(answer.body.error.message.length > 0)
    }
    assert.equal((await api(a, 'GET', '/network/self')).status, 200, 'still serving')
  })

  test('a failed connect is a 502 CONNECT_FAILED carrying the library error code', async () => {
    const answer = await api(a, 'PUT', `/network/points/${enc('127.0.0.33:1')}`, { timeout_ms: 2000 })
    assert.equal(answer.status, 502)
    assert.equal(answer.body.error.code, 'CONNECT_FAILED')
    assert.match(answer.body.error.cause, /^DUNE_/)
    const again = await api(a, 'PUT', `/network/points/${enc(netPoint(b))}`, {})
    assert.equal(again.status, 502, 'already connected')
    assert.equal(again.body.error.cause, 'DUNE_CONNECTION_REFUSED')
  })
})
