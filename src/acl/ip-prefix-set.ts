// A set of IP addresses and CIDR subnets (IPv4 and IPv6, keyed as IPv6) answering "is this
// address covered, and by which longest prefix?" with one hash lookup per prefix length in use.
import { formatCidr, IP_GROUPS, IPV4_MAPPED_LENGTH, type IpPrefix, parseCidr, parseIp } from './ip-address.js'

/** An entry: the prefix's address as four 32-bit words (signed), chained by hash. */
class PrefixNode {
  constructor(
    readonly w0: number,
    readonly w1: number,
    readonly w2: number,
    readonly w3: number,
    public next: PrefixNode | undefined,
  ) {}
}

/** The entries of one prefix length: hash of the masked words to a chain of nodes. */
interface LengthTable {
  readonly length: number
  /** Masks of the four words for this length. */
  readonly m0: number
  readonly m1: number
  readonly m2: number
  readonly m3: number
  readonly buckets: Map<number, PrefixNode>
  size: number
}

/** The mask of 32-bit word `index` for prefix length `length`, as a signed 32-bit integer. */
function wordMask(index: number, length: number): number {
  const kept = length - index * 32
  if (kept >= 32) return -1
  if (kept <= 0) return 0
  return -1 << (32 - kept)
}

/** A 30-bit hash of four words (murmur3-style mixing), a small integer for a fast Map key. Exported for tests. */
export function hashWords(w0: number, w1: number, w2: number, w3: number): number {
  let h = Math.imul(w0 ^ 0x9e3779b9, 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 15) ^ w1, 0xc2b2ae35)
  h = Math.imul(h ^ (h >>> 13) ^ w2, 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 16) ^ w3, 0xc2b2ae35)
  return (h ^ (h >>> 15)) & 0x3fffffff
}

/**
 * Addresses and subnets, by prefix length: a hash table per length in use, keyed by the
 * address masked to that length. A lookup tries the lengths in use, longest first, at one hash
 * and one Map lookup each (a handful of lengths in practice), whatever the number of entries,
 * and allocates nothing. Entries print in the form of formatCidr ("10.0.0.0/8",
 * "2001:db8::/32", "10.1.2.3"); "::ffff:10.0.0.0/104" and "10.0.0.0/8" are the same entry.
 * IPv4 addresses are covered only by IPv4 prefixes (::ffff:0:0/96 and within it): "::/8" or
 * "::/0" cover IPv6 addresses alone.
 */
export class IpPrefixSet {
  /** The lengths in use, longest first. */
  #tables: LengthTable[] = []
  #size = 0
  /** Scratch address for lookups by text. */
  readonly #scratch = new Uint16Array(IP_GROUPS)

  /** Number of entries. */
  get size(): number {
    return this.#size
  }

  /** Adds an address or subnet (text as parseCidr takes, or parsed); returns false if it was there. Throws AclInputError. */
  add(cidr: string | IpPrefix): boolean {
    const { address, length } = toPrefix(cidr)
    let table = this.#table(length)
    if (table === undefined) {
      table = {
        length,
        m0: wordMask(0, length),
        m1: wordMask(1, length),
        m2: wordMask(2, length),
        m3: wordMask(3, length),
        buckets: new Map(),
        size: 0,
      }
      this.#tables = [...this.#tables, table].sort((a, b) => b.length - a.length)
    }
    const w0 = word(address, 0) & table.m0
    const w1 = word(address, 1) & table.m1
    const w2 = word(address, 2) & table.m2
    const w3 = word(address, 3) & table.m3
    const hash = hashWords(w0, w1, w2, w3)
    const head = table.buckets.get(hash)
    if (find(head, w0, w1, w2, w3) !== undefined) return false
    table.buckets.set(hash, new PrefixNode(w0, w1, w2, w3, head))
    table.size++
    this.#size++
    return true
  }

  /** Removes exactly this address or subnet (not the ones it covers); returns whether it was there. */
  delete(cidr: string | IpPrefix): boolean {
    const { address, length } = toPrefix(cidr)
    const table = this.#table(length)
    if (table === undefined) return false
    const w0 = word(address, 0) & table.m0
    const w1 = word(address, 1) & table.m1
    const w2 = word(address, 2) & table.m2
    const w3 = word(address, 3) & table.m3
    const hash = hashWords(w0, w1, w2, w3)
    let previous: PrefixNode | undefined
    for (let node = table.buckets.get(hash); node !== undefined; previous = node, node = node.next) {
      if (node.w0 !== w0 || node.w1 !== w1 || node.w2 !== w2 || node.w3 !== w3) continue
      if (previous !== undefined) previous.next = node.next
      else if (node.next !== undefined) table.buckets.set(hash, node.next)
      else table.buckets.delete(hash)
      this.#size--
      if (--table.size === 0) this.#tables = this.#tables.filter((t) => t !== table)
      return true
    }
    return false
  }

