// Network groups for connection diversity: the key of the IPv4 /16 or IPv6 /32 (by default) an
// address or point lies in, so the maintenance can spread its connections over many operators.
import { formatIp, IP_GROUPS, IPV4_MAPPED_LENGTH, isIpv4Mapped, parseIpInto } from './ip-address.js'

/** How wide a network group is, in prefix bits of the address family. */
export interface NetGroupPrefixes {
  /** Prefix length for IPv4 addresses, 0..32 (default 16: a /16 is typically one operator). */
  readonly ipv4Bits: number
  /** Prefix length for IPv6 addresses, 0..128 (default 32: a typical provider allocation). */
  readonly ipv6Bits: number
}

export const DEFAULT_NET_GROUP_PREFIXES: NetGroupPrefixes = { ipv4Bits: 16, ipv6Bits: 32 }

/** Scratch space for parsing: netGroup allocates only its result strings. */
const scratch = new Uint16Array(IP_GROUPS)

/** Clears the bits of `scratch` past the first `length` (0..128). */
function maskScratch(length: number): void {
  for (let i = 0; i < IP_GROUPS; i++) {
    const kept = length - i * 16
    if (kept <= 0) scratch[i] = 0
    else if (kept < 16) scratch[i] = (scratch[i] ?? 0) & (0xffff << (16 - kept)) & 0xffff // i < IP_GROUPS
  }
}

/**
 * The network group of an IP address, printed as its subnet: `"10.11.0.0/16"`,
 * `"2001:db8::/32"` (IPv4-mapped IPv6 addresses count as IPv4). Two addresses share a group
 * exactly when they share the configured prefix. Text that is not an IP address is its own
 * group (`"name:<text>"`), so it still counts once towards diversity.
 */
export function netGroup(ip: string, prefixes: NetGroupPrefixes = DEFAULT_NET_GROUP_PREFIXES): string {
  if (!parseIpInto(ip, scratch)) return `name:${ip.toLowerCase()}`
  const bits = isIpv4Mapped(scratch) ? prefixes.ipv4Bits : prefixes.ipv6Bits
  maskScratch(isIpv4Mapped(scratch) ? IPV4_MAPPED_LENGTH + bits : bits)
  return `${formatIp(scratch)}/${bits}`
}

/** The host of a point: `"a.b.c.d:port"` gives `a.b.c.d`, `"[addr]:port"` gives `addr`. */
export function pointHost(point: string): string {
  if (point.startsWith('[')) {
    const close = point.indexOf(']')
    return close < 0 ? point : point.slice(1, close)
  }
  const colon = point.lastIndexOf(':')
  return colon < 0 ? point : point.slice(0, colon)
}
