// Points as an operator writes them (config, --peer, connect, the points RPC): an IP literal or
// a DNS name, a port, and optionally the peer id expected there (Octez's "HOST:PORT#PEER_ID").
import { isIP } from 'node:net'
import { normalizeIp } from '../acl/index.js'
import { peerIdFromB58 } from '../crypto/index.js'
import { formatPoint, InvalidPointError, pointSyntaxError } from '../wire/index.js'

/** A point as written by an operator, checked. */
export interface PointAddress {
  /** The canonical point the tables key it by: "a.b.c.d:port", "[v6]:port" or "name:port" (lower case). */
  readonly point: string
  /** The IP address (canonical) or the DNS name (lower case, no trailing dot). */
  readonly host: string
  readonly port: number
  /** The host is a DNS name, resolved at each dial. */
  readonly named: boolean
  /** The peer id expected at this point (base58 "id…"), when pinned with "#PEER_ID". */
  readonly peerId: string | undefined
}

/** Longest DNS name (RFC 1035: 253 characters in text form). */
const MAX_NAME_LENGTH = 253
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/
const PORT = /^\d{1,5}$/

/** Why `name` is not a DNS host name (RFC 1123 labels), or undefined when it is one. */
function hostNameError(name: string): string | undefined {
  if (name.length === 0) return 'the host is empty'
  if (name.length > MAX_NAME_LENGTH) return `the host name is longer than ${MAX_NAME_LENGTH} characters`
  const labels = name.split('.')
  for (const label of labels) {
    if (!LABEL.test(label))
      return `${JSON.stringify(name)} is neither an IP address nor a host name (letters, digits, '-' and '.')`
  }
  // "10.0.0" or "1.2.3.256" are bad addresses, not names: a name's last label is not all digits.
  if (/^\d+$/.test(labels.at(-1) ?? ''))
    return `${JSON.stringify(name)} is not an IPv4 address (four numbers 0..255)`
  return undefined
}

/** Splits "HOST:PORT[#PEER_ID]", or says why it is not one. */
function splitAddress(text: string): PointAddress | string {
  if (typeof text !== 'string') return 'a point must be a string'
  const hash = text.indexOf('#')
  const hostPort = hash < 0 ? text : text.slice(0, hash)
  let peerId: string | undefined
  if (hash >= 0) {
    peerId = text.slice(hash + 1)
    try {
      peerIdFromB58(peerId)
    } catch (err) {
      return `peer id ${JSON.stringify(peerId)} after '#' is not valid (base58 "id…"): ${(err as Error).message}`
    }
  }
  if (hostPort.startsWith('[') || isIP(hostPort.slice(0, hostPort.lastIndexOf(':'))) !== 0) {
    const problem = pointSyntaxError(hostPort)
    if (problem !== undefined) return problem
    const close = hostPort.lastIndexOf(':')
    const raw = hostPort.startsWith('[') ? hostPort.slice(1, close - 1) : hostPort.slice(0, close)
    const host = normalizeIp(raw)
    const port = Number(hostPort.slice(close + 1))
    return { point: formatPoint(host, port), host, port, named: false, peerId }
  }
  const colon = hostPort.lastIndexOf(':')
  if (colon < 0) return 'expected "HOST:PORT"'
  const name = hostPort.slice(0, colon).toLowerCase().replace(/\.$/, '')
  const portText = hostPort.slice(colon + 1)
  const problem = hostNameError(name)
  if (problem !== undefined) return problem
  const port = Number(portText)
  if (!PORT.test(portText) || port > 0xffff) return `${JSON.stringify(portText)} is not a port`
  return { point: `${name}:${port}`, host: name, port, named: true, peerId }
}

/**
 * Parses a point an operator wrote: `a.b.c.d:port`, `[ipv6]:port` or `name:port` (a DNS name,
 * resolved at each dial), optionally followed by `#PEER_ID`, the peer id expected there.
 * Throws InvalidPointError saying what is wrong.
 */
export function parsePointAddress(text: string): PointAddress {
  const result = splitAddress(text)
  if (typeof result === 'string')
    throw new InvalidPointError(`invalid point ${JSON.stringify(text)}: ${result}`)
  return result
}

/** Why `text` is not a point an operator may write (see parsePointAddress), or undefined. */
export function pointAddressError(text: string): string | undefined {
  const result = splitAddress(text)
  return typeof result === 'string' ? result : undefined
}

/** The canonical point of `text` (IP or name, without any "#PEER_ID"), or undefined if invalid. */
export function canonicalPointAddress(text: string): string | undefined {
  const result = splitAddress(text)
  return typeof result === 'string' ? undefined : result.point
}

/** Whether a canonical point names its host by DNS name (not an IP literal). */
export function isNamedPoint(point: string): boolean {
  if (point.startsWith('[')) return false
  return isIP(point.slice(0, point.lastIndexOf(':'))) === 0
}

/** The host of a canonical point: the IP address, or the DNS name. */
export function hostOfPoint(point: string): string {
  const colon = point.lastIndexOf(':')
  return point.startsWith('[') ? point.slice(1, colon - 1) : point.slice(0, colon)
}

/** Octez's default port of local discovery (UDP). */
export const DEFAULT_DISCOVERY_PORT = 10732

/** Splits "ADDR[:PORT]" (an IPv4 address; the port defaults to 10732), or says why not. */
function splitDiscoveryAddress(text: string): { address: string; port: number } | string {
  if (typeof text !== 'string') return 'expected a string'
  const colon = text.lastIndexOf(':')
  const address = colon < 0 ? text : text.slice(0, colon)
  const portText = colon < 0 ? String(DEFAULT_DISCOVERY_PORT) : text.slice(colon + 1)
  if (isIP(address) !== 4)
    return `${JSON.stringify(address)} is not an IPv4 address (discovery is IPv4, as Octez)`
  const port = Number(portText)
  if (!PORT.test(portText) || port < 1 || port > 0xffff)
    return `${JSON.stringify(portText)} is not a port 1..65535`
  return { address, port }
}

/** Why `text` is not a local discovery address "ADDR[:PORT]", or undefined. */
export function discoveryAddressError(text: string): string | undefined {
  const result = splitDiscoveryAddress(text)
  return typeof result === 'string' ? result : undefined
}

/** Parses a local discovery address "ADDR[:PORT]" (IPv4, default port 10732); throws InvalidPointError. */
export function parseDiscoveryAddress(text: string): { address: string; port: number } {
  const result = splitDiscoveryAddress(text)
  if (typeof result === 'string')
    throw new InvalidPointError(`invalid discovery address ${JSON.stringify(text)}: ${result}`)
  return result
}
