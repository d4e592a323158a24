// Tests of the ACL's IP keys: parsing (exactly what node:net accepts, IPv4 as ::ffff:a.b.c.d,
// zone ids dropped), canonical printing (RFC 5952, mapped as dotted quads), CIDR prefixes.
import assert from 'node:assert/strict'
import { isIP } from 'node:net'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import {
  AclInputError,
  formatCidr,
  formatIp,
  isIpv4Mapped,
  normalizeIp,
  parseCidr,
  parseIp,
  parseIpInto,
  prefixContains,
} from '../../../src/acl/index.js'

const groups = (text: string) => [...parseIp(text)]

/** The WHATWG URL parser's canonical IPv6 text, an independent reference for the value. */
const urlCanonical = (v6: string) => new URL(`http://[${v6}]/`).hostname

/** Our printed form in plain IPv6 (mapped addresses back to ::ffff:a.b.c.d). */
const asIpv6 = (address: Uint16Array) =>
  isIpv4Mapped(address) ? `::ffff:${formatIp(address)}` : formatIp(address)

function assertAclError(fn: () => unknown, kind: string, pattern?: RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof AclInputError, `expected AclInputError, got ${String(err)}`)
    assert.equal(err.code, 'DUNE_ACL_INPUT')
    assert.equal(err.kind, kind)
    if (pattern) assert.match(err.message, pattern)
    return true
  })
}

/** Strings built from IP-like tokens: mostly near misses of valid addresses. */
const ipLikeArb = fc
  .array(
    fc.constantFrom(
      '0',
      '1',
      '00',
      '01',
      '9',
      '10',
      '255',
      '256',
      '1000',
      'ff',
      'FfFf',
      'fffff',
      'g',
      '.',
      ':',
      '::',
      ':::',
      '%',
      'eth0',
      '-',
      '/',
      ' ',
      '1.2.3.4',
    ),
    { maxLength: 14 },
  )
  .map((tokens) => tokens.join(''))

/** Eight groups, often zero so that "::" compression has runs to choose from. */
const groupsArb = fc.array(
  fc.oneof(fc.constant(0), fc.constant(0xffff), fc.integer({ min: 0, max: 0xffff })),
  {
    minLength: 8,
    maxLength: 8,
  },
)

describe('IP addresses', () => {
  test('IPv4 is keyed as IPv4-mapped IPv6', () => {
    assert.deepEqual(groups('10.1.2.3'), [0, 0, 0, 0, 0, 0xffff, 0x0a01, 0x0203])
    assert.deepEqual(groups('::ffff:10.1.2.3'), groups('10.1.2.3'))
    assert.deepEqual(groups('::FFFF:a01:203'), groups('10.1.2.3'))
    assert.deepEqual(groups('0:0:0:0:0:ffff:10.1.2.3'), groups('10.1.2.3'))
    assert.equal(formatIp(parseIp('::ffff:10.1.2.3')), '10.1.2.3')
    assert.equal(isIpv4Mapped(parseIp('10.1.2.3')), true)
    // IPv4-compatible (::a.b.c.d) is another address, printed as plain IPv6.
    assert.equal(normalizeIp('::10.1.2.3'), '::a01:203')
    assert.notDeepEqual(groups('::10.1.2.3'), groups('10.1.2.3'))
  })

  test('IPv6 prints in the RFC 5952 form', () => {
    const cases: [string, string][] = [
      ['::', '::'],
      ['0:0:0:0:0:0:0:0', '::'],
      ['::1', '::1'],
      ['1::', '1::'],
      ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal runs
      ['1:0:0:2:0:0:0:3', '1:0:0:2::3'], // the longest run
      ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'], // a single zero group stays
      ['0001:0db8::0a', '1:db8::a'],
      ['fe80::1%eth0', 'fe80::1'], // zone ids are dropped
      ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
      ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
    ]
    for (const [input, printed] of cases) assert.equal(normalizeIp(input), printed, input)
  })

  test('rejects what is not an IP address with a typed error', () => {
    const bad = [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '1.2.3.04',
      '256.1.1.1',
      '1.2.3.4 ',
      'localhost',
      '1::2::3',
      ':1::',
      '1::2:',
      ':::',
      '12345::',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7:8::',
      '1::2:3:4:5:6:7:8',
      '1:2:3:4:5:6::1.2.3.4',
      '::1.2.3',
      'fe80::1%',
      'fe80::1%a%b',
      '1.2.3.4%eth0',
      '[::1]',
      '10.0.0.0/8',
    ]
    for (const text of bad) assertAclError(() => parseIp(text), 'ip', /is not an IP address/)
    assertAclError(() => parseIp(42 as unknown as string), 'ip', /a number is not an IP address/)
  })

  test('accepts exactly what node:net isIP accepts', () => {
    const out = new Uint16Array(8)
    const agree = (text: string) =>
      assert.equal(parseIpInto(text, out), isIP(text) !== 0, JSON.stringify(text))
    fc.assert(fc.property(ipLikeArb, agree), { numRuns: 3000 })
    fc.assert(fc.property(fc.string({ maxLength: 20 }), agree), { numRuns: 1000 })
    fc.assert(fc.property(fc.oneof(fc.ipV4(), fc.ipV4Extended(), fc.ipV6()), agree), { numRuns: 1000 })
  })

  test('parses to the value the WHATWG URL parser reads', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.ipV6(),
          fc.ipV4().map((v4) => `::ffff:${v4}`),
        ),
        (text) => {
          assert.equal(urlCanonical(asIpv6(parseIp(text))), urlCanonical(text))
        },
      ),
      { numRuns: 2000 },
    )
    fc.assert(
      fc.property(fc.ipV4(), (v4) => assert.equal(normalizeIp(v4), v4)),
      { numRuns: 500 },
    )
  })

  test('printing is canonical and parses back to the same address', () => {
    fc.assert(
      fc.property(groupsArb, (values) => {
        const address = Uint16Array.from(values)
        const text = formatIp(address)
        assert.deepEqual([...parseIp(text)], values)
        assert.equal(normalizeIp(text), text)
        // RFC 5952 and the WHATWG serializer agree on plain IPv6.
        if (!isIpv4Mapped(address)) assert.equal(urlCanonical(text), `[${text}]`)
      }),
      { numRuns: 2000 },
    )
  })
})

