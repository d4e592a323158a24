// Tests of the IP prefix set: coverage by IPv4 and IPv6 subnets (/0 included), longest match,
// exact removal, listing; a fast-check model of random runs; 100k entries and 100k lookups.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import {
  AclInputError,
  formatCidr,
  formatIp,
  type IpPrefix,
  IpPrefixSet,
  parseIp,
} from '../../../src/acl/index.js'
import { hashWords } from '../../../src/acl/ip-prefix-set.js'
import { defined } from '../../support/defined.js'

/** An address as a 128-bit integer. */
function toBigInt(address: Uint16Array): bigint {
  let n = 0n
  for (const group of address) n = (n << 16n) | BigInt(group)
  return n
}

function fromBigInt(n: bigint): Uint16Array {
  const address = new Uint16Array(8)
  for (let i = 7; i >= 0; i--) {
    address[i] = Number(n & 0xffffn)
    n >>= 16n
  }
  return address
}

/** The first `length` bits of `n`. */
const top = (n: bigint, length: number) => n >> BigInt(128 - length)

describe('IpPrefixSet', () => {
  test('an IPv4 subnet covers its addresses, in either spelling', () => {
    const set = new IpPrefixSet()
    assert.equal(set.add('10.0.0.0/8'), true)
    assert.equal(set.has('10.1.2.3'), true)
    assert.equal(set.has('::ffff:10.1.2.3'), true)
    assert.equal(set.has('10.255.255.255'), true)
    assert.equal(set.has('11.0.0.0'), false)
    assert.equal(set.has('9.255.255.255'), false)
    assert.equal(set.has('::a01:203'), false) // IPv4-compatible, not mapped
    assert.equal(set.match('10.1.2.3'), '10.0.0.0/8')
  })

  test('a single address covers only itself; equal spellings are one entry', () => {
    const set = new IpPrefixSet()
    assert.equal(set.add('10.1.2.3'), true)
    assert.equal(set.add('::ffff:10.1.2.3'), false)
    assert.equal(set.add('10.1.2.3/32'), false)
    assert.equal(set.size, 1)
    assert.equal(set.has('::ffff:a01:203'), true)
    assert.equal(set.has('10.1.2.4'), false)
    assert.deepEqual(set.entries(), ['10.1.2.3'])
  })

  test('IPv6 subnets and /0 for each family', () => {
    const set = new IpPrefixSet()
    set.add('2001:db8::/32')
    assert.equal(set.has('2001:db8:1::1'), true)
    assert.equal(set.has('2001:db9::1'), false)
    set.add('0.0.0.0/0')
    assert.equal(set.has('1.2.3.4'), true)
    assert.equal(set.has('255.255.255.255'), true)
    assert.equal(set.has('::1'), false)
    const all = new IpPrefixSet()
    all.add('::/0')
    assert.equal(all.has('::1'), true)
    // An IPv6 prefix does not name IPv4 addresses (stored as ::ffff:a.b.c.d): 0.0.0.0/0 does.
    assert.equal(all.has('1.2.3.4'), false)
    assert.equal(all.has('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'), true)
  })

  test('an IPv6 prefix shorter than /96 never covers IPv4; ::ffff:0:0/96-based ones do', () => {
    const set = new IpPrefixSet()
    set.add('::/8')
    assert.equal(set.has('1.2.3.4'), false)
    assert.equal(set.has('127.0.0.1'), false)
    assert.equal(set.has('::1'), true)
    assert.equal(set.has('::ffff:1.2.3.4'), false)
    set.add('::fffe:0:0/95')
    assert.equal(set.has('1.2.3.4'), false)
    set.add('::ffff:10.0.0.0/104')
    assert.equal(set.has('10.9.9.9'), true)
    assert.deepEqual(set.entries().includes('10.0.0.0/8'), true)
    set.add('::ffff:0:0/96')
    assert.equal(set.has('1.2.3.4'), true)
    assert.equal(set.match('1.2.3.4'), '0.0.0.0/0')
  })

  test('match returns the longest covering entry', () => {
    const set = new IpPrefixSet()
    for (const cidr of ['::/0', '10.0.0.0/8', '10.1.0.0/16', '10.1.2.3', '10.1.128.0/17']) set.add(cidr)
    assert.equal(set.match('10.1.2.3'), '10.1.2.3')
    assert.equal(set.match('10.1.2.4'), '10.1.0.0/16')
    assert.equal(set.match('10.1.200.1'), '10.1.128.0/17')
    assert.equal(set.match('10.2.0.0'), '10.0.0.0/8')
    assert.equal(set.match('11.0.0.0'), undefined)
    assert.equal(set.match('2001:db8::1'), '::/0')
    assert.equal(set.matchLength(parseIp('10.1.2.4')), 112)
    set.add('0.0.0.0/0')
    assert.equal(set.match('11.0.0.0'), '0.0.0.0/0')
    set.delete('0.0.0.0/0')
    assert.equal(set.match('11.0.0.0'), undefined)
    assert.equal(set.matchLength(parseIp('11.0.0.0')), -1)
  })

  test('delete removes exactly the entry, not those it covers or that cover it', () => {
    const set = new IpPrefixSet()
    set.add('10.0.0.0/8')
    set.add('10.1.2.3')
    assert.equal(set.delete('10.1.2.3/32'), true)
    assert.equal(set.delete('10.1.2.3'), false)
    assert.equal(set.has('10.1.2.3'), true) // still covered by the /8
    assert.equal(set.delete('10.0.0.0/16'), false)
    assert.equal(set.hasEntry('10.0.0.0/8'), true)
    assert.equal(set.hasEntry('::ffff:10.0.0.0/104'), true)
    assert.equal(set.delete('::ffff:10.0.0.0/104'), true)
    assert.equal(set.has('10.1.2.3'), false)
    assert.equal(set.size, 0)
  })

  test('lists entries shortest prefix first; clear empties', () => {
    const set = new IpPrefixSet()
    for (const cidr of ['10.1.2.3', '2001:db8::/32', '10.0.0.0/8', '10.9.9.9', '::/0']) set.add(cidr)
    assert.deepEqual(set.entries(), ['::/0', '2001:db8::/32', '10.0.0.0/8', '10.1.2.3', '10.9.9.9'])
    set.clear()
    assert.equal(set.size, 0)
    assert.deepEqual(set.entries(), [])
    assert.equal(set.has('10.1.2.3'), false)
    set.add('10.0.0.0/8')
    assert.equal(set.has('10.1.2.3'), true)
  })

  test('entries whose hashes collide are kept apart', () => {
    // Three addresses in one hash bucket (found by search); the chain is newest first.
    const colliding = ['2001:db8::96:57e:57e', '2001:db8::1ae:4ca:4ca', '2001:db8::4b1:5b8:5b8']
    const hashes = colliding.map((ip) => {
      const g = parseIp(ip)
      const word = (k: number) => (defined(g[2 * k]) << 16) | defined(g[2 * k + 1])
      return hashWords(word(0), word(1), word(2), word(3))
    })
    assert.equal(new Set(hashes).size, 1, 'the addresses no longer collide: search for new ones')
    for (const order of [
      [1, 2, 0], // middle, head, last
      [2, 1, 0], // head each time
      [0, 1, 2], // last each time
    ]) {
      const set = new IpPrefixSet()
      for (const ip of colliding) assert.equal(set.add(ip), true)
      assert.equal(set.add(defined(colliding[1])), false)
      assert.equal(set.has('2001:db8::96:57e:57f'), false)
      const left = new Set(colliding)
      for (const i of order) {
        assert.equal(set.delete(defined(colliding[i])), true)
        assert.equal(set.delete(defined(colliding[i])), false)
        left.delete(defined(colliding[i]))
        for (const ip of colliding) assert.equal(set.has(ip), left.has(ip), ip)
        assert.deepEqual(set.entries().sort(), [...left].sort())
      }
      assert.equal(set.size, 0)
    }
  })

  test('bad input is a typed error', () => {
    const set = new IpPrefixSet()
    assert.throws(() => set.add('10.1.0.0/8'), AclInputError)
    assert.throws(() => set.add('x'), AclInputError)
    assert.throws(() => set.has('10.0.0.0/8'), AclInputError)
    assert.throws(() => set.match(''), AclInputError)
    assert.throws(() => set.delete('::/200'), AclInputError)
    assert.equal(set.size, 0)
  })

  test('behaves like a naive list of prefixes (model)', () => {
    // Addresses from a small universe so that prefixes overlap and collide.
    const groupArb = fc.constantFrom(0, 1, 0x8000, 0xffff, 0x0a01)
    const addressArb = fc.oneof(
      fc.array(groupArb, { minLength: 8, maxLength: 8 }),
      fc
        .tuple(fc.constantFrom(0, 10, 128, 255), fc.constantFrom(0, 1, 128))
        .map(([a, b]) => [0, 0, 0, 0, 0, 0xffff, (a << 8) | b, b]),
    )
    const lengthArb = fc.oneof(
      fc.constantFrom(0, 1, 16, 17, 95, 96, 104, 112, 120, 127, 128),
      fc.integer({ min: 0, max: 128 }),
    )
    const prefixArb = fc.tuple(addressArb, lengthArb).map(([groups, length]): IpPrefix => {
      const n = toBigInt(Uint16Array.from(groups))
      const masked = length === 0 ? 0n : top(n, length) << BigInt(128 - length)
      return { address: fromBigInt(masked), length }
    })
    const opArb = fc.oneof(
      fc.record({ op: fc.constant('add' as const), prefix: prefixArb }),
      fc.record({ op: fc.constant('delete' as const), prefix: prefixArb }),
      fc.record({ op: fc.constant('lookup' as const), address: addressArb }),
    )
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        const set = new IpPrefixSet()
        const model = new Map<string, { n: bigint; length: number }>()
        for (const step of ops) {
          if (step.op === 'lookup') {
            const address = Uint16Array.from(step.address)
            const n = toBigInt(address)
            let longest = -1
            // IPv4-mapped addresses are covered by prefixes of /96 and longer only.
            const mapped = top(n, 96) === 0xffffn
            for (const p of model.values()) {
              if (mapped && p.length < 96) continue
              if (p.length > longest && top(n, p.length) === top(p.n, p.length)) longest = p.length
            }
            assert.equal(set.matchLength(address), longest)
            assert.equal(set.has(formatIp(address)), longest >= 0)
            continue
          }
          // Half the time, use the text form (IPv4-mapped prefixes print as IPv4 CIDRs).
          const text = formatCidr(step.prefix)
          const key = `${toBigInt(step.prefix.address)}/${step.prefix.length}`
          const arg = step.prefix.length % 2 === 0 ? text : step.prefix
          if (step.op === 'add') {
            assert.equal(set.add(arg), !model.has(key))
            model.set(key, { n: toBigInt(step.prefix.address), length: step.prefix.length })
          } else {
            assert.equal(set.delete(arg), model.delete(key))
          }
          assert.equal(set.size, model.size)
        }
        const expected = [...model.values()].map((p) =>
          formatCidr({ address: fromBigInt(p.n), length: p.length }),
        )
        assert.deepEqual([...set.entries()].sort(), expected.sort())
      }),
      { numRuns: 400 },
    )
  })

  test('holds 100k entries and answers 100k lookups', () => {
    const set = new IpPrefixSet()
    const address = new Uint16Array(8)
    address[5] = 0xffff
    // 90k IPv4 addresses 10.x.y.z (every other one), 10k /24 subnets of 172.x.y.0, some IPv6.
    for (let i = 0; i < 90_000; i++) {
      const v = 0x0a000000 + i * 2
      address[6] = v >>> 16
      address[7] = v & 0xffff
      set.add({ address, length: 128 })
    }
    for (let i = 0; i < 10_000; i++) set.add(`172.${i >> 8}.${i & 0xff}.0/24`)
    for (let i = 0; i < 100; i++) set.add(`2001:db8:${i.toString(16)}::/48`)
    assert.equal(set.size, 100_100)
    let hits = 0
    for (let i = 0; i < 100_000; i++) {
      const v = 0x0a000000 + i
      address[6] = v >>> 16
      address[7] = v & 0xffff
      if (set.matchLength(address) >= 0) hits++
    }
    assert.equal(hits, 50_000) // the even ones below 180000
    assert.equal(set.has('172.39.15.200'), true)
    assert.equal(set.has('172.39.16.1'), false)
    assert.equal(set.match('2001:db8:63::1'), '2001:db8:63::/48')
    assert.equal(set.has('2001:db8:64::1'), false)
  })
})
