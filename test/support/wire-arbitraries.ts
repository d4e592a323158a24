// fast-check generators of protocol values shared by the wire tests (valid points, the longest
// valid point, and any string the wire carries as a point).
import fc from 'fast-check'
import { MAX_POINT_LENGTH } from '../../src/wire/index.js'

/** Valid point strings, IPv4 and IPv6, as Octez writes them. */
export const pointArb: fc.Arbitrary<string> = fc
  .tuple(fc.oneof(fc.ipV4(), fc.ipV6()), fc.nat(0xffff))
  .map(([host, port]) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`))
  .filter((s) => s.length <= MAX_POINT_LENGTH)

/** The longest valid point: exactly 47 characters. */
export const LONGEST_POINT = '[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535'

/** Any string the wire carries as a point: printable ASCII (0x20..0x7e), at most 47 characters. */
export const wirePointArb: fc.Arbitrary<string> = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: MAX_POINT_LENGTH,
})
