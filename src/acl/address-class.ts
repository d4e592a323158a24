// Which IP addresses are routable on the public Internet (after Bitcoin Core's IsRoutable), the
// special range of every other one, and the rule for the addresses peers may teach a node.
import {
  IP_GROUPS,
  type IpPrefix,
  isIpv4Mapped,
  parseCidr,
  parseIpInto,
  prefixContains,
} from './ip-address.js'

/** A range of addresses that are not routable on the public Internet. */
export interface SpecialRange {
  readonly cidr: string
  /** What it is, for messages: "loopback", "private", "link-local", ... */
  readonly name: string
  readonly prefix: IpPrefix
}

const range = (cidr: string, name: string): SpecialRange => ({ cidr, name, prefix: parseCidr(cidr) })

/** IPv4 ranges that are not routable (IANA special-purpose registry; Bitcoin Core's list). */
const IPV4_SPECIAL: readonly SpecialRange[] = [
  range('0.0.0.0/8', 'this network (0.0.0.0 reaches the local host)'),
  range('10.0.0.0/8', 'private'),
  range('100.64.0.0/10', 'shared address space (carrier-grade NAT)'),
  range('127.0.0.0/8', 'loopback'),
  range('169.254.0.0/16', 'link-local (cloud metadata endpoints)'),
  range('172.16.0.0/12', 'private'),
  range('192.0.0.0/24', 'IETF protocol assignments'),
  range('192.0.2.0/24', 'documentation'),
  range('192.168.0.0/16', 'private'),
  range('198.18.0.0/15', 'benchmarking'),
  range('198.51.100.0/24', 'documentation'),
  range('203.0.113.0/24', 'documentation'),
  range('224.0.0.0/4', 'multicast'),
  range('240.0.0.0/4', 'reserved (255.255.255.255 is broadcast)'),
]

/** IPv6 ranges that are not routable (IPv4-mapped addresses are judged as IPv4). */
const IPV6_SPECIAL: readonly SpecialRange[] = [
  range('::1/128', 'loopback'),
  range('::/8', 'reserved (the unspecified address ::, IPv4-compatible addresses)'),
  range('64:ff9b:1::/48', 'local-use NAT64'),
  range('100::/64', 'discard-only'),
  range('2001:2::/48', 'benchmarking'),
  range('2001:10::/28', 'ORCHID'),
  range('2001:20::/28', 'ORCHIDv2'),
  range('2001:db8::/32', 'documentation'),
  range('fc00::/7', 'unique local (private)'),
  range('fe80::/10', 'link-local'),
  range('fec0::/10', 'site-local (deprecated)'),
  range('ff00::/8', 'multicast'),
]

const LOOPBACK = [...IPV4_SPECIAL, ...IPV6_SPECIAL].filter((r) => r.name === 'loopback')

const scratch = new Uint16Array(IP_GROUPS)

/** Not an IP address at all (a name, or junk): never routable by this rule. */
export const NOT_AN_ADDRESS: SpecialRange = {
  cidr: '',
  name: 'not an IP address',
  prefix: parseCidr('::/128'),
}

/**
 * The special range `ip` lies in, or undefined when it is routable on the public Internet.
 * Text that is not an IP address gives NOT_AN_ADDRESS.
 */
export function specialRangeOf(ip: string): SpecialRange | undefined {
  if (!parseIpInto(ip, scratch)) return NOT_AN_ADDRESS
  return specialRangeOfParsed(scratch)
}

function specialRangeOfParsed(address: Uint16Array): SpecialRange | undefined {
  const ranges = isIpv4Mapped(address) ? IPV4_SPECIAL : IPV6_SPECIAL
  for (const r of ranges) if (prefixContains(r.prefix, address)) return r
  return undefined
}

/** Whether `ip` is routable on the public Internet (Bitcoin Core's IsRoutable). */
export function isRoutable(ip: string): boolean {
  return specialRangeOf(ip) === undefined
}

/** What a node may learn besides routable addresses. */
export interface LearnableRules {
  /** Ranges the operator enables (CIDR text), e.g. "10.0.0.0/8" for a private network. */
  readonly allowRanges: readonly string[]
  /**
   * Addresses the node itself listens on or dials from: the special range of each (its
   * loopback, its private network) is learnable too. Wildcards (0.0.0.0, ::) count for nothing.
   */
  readonly ownAddresses: readonly string[]
}

/**
 * The rule for the addresses peers may teach a node (Advertise, Swap, Nack alternatives):
 * routable ones; those in a range the operator enables; those in the special range of an
 * address the node itself uses (a sandbox on 127.x learns 127.x, a node on 10.x learns 10/8).
 */
export class LearnableAddresses {
  readonly #allowed: readonly IpPrefix[]

  constructor(rules: LearnableRules) {
    const own: IpPrefix[] = []
    for (const address of rules.ownAddresses) {
      const special = specialRangeOf(address)
      if (special === undefined || special === NOT_AN_ADDRESS) continue
      if (special.cidr === '0.0.0.0/8' || special.cidr === '::/8') continue // wildcards
      // Loopback is one range whatever the family: a node on 127.0.0.1 learns [::1] too.
      if (special.name === 'loopback') own.push(...LOOPBACK.map((r) => r.prefix))
      else own.push(special.prefix)
    }
    this.#allowed = [...rules.allowRanges.map((c) => parseCidr(c)), ...own]
  }

  /** Why `ip` may not be learnt ("link-local (cloud metadata endpoints) 169.254.0.0/16"), or undefined. */
  refusal(ip: string): string | undefined {
    if (!parseIpInto(ip, scratch)) return NOT_AN_ADDRESS.name
    const special = specialRangeOfParsed(scratch)
    if (special === undefined) return undefined
    for (const p of this.#allowed) if (prefixContains(p, scratch)) return undefined
    return `${special.name} ${special.cidr}`
  }

  allows(ip: string): boolean {
    return this.refusal(ip) === undefined
  }
}
