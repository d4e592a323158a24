// Resolving the DNS names of points at each dial: the injectable resolver (default: the
// system's, A and AAAA), bounded in time and in addresses, with a typed error when it fails.
import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { normalizeIp } from '../acl/index.js'
import { DuneP2pError } from '../errors/index.js'

import { type Clock, systemClock, type TimerHandle } from '../io/clock.js'
/** One address a name resolves to (as dns.promises.lookup with `all: true` gives them). */
export interface ResolvedAddress {
  readonly address: string
  /** 4 or 6. */
  readonly family: number
}

/**
 * Resolves a host name to its addresses (IPv4 and IPv6, in the order to try them). The default
 * is the system's resolver (`dns.promises.lookup(name, { all: true })`: /etc/hosts, then DNS);
 * tests inject one that maps their names to 127.x addresses.
 */
export type Resolver = (name: string) => Promise<readonly ResolvedAddress[]>

export const systemResolver: Resolver = (name) => lookup(name, { all: true, verbatim: true })

/** Addresses tried per name and dial at most (a name's answer cannot make a dial last forever). */
export const MAX_ADDRESSES_PER_NAME = 8

/** A point's name did not resolve, or to no usable address (code `DUNE_RESOLVE`). */
export class ResolveError extends DuneP2pError {
  constructor(
    readonly point: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super('DUNE_RESOLVE', `cannot resolve ${point}: ${detail}`, options)
  }
}

/**
 * The addresses of `name` (canonical, duplicates dropped, at most MAX_ADDRESSES_PER_NAME), from
 * `resolver` within `timeoutMs` on `clock`. Throws ResolveError when the lookup fails, takes too long or
 * gives no IP address.
 */
export async function resolveName(
  resolver: Resolver,
  name: string,
  point: string,
  timeoutMs: number,
  clock: Clock = systemClock,
): Promise<string[]> {
  let timer: TimerHandle | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = clock.setTimeout(
      () => reject(new ResolveError(point, `no answer within ${timeoutMs} ms`)),
      timeoutMs,
    )
  })
  let answer: readonly ResolvedAddress[]
  try {
    answer = await Promise.race([resolver(name), timeout])
  } catch (err) {
    if (err instanceof ResolveError) throw err
    const code = (err as NodeJS.ErrnoException).code
    throw new ResolveError(point, code ? `${code} (${(err as Error).message})` : String(err), { cause: err })
  } finally {
    clock.clearTimeout(timer)
  }
  const addresses: string[] = []
  for (const entry of Array.isArray(answer) ? answer : []) {
    const address = typeof entry?.address === 'string' ? entry.address : ''
    if (isIP(address) === 0 || address.includes('%')) continue
    const ip = normalizeIp(address)
    if (!addresses.includes(ip)) addresses.push(ip)
    if (addresses.length >= MAX_ADDRESSES_PER_NAME) break
  }
  if (addresses.length === 0) throw new ResolveError(point, 'the name has no IP address')
  return addresses
}