  /** Whether this exact address or subnet is an entry. Throws AclInputError. */
  hasEntry(cidr: string | IpPrefix): boolean {
    const { address, length } = toPrefix(cidr)
    const table = this.#table(length)
    return (
      table !== undefined &&
      lookup(table, word(address, 0), word(address, 1), word(address, 2), word(address, 3))
    )
  }

  /** Whether an entry covers the address `ip`. Throws AclInputError if `ip` is not an IP address. */
  has(ip: string): boolean {
    return this.matchLength(parseIp(ip, this.#scratch)) >= 0
  }

  /** The longest entry covering the address `ip` (printed), or undefined. Throws AclInputError. */
  match(ip: string): string | undefined {
    const address = parseIp(ip, this.#scratch)
    const length = this.matchLength(address)
    if (length < 0) return undefined
    const masked = new Uint16Array(IP_GROUPS)
    for (let i = 0; i < 4; i++) {
      const w = word(address, i) & wordMask(i, length)
      masked[2 * i] = w >>> 16
      masked[2 * i + 1] = w & 0xffff
    }
    return formatCidr({ address: masked, length })
  }

  /** Length of the longest entry covering `address` (8 groups, see parseIp), or -1 if none. Allocates nothing. */
  matchLength(address: Uint16Array): number {
    const tables = this.#tables
    if (tables.length === 0) return -1
    const w0 = word(address, 0)
    const w1 = word(address, 1)
    const w2 = word(address, 2)
    const w3 = word(address, 3)
    // An IPv4 address (held as ::ffff:a.b.c.d) is covered by IPv4 prefixes (IPv6 /96 and longer
    // in ::ffff:0:0/96) only: an IPv6 prefix such as ::/8 or ::/0 does not name IPv4 addresses.
    const minLength = w0 === 0 && w1 === 0 && w2 === 0xffff ? IPV4_MAPPED_LENGTH : 0
    for (const table of tables) {
      if (table.length < minLength) break
      if (lookup(table, w0, w1, w2, w3)) return table.length
    }
    return -1
  }

  /** The entries, printed (see formatCidr), shortest prefixes first. */
  entries(): string[] {
    const out: string[] = []
    for (const { length, buckets } of this.#tables.toReversed()) {
      for (let node of buckets.values()) {
        for (; node !== undefined; node = node.next!) {
          const address = Uint16Array.of(
            node.w0 >>> 16,
            node.w0 & 0xffff,
            node.w1 >>> 16,
            node.w1 & 0xffff,
            node.w2 >>> 16,
            node.w2 & 0xffff,
            node.w3 >>> 16,
            node.w3 & 0xffff,
          )
          out.push(formatCidr({ address, length }))
        }
      }
    }
    return out
  }

  /** Removes every entry. */
  clear(): void {
    this.#tables = []
    this.#size = 0
  }

  #table(length: number): LengthTable | undefined {
    return this.#tables.find((t) => t.length === length)
  }
}

/** 32-bit word `index` (0..3) of an address, as a signed integer. */
function word(address: Uint16Array, index: number): number {
  // The address has 8 groups: the `?? 0` never applies.
  return ((address[2 * index] ?? 0) << 16) | (address[2 * index + 1] ?? 0)
}

/** The node of the chain from `node` holding these words, or undefined. */
function find(
  node: PrefixNode | undefined,
  w0: number,
  w1: number,
  w2: number,
  w3: number,
): PrefixNode | undefined {
  for (; node !== undefined; node = node.next) {
    if (node.w0 === w0 && node.w1 === w1 && node.w2 === w2 && node.w3 === w3) return node
  }
  return undefined
}

/** Whether `table` holds the prefix of the address with these (unmasked) words. */
function lookup(table: LengthTable, w0: number, w1: number, w2: number, w3: number): boolean {
  w0 &= table.m0
  w1 &= table.m1
  w2 &= table.m2
  w3 &= table.m3
  return find(table.buckets.get(hashWords(w0, w1, w2, w3)), w0, w1, w2, w3) !== undefined
}

function toPrefix(cidr: string | IpPrefix): IpPrefix {
  return typeof cidr === 'object' && cidr !== null ? cidr : parseCidr(cidr)
}
