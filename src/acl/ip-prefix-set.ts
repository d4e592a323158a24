// A set of IP addresses and CIDR subnets (IPv4 and IPv6, keyed as IPv6) answering "is this
// address covered, and by which longest prefix?" with one map lookup per prefix length in use.
import { formatCidr, IP_BITS, IP_GROUPS, type IpPrefix, parseCidr, parseIp, prefixKey } from './ip-address.js'

/**
 * Addresses and subnets, by prefix length: one Map per length in use, keyed by the masked
 * address (see prefixKey). A lookup tries the lengths in use, longest first, so it costs one
 * small string and one Map lookup per distinct length (a handful in practice), whatever the
 * number of entries. Entries print in the form of formatCidr ("10.0.0.0/8", "2001:db8::/32",
 * "10.1.2.3"); "::ffff:10.0.0.0/104" and "10.0.0.0/8" are the same entry.
 */
export class IpPrefixSet {
  /** For each prefix length 0..128, its entries (key to printed prefix), or undefined if none. */
  readonly #byLength: (Map<string, string> | undefined)[] = new Array(IP_BITS + 1).fill(undefined)
  /** The prefix lengths with entries, longest first. */
  #lengths: number[] = []
  #size = 0
  /** Scratch address for lookups by text. */
  readonly #scratch = new Uint16Array(IP_GROUPS)

  /** Number of entries. */
  get size(): number {
    return this.#size
  }

  /** Adds an address or subnet (text as parseCidr takes, or parsed); returns false if it was there. Throws AclInputError. */
  add(cidr: string | IpPrefix): boolean {
    const prefix = toPrefix(cidr)
    const { length } = prefix
    let entries = this.#byLength[length]
    if (entries === undefined) {
      entries = new Map()
      this.#byLength[length] = entries
      this.#lengths = [...this.#lengths, length].sort((a, b) => b - a)
    }
    const key = prefixKey(prefix.address, length)
    if (entries.has(key)) return false
    entries.set(key, formatCidr(prefix))
    this.#size++
    return true
  }

  /** Removes exactly this address or subnet (not the ones it covers); returns whether it was there. */
  delete(cidr: string | IpPrefix): boolean {
    const { address, length } = toPrefix(cidr)
    const entries = this.#byLength[length]
    if (entries === undefined || !entries.delete(prefixKey(address, length))) return false
    this.#size--
    if (entries.size === 0) {
      this.#byLength[length] = undefined
      this.#lengths = this.#lengths.filter((l) => l !== length)
    }
    return true
  }

  /** Whether this exact address or subnet is an entry. Throws AclInputError. */
  hasEntry(cidr: string | IpPrefix): boolean {
    const { address, length } = toPrefix(cidr)
    return this.#byLength[length]?.has(prefixKey(address, length)) ?? false
  }

  /** Whether an entry covers the address `ip`. Throws AclInputError if `ip` is not an IP address. */
  has(ip: string): boolean {
    return this.matchLength(this.#parse(ip)) >= 0
  }

  /** The longest entry covering the address `ip` (printed), or undefined. Throws AclInputError. */
  match(ip: string): string | undefined {
    const address = this.#parse(ip)
    const length = this.matchLength(address)
    return length < 0 ? undefined : this.#byLength[length]!.get(prefixKey(address, length))
  }

  /** Length of the longest entry covering `address` (8 groups, see parseIp), or -1 if none. */
  matchLength(address: Uint16Array): number {
    const lengths = this.#lengths
    for (let i = 0; i < lengths.length; i++) {
      const length = lengths[i]!
      if (this.#byLength[length]!.has(prefixKey(address, length))) return length
    }
    return -1
  }

  /** The entries, printed (see formatCidr), shortest prefixes first, then in insertion order. */
  entries(): string[] {
    const out: string[] = []
    for (let i = this.#lengths.length - 1; i >= 0; i--) {
      for (const printed of this.#byLength[this.#lengths[i]!]!.values()) out.push(printed)
    }
    return out
  }

  /** Removes every entry. */
  clear(): void {
    for (const length of this.#lengths) this.#byLength[length] = undefined
    this.#lengths = []
    this.#size = 0
  }

  #parse(ip: string): Uint16Array {
    return parseIp(ip, this.#scratch)
  }
}

function toPrefix(cidr: string | IpPrefix): IpPrefix {
  return typeof cidr === 'object' && cidr !== null ? cidr : parseCidr(cidr)
}
