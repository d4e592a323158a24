// The admin RPC's guards without a server: Host names accepted (rebinding), Origins, bearer
// tokens, loopback addresses, and the route policy off loopback with rpc.acl entries (Octez).
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  bearerMatches,
  HostCheck,
  isLoopbackAddress,
  parseHostHeader,
  parseRoutePattern,
  RoutePolicy,
} from '../../../src/rpc/guard.js'

describe('HostCheck', () => {
  test('the listen address and localhost at the RPC port; names the operator lists', () => {
    const check = new HostCheck('127.0.0.5', 8732, ['node.example', 'proxy.example:443'])
    for (const ok of [
      '127.0.0.5:8732',
      'localhost:8732',
      'LOCALHOST:8732',
      'node.example',
      'node.example:9',
      'proxy.example:443',
    ])
      assert.equal(check.accepts(ok), true, ok)
    for (const bad of [
      undefined,
      '',
      'evil.example',
      'evil.example:8732',
      '127.0.0.5',
      '127.0.0.5:8733',
      '127.0.0.6:8732',
      'localhost',
      'proxy.example',
      'proxy.example:80',
      '127.0.0.5:8732:1',
      'localhost.:8732',
      'a b:8732',
    ])
      assert.equal(check.accepts(bad), false, String(bad))
  })

  test('IPv6 listen address in brackets; a wildcard listen accepts IP literals only', () => {
    const v6 = new HostCheck('::1', 8732)
    assert.equal(v6.accepts('[::1]:8732'), true)
    assert.equal(v6.accepts('[::2]:8732'), false)
    assert.equal(v6.accepts('::1:8732'), false)
    const any = new HostCheck('0.0.0.0', 8732)
    assert.equal(any.accepts('192.0.2.1:8732'), true)
    assert.equal(any.accepts('[2001:db8::1]:8732'), true)
    assert.equal(any.accepts('rebound.example:8732'), false)
  })

  test('Origins: http(s) URLs naming the RPC', () => {
    const check = new HostCheck('127.0.0.5', 8732)
    assert.equal(check.acceptsOrigin('http://127.0.0.5:8732'), true)
    assert.equal(check.acceptsOrigin('http://localhost:8732'), true)
    for (const bad of [
      'null',
      'http://evil.example',
      'http://127.0.0.5:8733',
      'file://',
      'ftp://127.0.0.5:8732',
      '',
    ])
      assert.equal(check.acceptsOrigin(bad), false, bad)
  })
})

test('parseHostHeader', () => {
  assert.deepEqual(parseHostHeader('Example.COM:80'), { name: 'example.com', port: 80 })
  assert.deepEqual(parseHostHeader('[2001:db8::1]'), { name: '2001:db8::1', port: undefined })
  for (const bad of ['[zz]:1', 'a:99999', 'a:', ':1', '[::1]x', 'a/b'])
    assert.equal(parseHostHeader(bad), undefined, bad)
})

test('bearerMatches', () => {
  const token = 'ab'.repeat(32)
  assert.equal(bearerMatches(`Bearer ${token}`, token), true)
  assert.equal(bearerMatches(`bearer ${token}`, token), true)
  for (const bad of [
    undefined,
    '',
    token,
    `Bearer ${token}x`,
    `Basic ${token}`,
    `Bearer ${token.slice(1)}`,
    'Bearer ',
  ])
    assert.equal(bearerMatches(bad, token), false, String(bad))
})

test('isLoopbackAddress', () => {
  for (const yes of ['127.0.0.1', '127.5.6.7', '::1', '[::1]', '::ffff:127.0.0.1'])
    assert.equal(isLoopbackAddress(yes), true, yes)
  for (const no of ['0.0.0.0', '::', '10.0.0.1', '192.0.2.1', '::ffff:10.0.0.1', '2001:db8::1', 'localhost'])
    assert.equal(isLoopbackAddress(no), false, no)
})

describe('RoutePolicy', () => {
  test('loopback: every route; off loopback: only the read-only defaults', () => {
    const local = RoutePolicy.of('127.0.0.1', 8732)
    assert.equal(local.open, true)
    assert.equal(local.allows('PATCH', '/network/peers/x'), true)
    const exposed = RoutePolicy.of('192.0.2.1', 8732)
    assert.equal(exposed.open, false)
    for (const ok of [
      'GET /network/stat',
      'HEAD /network/stat',
      'GET /network/self',
      'GET /metrics',
      'GET /network/stat?x=1',
    ]) {
      const [method = '', path = ''] = ok.split(' ')
      assert.equal(exposed.allows(method, path), true, ok)
    }
    for (const no of [
      'PATCH /network/points/1.2.3.4',
      'DELETE /network/greylist',
      'GET /network/peers',
      'GET /network/log',
      'GET /dashboard/token',
      'GET /dashboard/',
      'POST /network/stat',
      'GET /network/stat/x',
    ]) {
      const [method = '', path = ''] = no.split(' ')
      assert.equal(exposed.allows(method, path), false, no)
    }
    assert.match(exposed.description, /GET \/network\/stat/)
    assert.equal(RoutePolicy.of('0.0.0.0', 8732).open, false)
    assert.equal(RoutePolicy.of('192.0.2.1', 8732, { allowAll: true }).open, true)
  })

  test('rpc.acl entries: the first naming the address wins; allow- and deny-lists with * and **', () => {
    const acl = [
      { address: '192.0.2.1:9000', allow: ['GET /network/**'] },
      { address: '192.0.2.1', deny: ['/network/points/*', 'DELETE /network/**'] },
      { address: '*', allow: ['GET /metrics'] },
    ]
    const p9000 = RoutePolicy.of('192.0.2.1', 9000, { acl })
    assert.equal(p9000.allows('GET', '/network/peers/abc'), true)
    assert.equal(p9000.allows('GET', '/network'), true)
    assert.equal(p9000.allows('PATCH', '/network/peers/abc'), false)
    const p8732 = RoutePolicy.of('192.0.2.1', 8732, { acl })
    assert.equal(p8732.allows('PATCH', '/network/peers/abc'), true)
    assert.equal(p8732.allows('PATCH', '/network/points/1.2.3.4'), false)
    assert.equal(p8732.allows('PATCH', '/network/points/1.2.3.4/x'), true)
    assert.equal(p8732.allows('DELETE', '/network/greylist'), false)
    const other = RoutePolicy.of('198.51.100.1', 8732, { acl })
    assert.equal(other.allows('GET', '/metrics'), true)
    assert.equal(other.allows('GET', '/network/stat'), false)
    // An entry applies on loopback too (the operator may narrow it).
    assert.equal(
      RoutePolicy.of('127.0.0.1', 8732, { acl: [{ address: '127.0.0.1', deny: ['/**'] }] }).allows(
        'GET',
        '/',
      ),
      false,
    )
  })

  test('patterns: bad ones are refused with the reason', () => {
    assert.deepEqual(parseRoutePattern('get /a/*/b'), { method: 'GET', segments: ['a', '*', 'b'] })
    assert.throws(() => parseRoutePattern('network/stat'), /is not \[METHOD\] \/path/)
    assert.throws(() => parseRoutePattern('GET /a/**/b'), /"\*\*" may only end a pattern/)
    assert.throws(() => parseRoutePattern('G3T /a'), /not an HTTP method/)
    assert.throws(() => parseRoutePattern('GET /a b'), /is not \[METHOD\] \/path/)
  })
})
