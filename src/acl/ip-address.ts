// IP addresses and CIDR prefixes as the ACL keys them: every address is 128-bit IPv6 (IPv4 as
// ::ffff:a.b.c.d, like Octez), held as eight 16-bit groups; parsing, printing and map keys.
import { AclInputError } from './errors.js'

/** Number of 16-bit groups in an address. */
export const IP_GROUPS = 8
/** Bits in an address. */
export const IP_BITS = 128
/** Prefix length of the IPv4-mapped block ::ffff:0:0/96 (an IPv4 /n is an IPv6 /96+n). */
export const IPV4_MAPPED_LENGTH = 96

/** A CIDR prefix: its first address (host bits zero) and its length in IPv6 bits (0..128). */
export interface IpPrefix {
  readonly address: Uint16Array
  readonly length: number
}

const DOT = 0x2e
const COLON = 0x3a

/** Value of a hex digit character code, or -1. */
function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  const lower = c | 0x20
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10
  return -1
}

/** Whether `c` may appear in an IPv6 zone id (what node:net accepts: [0-9a-zA-Z-.:]). */
function isZoneChar(c: number): boolean {
  const lower = c | 0x20
  // 0x30..0x3a: the digits and ':'; 0x61..0x7a once lowered: the letters.
  return (c >= 0x30 && c <= 0x3a) || (lower >= 0x61 && lower <= 0x7a) || c === 0x2d || c === DOT
}

/**
 * Parses dotted-quad `s[start, end)` into out[at] and out[at + 1]. Each part is 0..255 in
 * decimal without leading zeros (as node:net's isIP requires). Returns false when invalid.
 */
function parseIpv4Into(s: string, start: number, end: number, out: Uint16Array, at: number): boolean {
  let parts = 0
  let value = 0
  let digits = 0
  let high = 0
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && value === 0) return false
      value = value * 10 + (c - 0x30)
      if (value > 255) return false
      digits++
    } else if (c === DOT) {
      if (digits === 0 || parts === 3) return false
      if (parts === 0 || parts === 2) high = value
      else out[at] = (high << 8) | value
      parts++
      value = 0
      digits = 0
    } else {
      return false
    }
  }
  if (digits === 0 || parts !== 3) return false
  out[at + 1] = (high << 8) | value
  return true
}

/**
 * Parses the IPv6 text `s[0, end)` into `out`. Groups are 1..4 hex digits, one `::` stands
 * for at least one zero group, and the last two groups may be written as a dotted quad.
 */
function parseIpv6Into(s: string, end: number, out: Uint16Array): boolean {
  let n = 0
  let gap = -1
  let i = 0
  if (s.charCodeAt(0) === COLON) {
    if (s.charCodeAt(1) !== COLON) return false
    gap = 0
    i = 2
  }
  while (i < end) {
    let value = 0
    let j = i
    for (; j < end; j++) {
      const v = hexValue(s.charCodeAt(j))
      if (v < 0) break
      value = (value << 4) | v
    }
    if (j < end && s.charCodeAt(j) === DOT) {
      if (n > IP_GROUPS - 2 || !parseIpv4Into(s, i, end, out, n)) return false
      n += 2
      break
    }
    if (j === i || j - i > 4 || n === IP_GROUPS) return false
    out[n++] = value
    if (j === end) break
    if (s.charCodeAt(j) !== COLON) return false
    if (s.charCodeAt(j + 1) === COLON) {
      if (gap >= 0) return false
      gap = n
      i = j + 2
    } else {
      i = j + 1
      if (i === end) return false
    }
  }
  if (gap < 0) return n === IP_GROUPS
  if (n === IP_GROUPS) return false
  // Move the groups after "::" to the end and zero the gap.
  const tail = n - gap
  out.copyWithin(IP_GROUPS - tail, gap, n)
  out.fill(0, gap, IP_GROUPS - tail)
  return true
}

/**
 * Parses an IP address into `out` (8 groups; IPv4 as ::ffff:a.b.c.d) and returns true, or
 * returns false if `text` is not one. Accepts exactly what node:net's `isIP` accepts; an IPv6
 * zone id (`fe80::1%eth0`) is accepted and dropped, since it names no other address.
 * On false, `out` holds garbage. Allocates nothing.
 */
export function parseIpInto(text: string, out: Uint16Array): boolean {
  if (typeof text !== 'string') return false
  // A dotted quad, the common case, fails fast on anything else (at most 4 characters in).
  if (parseIpv4Into(text, 0, text.length, out, 6)) {
    out[0] = 0
    out[1] = 0
    out[2] = 0
    out[3] = 0
    out[4] = 0
    out[5] = 0xffff
    return true
  }
  let end = text.indexOf('%')
  if (end >= 0) {
    if (end === text.length - 1) return false
    for (let i = end + 1; i < text.length; i++) if (!isZoneChar(text.charCodeAt(i))) return false
  } else {
    end = text.length
  }
  return end > 0 && parseIpv6Into(text, end, out)
}

/** Describes a rejected value for an error message. */
function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : `a ${typeof value}`
}

