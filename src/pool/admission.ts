// Admission of incoming sockets before a byte is read: per-address and per-subnet limits on
// concurrent connections and on the rate of new ones (token buckets), with exempt subnets.

import { IP_GROUPS, type IpPrefix, parseCidr, parseIpInto, prefixContains } from '../acl/ip-address.js'
import { netGroup } from '../acl/net-group.js'
import { type Clock, systemClock } from '../io/clock.js'

/** One level of limits: addresses sharing the prefix (IPv4 bits, IPv6 bits) count together. */
export interface AddressLimit {
  readonly ipv4Bits: number
  readonly ipv6Bits: number
  /** Sockets held at once (from accept until closed). */
  readonly maxConnections: number
  /** New sockets per minute (a bucket of that many, refilled evenly). */
  readonly newPerMinute: number
}

export interface AdmissionRules {
  /** Per host (default IPv4 /32, IPv6 /56). */
  readonly perAddress: AddressLimit
  /** Per network (default IPv4 /16, IPv6 /48). */
  readonly perSubnet: AddressLimit
  /** Subnets the two limits do not apply to (CIDR text). */
  readonly exempt: readonly string[]
}

/** Why an incoming socket was refused by the limits. */
export type AdmissionRefusal = 'address_limit' | 'address_rate' | 'subnet_limit' | 'subnet_rate'

interface Bucket {
  concurrent: number
  tokens: number
  at: number
}

/** Past this many buckets, idle full ones are swept. */
const SWEEP_ABOVE = 4096

/** A level's state: a bucket per key. */
class Level {
  readonly #limit: AddressLimit
  readonly #buckets = new Map<string, Bucket>()
  readonly #perMs: number

  constructor(
    limit: AddressLimit,
    readonly name: 'address' | 'subnet',
  ) {
    this.#limit = limit
    this.#perMs = limit.newPerMinute / 60_000
  }

  key(ip: string): string {
    return netGroup(ip, this.#limit)
  }

  /** Why `key` may not take one more socket now, or undefined. */
  refusal(key: string, now: number): AdmissionRefusal | undefined {
    const b = this.#buckets.get(key)
    if (!b) return undefined
    this.#refill(b, now)
    if (b.concurrent >= this.#limit.maxConnections) return `${this.name}_limit`
    if (b.tokens < 1) return `${this.name}_rate`
    return undefined
  }

  take(key: string, now: number): void {
    let b = this.#buckets.get(key)
    if (!b) {
      if (this.#buckets.size >= SWEEP_ABOVE) this.#sweep(now)
      b = { concurrent: 0, tokens: this.#limit.newPerMinute, at: now }
      this.#buckets.set(key, b)
    }
    this.#refill(b, now)
    b.concurrent++
    b.tokens -= 1
  }

  release(key: string): void {
    const b = this.#buckets.get(key)
    if (b) b.concurrent--
  }

  concurrent(key: string): number {
    return this.#buckets.get(key)?.concurrent ?? 0
  }

  #refill(b: Bucket, now: number): void {
    b.tokens = Math.min(this.#limit.newPerMinute, b.tokens + (now - b.at) * this.#perMs)
    b.at = now
  }

  #sweep(now: number): void {
    for (const [key, b] of this.#buckets) {
      this.#refill(b, now)
      if (b.concurrent === 0 && b.tokens >= this.#limit.newPerMinute) this.#buckets.delete(key)
    }
  }
}

/**
 * The limiter: `admit(ip)` either refuses or counts the socket (towards its address and its
 * subnet) and returns the function to call once when it closes.
 */
export class AdmissionLimiter {
  readonly rules: AdmissionRules
  readonly #levels: readonly Level[]
  readonly #exempt: readonly IpPrefix[]
  readonly #clock: Clock
  readonly #scratch = new Uint16Array(IP_GROUPS)

  constructor(rules: AdmissionRules, clock: Clock = systemClock) {
    this.rules = rules
    this.#clock = clock
    this.#levels = [new Level(rules.perAddress, 'address'), new Level(rules.perSubnet, 'subnet')]
    this.#exempt = rules.exempt.map((c) => parseCidr(c))
  }

  /** Whether the limits spare `ip` (it lies in an exempt subnet). */
  isExempt(ip: string): boolean {
    if (this.#exempt.length === 0) return false
    if (!parseIpInto(ip, this.#scratch)) return false
    return this.#exempt.some((p) => prefixContains(p, this.#scratch))
  }

  /** A refusal, or the release function of the socket now counted. */
  admit(ip: string): AdmissionRefusal | (() => void) {
    if (this.isExempt(ip)) return () => {}
    const now = this.#clock.now()
    const keyed = this.#levels.map((level) => ({ level, key: level.key(ip) }))
    for (const { level, key } of keyed) {
      const refusal = level.refusal(key, now)
      if (refusal) return refusal
    }
    for (const { level, key } of keyed) level.take(key, now)
    let released = false
    return () => {
      if (released) return
      released = true
      for (const { level, key } of keyed) level.release(key)
    }
  }

  /** Sockets counted now for `ip`'s address and subnet. */
  held(ip: string): { address: number; subnet: number } {
    const [address, subnet] = this.#levels.map((l) => l.concurrent(l.key(ip)))
    return { address: address!, subnet: subnet! }
  }
}
