// The points routes with names and pins (issue 16): PATCH /network/points/<p> {peer_id} pins a
// point (a live connection with another peer is closed, its IP greylisted), named points shown.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { api, duneNodeFixture, netPoint } from '../../support/dune-nodes.js'
import { waitUntil } from '../../support/wait.js'

describe('points by name and pinned points over the RPC', () => {
  const start = duneNodeFixture()

  test('PATCH {peer_id} pins a point: shown in GET, a live connection with another peer closed and greylisted', async () => {
    const a = await start('127.0.16.71')
    const b = await start('127.0.16.72')
    const c = await start('127.0.16.73')
    await a.p2p.connect(netPoint(b))
    const pinned = await api(a, 'PATCH', `/network/points/${netPoint(b)}`, { peer_id: c.peerId })
    assert.equal(pinned.status, 200, JSON.stringify(pinned.body))
    assert.deepEqual(pinned.body, { point: netPoint(b), expected_peer_id: c.peerId })
    await waitUntil(() => a.p2p.connection(b.peerId) === undefined, {
      message: 'the connection with b to close',
    })
    const shown = await api(a, 'GET', `/network/points/${netPoint(b)}`)
    assert.equal(shown.body.expected_peer_id, c.peerId)
    assert.equal(shown.body.greylisted, true)
    const list = await api(a, 'GET', '/network/greylist')
    assert.ok(list.body.ips.some((g: { ip: string }) => g.ip === '127.0.16.72'))
  })

  test('a point named by DNS name can be pinned and read by name; the ACL refuses names', async () => {
    // The maintenance may dial the named point: an injected resolver answers (no public lookup).
    const asked: string[] = []
    const resolver = async (host: string) => {
      asked.push(host)
      return [{ address: '127.0.16.75', family: 4 }]
    }
    const a = await start('127.0.16.74', { options: { resolver } })
    const b = await start('127.0.16.75')
    const name = `peer.example.net:${b.netPort}`
    const pinned = await api(a, 'PATCH', `/network/points/${name}`, { peer_id: b.peerId })
    assert.equal(pinned.status, 200, JSON.stringify(pinned.body))
    const shown = await api(a, 'GET', `/network/points/${name.toUpperCase()}`)
    assert.equal(shown.status, 200)
    assert.equal(shown.body.point, name)
    assert.equal(shown.body.expected_peer_id, b.peerId)
    assert.ok(
      [null, '127.0.16.75'].includes(shown.body.last_address),
      'not dialed yet, or dialed at its address',
    )
    assert.ok(
      asked.every((h) => h === 'peer.example.net'),
      asked.join(','),
    )
    const ban = await api(a, 'PATCH', `/network/points/${name}`, { acl: 'ban' })
    assert.equal(ban.status, 400)
    assert.match(ban.body.message ?? JSON.stringify(ban.body), /ACL holds IP addresses/)
    const badId = await api(a, 'PATCH', `/network/points/${netPoint(b)}`, { peer_id: 'idbad' })
    assert.equal(badId.status, 400)
    const empty = await api(a, 'PATCH', `/network/points/${netPoint(b)}`, {})
    assert.equal(empty.status, 400)
  })
})
