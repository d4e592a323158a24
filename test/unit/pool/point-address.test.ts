// The operator's point syntax (IP or DNS name, port, #PEER_ID) and the bounded name lookup.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  canonicalPointAddress,
  hostOfPoint,
  isNamedPoint,
  parseDiscoveryAddress,
  parsePointAddress,
  pointAddressError,
} from '../../../src/pool/point-address.js'
import { canonicalPoint } from '../../../src/pool/point-text.js'
import { MAX_ADDRESSES_PER_NAME, ResolveError, resolveName } from '../../../src/pool/resolver.js'
import { InvalidPointError } from '../../../src/wire/index.js'

const ID = 'idtqxHUjbjbCfaDn4jczoPGsnhacKX'

describe('parsePointAddress', () => {
  test('IP points are canonical, as the pool keys them', () => {
    assert.deepEqual(parsePointAddress('10.0.0.7:9732'), {
      point: '10.0.0.7:9732',
      host: '10.0.0.7',
      port: 9732,
      named: false,
      peerId: undefined,
    })
    assert.equal(parsePointAddress('[2001:DB8:0::1]:1').point, '[2001:db8::1]:1')
    assert.equal(parsePointAddress('[::ffff:10.0.0.1]:9732').point, '10.0.0.1:9732')
  })

  test('DNS names: lower case, a trailing dot dropped, kept as names', () => {
    const a = parsePointAddress('Boot.Example.NET.:9732')
    assert.equal(a.point, 'boot.example.net:9732')
    assert.equal(a.host, 'boot.example.net')
    assert.equal(a.named, true)
    assert.equal(parsePointAddress('localhost:9732').point, 'localhost:9732')
    assert.equal(isNamedPoint('localhost:9732'), true)
    assert.equal(isNamedPoint('10.0.0.1:9732'), false)
    assert.equal(isNamedPoint('[::1]:9732'), false)
    assert.equal(hostOfPoint('[::1]:9732'), '::1')
    assert.equal(hostOfPoint('boot.example.net:1'), 'boot.example.net')
  })

  test('"#PEER_ID" pins the point; the canonical point leaves it out', () => {
    const a = parsePointAddress(`boot.example.net:9732#${ID}`)
    assert.equal(a.peerId, ID)
    assert.equal(a.point, 'boot.example.net:9732')
    assert.equal(canonicalPointAddress(`10.0.0.1:1#${ID}`), '10.0.0.1:1')
  })

  test('bad points are refused with the reason', () => {
    assert.throws(() => parsePointAddress('bad_name:1'), InvalidPointError)
    assert.match(pointAddressError('1.2.3:9732') ?? '', /not an IPv4 address/)
    assert.match(pointAddressError('1.2.3.256:9732') ?? '', /not an IPv4 address/)
    assert.match(pointAddressError('::1:9732') ?? '', /IPv6 needs brackets/)
    assert.match(pointAddressError('boot.example.net') ?? '', /HOST:PORT/)
    assert.match(pointAddressError('boot.example.net:70000') ?? '', /not a port/)
    assert.match(pointAddressError('-bad.example.net:1') ?? '', /host name/)
    assert.match(pointAddressError(`${'a'.repeat(64)}.net:1`) ?? '', /host name/)
    assert.match(pointAddressError(`${'a.'.repeat(127)}net:1`) ?? '', /longer than 253/)
    assert.match(pointAddressError('boot.example.net:1#idnope') ?? '', /peer id/)
    assert.match(pointAddressError(':9732') ?? '', /empty/)
  })

  test('points learned from peers stay IP literals', () => {
    assert.equal(canonicalPoint('boot.example.net:9732'), undefined)
    assert.equal(canonicalPoint('10.0.0.1:9732'), '10.0.0.1:9732')
  })

  test('discovery addresses: IPv4, port 10732 by default', () => {
    assert.deepEqual(parseDiscoveryAddress('192.168.1.255'), { address: '192.168.1.255', port: 10732 })
    assert.deepEqual(parseDiscoveryAddress('10.0.0.255:1'), { address: '10.0.0.255', port: 1 })
    assert.throws(() => parseDiscoveryAddress('lan.example.net'), /IPv4/)
    assert.throws(() => parseDiscoveryAddress('10.0.0.255:0'), /port/)
  })
})

describe('resolveName', () => {
  test('canonical addresses, duplicates dropped, at most MAX_ADDRESSES_PER_NAME', async () => {
    const many = Array.from({ length: 20 }, (_, i) => ({ address: `127.0.0.${i % 10}`, family: 4 }))
    const ips = await resolveName(
      async () => [{ address: '::ffff:127.0.0.9', family: 6 }, ...many],
      'x',
      'x:1',
      1000,
    )
    assert.equal(ips[0], '127.0.0.9')
    assert.equal(ips.length, MAX_ADDRESSES_PER_NAME)
    assert.equal(new Set(ips).size, ips.length)
  })

  test('a failure, an empty answer, junk, or no answer in time: ResolveError', async () => {
    const enotfound = Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' })
    await assert.rejects(
      resolveName(
        async () => {
          throw enotfound
        },
        'x',
        'x:1',
        1000,
      ),
      (err: Error) => err instanceof ResolveError && /ENOTFOUND/.test(err.message),
    )
    await assert.rejects(
      resolveName(async () => [], 'x', 'x:1', 1000),
      /no IP address/,
    )
    await assert.rejects(
      resolveName(
        async () => [
          { address: 'fe80::1%eth0', family: 6 },
          { address: 'nope', family: 4 },
        ],
        'x',
        'x:1',
        1000,
      ),
      /no IP address/,
    )
    await assert.rejects(
      resolveName(() => new Promise(() => {}), 'x', 'x:1', 50),
      /no answer within 50 ms/,
    )
  })
})