/** Parses an IP address (see parseIpInto) into a new or given array; throws AclInputError. */
export function parseIp(text: string, out: Uint16Array = new Uint16Array(IP_GROUPS)): Uint16Array {
  if (!parseIpInto(text, out)) throw new AclInputError('ip', `${shown(text)} is not an IP address`)
  return out
}

/** Whether the address is IPv4-mapped (::ffff:a.b.c.d). */
export function isIpv4Mapped(address: Uint16Array): boolean {
  return (
    address[0] === 0 &&
    address[1] === 0 &&
    address[2] === 0 &&
    address[3] === 0 &&
    address[4] === 0 &&
    address[5] === 0xffff
  )
}

/**
 * Prints an address: IPv4-mapped ones as a dotted quad ("10.1.2.3", the form sockets and
 * administrators use), others in the RFC 5952 form (lower case, longest zero run as "::").
 */
export function formatIp(address: Uint16Array): string {
  if (isIpv4Mapped(address)) {
    const [, , , , , , a = 0, b = 0] = address
    return `${a >> 8}.${a & 0xff}.${b >> 8}.${b & 0xff}`
  }
  let bestStart = -1
  let bestLength = 1
  for (let i = 0; i < IP_GROUPS; ) {
    if (address[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < IP_GROUPS && address[j] === 0) j++
    if (j - i > bestLength) {
      bestStart = i
      bestLength = j - i
    }
    i = j
  }
  const hex = (from: number, to: number) => {
    return Array.from(address.subarray(from, to), (group) => group.toString(16)).join(':')
  }
  if (bestStart < 0) return hex(0, IP_GROUPS)
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, IP_GROUPS)}`
}

/** The canonical printed form of an IP address (see formatIp); throws AclInputError. */
export function normalizeIp(text: string): string {
  return formatIp(parseIp(text))
}

/** Group `index` of `address` with the bits past prefix length `length` cleared. */
function maskedGroup(address: Uint16Array, index: number, length: number): number {
  const kept = length - index * 16
  const group = address[index] ?? 0 // index < IP_GROUPS
  if (kept >= 16) return group
  if (kept <= 0) return 0
  return group & (0xffff << (16 - kept)) & 0xffff
}

/**
 * Parses a CIDR prefix: "10.0.0.0/8" (IPv4 lengths 0..32, stored as ::ffff:10.0.0.0/104),
 * "2001:db8::/32" (IPv6 lengths 0..128), or a bare address (a /32 or /128). Bits past the
 * prefix length must be zero. Throws AclInputError.
 */
export function parseCidr(text: string): IpPrefix {
  if (typeof text !== 'string')
    throw new AclInputError('cidr', `${shown(text)} is not an IP address or subnet`)
  const slash = text.indexOf('/')
  const addressText = slash < 0 ? text : text.slice(0, slash)
  const address = new Uint16Array(IP_GROUPS)
  if (!parseIpInto(addressText, address)) {
    throw new AclInputError('cidr', `${shown(text)} is not an IP address or subnet`)
  }
  if (slash < 0) return { address, length: IP_BITS }
  const isIpv4 = !addressText.includes(':')
  const bitsText = text.slice(slash + 1)
  const bits = Number(bitsText)
  const max = isIpv4 ? 32 : IP_BITS
  if (!/^\d{1,3}$/.test(bitsText) || bits > max) {
    throw new AclInputError('cidr', `${shown(text)}: the prefix length must be 0..${max}`)
  }
  const length = isIpv4 ? IPV4_MAPPED_LENGTH + bits : bits
  for (let i = 0; i < IP_GROUPS; i++) {
    if (maskedGroup(address, i, length) !== address[i]) {
      const network = new Uint16Array(IP_GROUPS)
      for (let k = 0; k < IP_GROUPS; k++) network[k] = maskedGroup(address, k, length)
      throw new AclInputError(
        'cidr',
        `${shown(text)} has bits set past the prefix length (the subnet is ${formatCidr({ address: network, length })})`,
      )
    }
  }
  return { address, length }
}

/** Prints a prefix: "10.0.0.0/8" for IPv4-mapped ones, "2001:db8::/32"; no "/32" or "/128" suffix. */
export function formatCidr(prefix: IpPrefix): string {
  const { address, length } = prefix
  if (length >= IPV4_MAPPED_LENGTH && isIpv4Mapped(address)) {
    const text = formatIp(address)
    return length === IP_BITS ? text : `${text}/${length - IPV4_MAPPED_LENGTH}`
  }
  const text = formatIp(address)
  return length === IP_BITS ? text : `${text}/${length}`
}

/** A string key for an address: its eight groups, one UTF-16 code unit each. */
export function addressKey(address: Uint16Array): string {
  return String.fromCharCode(...address)
}

/**
 * Whether `address` lies in `prefix`. An IPv4 address (::ffff:a.b.c.d) lies only in prefixes
 * of /96 and longer (IPv4 ones): an IPv6 prefix such as ::/8 or ::/0 names no IPv4 address.
 */
export function prefixContains(prefix: IpPrefix, address: Uint16Array): boolean {
  if (prefix.length < IPV4_MAPPED_LENGTH && isIpv4Mapped(address)) return false
  for (let i = 0; i < IP_GROUPS; i++) {
    if (maskedGroup(address, i, prefix.length) !== prefix.address[i]) return false
  }
  return true
}