describe('CIDR prefixes', () => {
  test('IPv4 /n is the IPv6 /96+n of the mapped block', () => {
    assert.deepEqual(parseCidr('10.0.0.0/8'), { address: parseIp('10.0.0.0'), length: 104 })
    assert.deepEqual(parseCidr('::ffff:10.0.0.0/104'), parseCidr('10.0.0.0/8'))
    assert.deepEqual(parseCidr('0.0.0.0/0'), { address: parseIp('::ffff:0:0'), length: 96 })
    assert.deepEqual(parseCidr('::/0'), { address: new Uint16Array(8), length: 0 })
    assert.deepEqual(parseCidr('10.1.2.3'), { address: parseIp('10.1.2.3'), length: 128 })
    assert.deepEqual(parseCidr('10.1.2.3/32'), parseCidr('10.1.2.3'))
    assert.deepEqual(parseCidr('2001:db8::/32'), { address: parseIp('2001:db8::'), length: 32 })
  })

  test('print in the short form', () => {
    const cases: [string, string][] = [
      ['10.0.0.0/8', '10.0.0.0/8'],
      ['::ffff:10.0.0.0/104', '10.0.0.0/8'],
      ['::ffff:0:0/96', '0.0.0.0/0'],
      ['10.1.2.3/32', '10.1.2.3'],
      ['::/0', '::/0'],
      ['::/80', '::/80'],
      ['2001:DB8::/32', '2001:db8::/32'],
      ['2001:db8::1/128', '2001:db8::1'],
      ['8000::/1', '8000::/1'],
    ]
    for (const [input, printed] of cases) {
      assert.equal(formatCidr(parseCidr(input)), printed, input)
      assert.deepEqual(parseCidr(printed), parseCidr(input))
    }
  })

  test('rejects bad lengths and bits past the prefix', () => {
    for (const text of [
      '10.0.0.0/33',
      '::/129',
      '10.0.0.0/',
      '10.0.0.0/-1',
      '10.0.0.0/ 8',
      '10.0.0.0/8/8',
      '/8',
    ]) {
      assertAclError(() => parseCidr(text), 'cidr')
    }
    assertAclError(
      () => parseCidr('10.1.0.0/8'),
      'cidr',
      /bits set past the prefix length \(the subnet is 10\.0\.0\.0\/8\)/,
    )
    assertAclError(() => parseCidr('2001:db8::1/64'), 'cidr', /the subnet is 2001:db8::\/64/)
    assertAclError(() => parseCidr('nope'), 'cidr')
    assertAclError(() => parseCidr(undefined as unknown as string), 'cidr')
  })

  test('prefixContains', () => {
    const ten = parseCidr('10.0.0.0/8')
    assert.equal(prefixContains(ten, parseIp('10.255.0.1')), true)
    assert.equal(prefixContains(ten, parseIp('::ffff:10.1.2.3')), true)
    assert.equal(prefixContains(ten, parseIp('11.0.0.0')), false)
    // An IPv6 prefix names no IPv4 address (IPv4 is stored as ::ffff:a.b.c.d).
    assert.equal(prefixContains(parseCidr('::/0'), parseIp('1.2.3.4')), false)
    assert.equal(prefixContains(parseCidr('::/8'), parseIp('1.2.3.4')), false)
    assert.equal(prefixContains(parseCidr('::/8'), parseIp('::1')), true)
    assert.equal(prefixContains(parseCidr('::ffff:0:0/96'), parseIp('1.2.3.4')), true)
    assert.equal(prefixContains(parseCidr('0.0.0.0/0'), parseIp('1.2.3.4')), true)
    assert.equal(prefixContains(parseCidr('0.0.0.0/0'), parseIp('2001:db8::1')), false)
    assert.equal(prefixContains(parseCidr('2001:db8::/33'), parseIp('2001:db8:7fff::1')), true)
    assert.equal(prefixContains(parseCidr('2001:db8::/33'), parseIp('2001:db8:8000::1')), false)
  })
})
