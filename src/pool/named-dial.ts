// Dialing a point an operator gave: an IP point directly, a named point by resolving its name
// at this dial and trying each address in turn, skipping those the node must not dial.
import { isIP, type Socket } from 'node:net'
import type { Clock } from '../io/clock.js'
import type { AbortOptions } from '../socket/abort.js'
import { type DialOptions, dialTcp } from '../socket/index.js'
import { formatPoint } from '../wire/index.js'
import { ConnectionRefusedError } from './errors.js'
import type { PointAddress } from './point-address.js'
import { ResolveError, type Resolver, resolveName } from './resolver.js'

export interface NamedDialContext {
  readonly resolver: Resolver
  /** The clock of the resolution timeout (default systemClock). */
  readonly clock?: Clock
  /** Dial options (timeout, local address, read buffer, signal); the timeout also bounds the lookup. */
  readonly options: DialOptions & AbortOptions & { readonly timeoutMs: number }
  /** Whether an address may not be dialed: our own point, or banned or greylisted (untrusted points). */
  readonly refused: (ipPoint: string) => 'own_point' | 'point_banned' | undefined
  /** Whether the dial was aborted meanwhile (the node stopped, or the caller gave up). */
  readonly stopped: () => boolean
  /** Told of each address about to be dialed (the record's lastAddress). */
  readonly dialing: (ip: string) => void
}

/**
 * Opens the TCP connection to `address`. A named point: its name resolved now (A and AAAA, at
 * most MAX_ADDRESSES_PER_NAME), each address tried in turn, skipping refused ones and those of
 * the other family than the local address, until one answers. Throws ResolveError, DialError
 * (the last address's), or ConnectionRefusedError.
 */
export async function dialPointAddress(address: PointAddress, ctx: NamedDialContext): Promise<Socket> {
  const { options } = ctx
  if (!address.named) return dialTcp(address.host, address.port, options)
  const ips = await resolveName(ctx.resolver, address.host, address.point, options.timeoutMs, ctx.clock)
  const localFamily = options.localAddress === undefined ? 0 : isIP(options.localAddress)
  let lastError: Error | undefined
  for (const ip of ips) {
    if (ctx.stopped()) throw new ConnectionRefusedError('stopped', address.point)
    const refusal = ctx.refused(formatPoint(ip, address.port))
    if (refusal !== undefined) {
      lastError ??= new ConnectionRefusedError(refusal, address.point)
      continue
    }
    if (localFamily !== 0 && isIP(ip) !== localFamily) continue
    ctx.dialing(ip)
    try {
      return await dialTcp(ip, address.port, options)
    } catch (err) {
      lastError = err as Error
    }
  }
  throw (
    lastError ??
    new ResolveError(address.point, `no IPv${localFamily} address (local address ${options.localAddress})`)
  )
}
