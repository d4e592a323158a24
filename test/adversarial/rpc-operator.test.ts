// Attacks on the admin RPC of a node as it ships (startShippedNode, real HTTP on 127.0.0.x): DNS
// rebinding, no or wrong token, foreign Origin, loose bodies, error shapes, headers, the cookie.
import assert from 'node:assert/strict'
import { statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { DuneNode } from '../../src/node/daemon.js'
import { assertErrorShape, http } from '../support/rpc-http.js'
import { startShippedNode } from '../support/shipped-node.js'

const JSON_TYPE = { 'content-type': 'application/json' }

describe('the admin RPC of a shipped node answers only its operator', () => {
  let node: DuneNode
  let url: string
  let hostHeader: string
  let bearer: Record<string, string>
  before(async () => {
    node = await startShippedNode('127.0.0.181', { rpc: true })
    url = node.rpcUrl!
    hostHeader = new URL(url).host
    bearer = { authorization: `Bearer ${node.rpcToken}` }
  })
  after(() => node.stop())

  test('DNS rebinding: Host evil.example is refused (421) and nothing changes', async () => {
    const ban = await http(
      url,
      'PATCH',
      '/network/points/192.0.2.7',
      { host: 'evil.example', ...JSON_TYPE, ...bearer },
      '{"acl":"ban"}',
    )
    assertErrorShape(ban, 421, 'MISDIRECTED')
    assert.match(ban.body.error.message, /rpc\.allowed_hosts/)
    assert.equal(node.p2p.acl.isIpBanned('192.0.2.7'), false)
    // Reads and the dashboard's token too: a rebound name reads nothing.
    assertErrorShape(await http(url, 'GET', '/network/peers', { host: 'evil.example' }), 421, 'MISDIRECTED')
    assertErrorShape(
      await http(url, 'GET', '/dashboard/token', { host: `evil.example:${new URL(url).port}` }),
      421,
      'MISDIRECTED',
    )
    // The RPC's own address and localhost, with its port, are its names.
    assert.equal((await http(url, 'GET', '/network/self', { host: hostHeader })).status, 200)
    const port = new URL(url).port
    assert.equal((await http(url, 'GET', '/network/self', { host: `localhost:${port}` })).status, 200)
    assertErrorShape(await http(url, 'GET', '/network/self', { host: 'localhost:1' }), 421, 'MISDIRECTED')
  })

  test('no token, or a wrong one: 401 naming what to do; nothing changes', async () => {
    const none = await http(url, 'PATCH', '/network/points/192.0.2.8', JSON_TYPE, '{"acl":"ban"}')
    assertErrorShape(none, 401, 'UNAUTHORIZED')
    assert.match(none.body.error.message, /Authorization: Bearer TOKEN.+rpc\.cookie.+--data-dir/)
    assert.match(String(none.headers['www-authenticate']), /^Bearer/)
    const wrong = await http(
      url,
      'PATCH',
      '/network/points/192.0.2.8',
      { ...JSON_TYPE, authorization: `Bearer ${'0'.repeat(64)}` },
      '{"acl":"ban"}',
    )
    assertErrorShape(wrong, 401, 'UNAUTHORIZED')
    for (const [method, path] of [
      ['DELETE', '/network/greylist'],
      ['PUT', '/network/points/127.0.0.1%3A1'],
      ['DELETE', `/network/peers/${node.peerId}`],
      ['POST', '/network/self'],
    ] as const) {
      assertErrorShape(await http(url, method, path), 401, 'UNAUTHORIZED')
    }
    assert.equal(node.p2p.acl.isIpBanned('192.0.2.8'), false)
    // Reads stay open on loopback.
    assert.equal((await http(url, 'GET', '/network/acl')).status, 200)
    // With the token: applied.
    const ok = await http(
      url,
      'PATCH',
      '/network/points/192.0.2.8',
      { ...JSON_TYPE, ...bearer },
      '{"acl":"ban"}',
    )
    assert.equal(ok.status, 200, JSON.stringify(ok.body))
    assert.equal(node.p2p.acl.isIpBanned('192.0.2.8'), true)
    await http(url, 'PATCH', '/network/points/192.0.2.8', { ...JSON_TYPE, ...bearer }, '{"acl":"unban"}')
  })

  test('a state-changing request from a foreign Origin is refused (403), even with the token', async () => {
    for (const headers of <Record<string, string>[]>[
      { origin: 'http://evil.example' },
      { origin: 'null' },
      { origin: `http://127.0.0.1:${new URL(url).port}` },
      { 'sec-fetch-site': 'cross-site' },
    ]) {
      const answer = await http(
        url,
        'PATCH',
        '/network/points/192.0.2.9',
        { ...JSON_TYPE, ...bearer, ...headers },
        '{"acl":"ban"}',
      )
      assertErrorShape(answer, 403, 'FORBIDDEN')
    }
    assert.equal(node.p2p.acl.isIpBanned('192.0.2.9'), false)
    const own = await http(
      url,
      'PATCH',
      '/network/points/192.0.2.9',
      { ...JSON_TYPE, ...bearer, origin: url, 'sec-fetch-site': 'same-origin' },
      '{"acl":"trust"}',
    )
    assert.equal(own.status, 200, JSON.stringify(own.body))
    await http(url, 'PATCH', '/network/points/192.0.2.9', { ...JSON_TYPE, ...bearer }, '{"acl":"untrust"}')
  })

  test('the token goes to the same origin only', async () => {
    const same = await http(url, 'GET', '/dashboard/token', { 'sec-fetch-site': 'same-origin' })
    assert.equal(same.status, 200)
    assert.equal(same.body.token, node.rpcToken)
    assert.equal(same.headers['cache-control'], 'no-store')
    for (const site of ['cross-site', 'same-site']) {
      assertErrorShape(
        await http(url, 'GET', '/dashboard/token', { 'sec-fetch-site': site }),
        403,
        'FORBIDDEN',
      )
    }
  })

  test('strict bodies: wrong types and unknown fields are refused, not coerced or dropped', async () => {
    const send = (method: string, path: string, body: string) =>
      http(url, method, path, { ...JSON_TYPE, ...bearer }, body)
    for (const body of ['{"acl":["ban"]}', '{"acl":"ban","extra":1}', '{"acl":1}', '["ban"]', '"ban"']) {
      assertErrorShape(await send('PATCH', '/network/points/192.0.2.10', body), 400, 'BAD_REQUEST')
    }
    assert.equal(node.p2p.acl.isIpBanned('192.0.2.10'), false)
    const five = await send('PUT', '/network/points/127.0.0.1%3A1', '{"timeout_ms":"5"}')
    assertErrorShape(five, 400, 'BAD_REQUEST')
    assert.match(five.body.error.message, /timeout_ms/)
    assertErrorShape(await send('PUT', '/network/points/127.0.0.1%3A1', '{"timeout":5}'), 400, 'BAD_REQUEST')
    // Queries: only the documented parameter, in range.
    assertErrorShape(await http(url, 'GET', '/network/log?stat_interval_ms=5'), 400, 'BAD_REQUEST')
    assertErrorShape(await http(url, 'GET', '/network/log?stat_interval_ms=1e3'), 400, 'BAD_REQUEST')
    assertErrorShape(await http(url, 'GET', '/network/log?other=1'), 400, 'BAD_REQUEST')
  })

  test('every error has the documented shape: 404, 413, 414, 415, bad JSON', async () => {
    assertErrorShape(await http(url, 'GET', '/nowhere'), 404, 'NOT_FOUND')
    assertErrorShape(await http(url, 'GET', `/network/points/${'1'.repeat(300)}`), 414, 'BAD_REQUEST')
    const big = `{"acl":"${'x'.repeat(70 * 1024)}"}`
    assertErrorShape(
      await http(url, 'PATCH', '/network/points/192.0.2.11', { ...JSON_TYPE, ...bearer }, big),
      413,
      'BAD_REQUEST',
    )
    assertErrorShape(
      await http(
        url,
        'PATCH',
        '/network/points/192.0.2.11',
        { 'content-type': 'text/plain', ...bearer },
        '{"acl":"ban"}',
      ),
      415,
      'BAD_REQUEST',
    )
    assertErrorShape(
      await http(url, 'PATCH', '/network/points/192.0.2.11', { ...JSON_TYPE, ...bearer }, '{"acl":'),
      400,
      'BAD_REQUEST',
    )
  })

  test('headers: nosniff on JSON; the dashboard cannot be framed', async () => {
    const stat = await http(url, 'GET', '/network/stat')
    assert.equal(stat.headers['x-content-type-options'], 'nosniff')
    const error = await http(url, 'GET', '/nowhere')
    assert.equal(error.headers['x-content-type-options'], 'nosniff')
    const page = await http(url, 'GET', '/dashboard/')
    assert.equal(page.status, 200)
    assert.equal(page.headers['x-frame-options'], 'DENY')
    assert.match(String(page.headers['content-security-policy']), /frame-ancestors 'none'/)
    assert.equal(page.headers['x-content-type-options'], 'nosniff')
  })

  test('the cookie: the token in DATA_DIR/rpc.cookie, mode 0600, removed at stop', async () => {
    const other = await startShippedNode('127.0.0.182', { rpc: true })
    const file = join(other.p2p.config.dataDir!, 'rpc.cookie')
    try {
      assert.equal((await readFile(file, 'utf8')).trim(), other.rpcToken)
      assert.equal(statSync(file).mode & 0o777, 0o600)
      assert.match(other.rpcToken!, /^[0-9a-f]{64}$/)
      assert.notEqual(other.rpcToken, node.rpcToken)
    } finally {
      await other.stop()
    }
    assert.throws(() => statSync(file), /ENOENT/)
  })
})
