// Slow-loris attackers that hold handshake slots: sockets that connect and say nothing, each
// reopened as soon as the node closes it; and honest newcomers that try to complete a handshake.
import net from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import type { Identity } from '../../../src/crypto/index.js'
import { authenticate, dialTcp } from '../../../src/socket/index.js'
import { handshakeConfig } from '../../support/socket-pair.js'

export interface SilentSockets {
  /** Sockets opened so far (the first ones and every reopening). */
  readonly opened: () => number
  /** Sockets open now. */
  readonly open: () => number
  /** Stops reopening and closes every socket. */
  stop(): Promise<void>
}

/** `count` addresses: `perSubnet` in each of `subnets` /16s from `127.{first}.0.1` on. */
export function attackerAddresses(first: number, subnets: number, perSubnet: number): string[] {
  const ips: string[] = []
  for (let s = 0; s < subnets; s++) for (let i = 1; i <= perSubnet; i++) ips.push(`127.${first + s}.0.${i}`)
  return ips
}

/**
 * One silent socket from each address in `ips` to `host:port`, held open and reopened (after
 * `reopenMs`) whenever closed, until `stop`.
 */
export function holdSilentSockets(
  host: string,
  port: number,
  ips: readonly string[],
  reopenMs = 5,
): SilentSockets {
  let stopped = false
  let opened = 0
  const live = new Set<net.Socket>()
  const holders = ips.map(async (ip) => {
    while (!stopped) {
      const socket = net.connect({ host, port, localAddress: ip })
      opened++
      live.add(socket)
      socket.on('error', () => {})
      socket.resume() // reads nothing but sees the node's close
      await new Promise((resolve) => socket.once('close', resolve))
      live.delete(socket)
      if (!stopped) await delay(reopenMs)
    }
  })
  return {
    opened: () => opened,
    open: () => live.size,
    async stop() {
      stopped = true
      for (const socket of live) socket.destroy()
      await Promise.all(holders)
    },
  }
}

/**
 * An honest newcomer from `ip`: dials, runs the whole handshake with `identity` on `chainName`
 * (not listening), then closes. Resolves with 'connected' or the error's code.
 */
export async function newcomerHandshake(
  host: string,
  port: number,
  ip: string,
  identity: Identity,
  chainName: string,
): Promise<string> {
  try {
    const socket = await dialTcp(host, port, { localAddress: ip, timeoutMs: 10_000 })
    const pending = await authenticate(
      socket,
      false,
      handshakeConfig({
        identity,
        listeningPort: undefined,
        authenticationTimeoutMs: 10_000,
        versions: { chainName, distributedDbVersions: [0], p2pVersions: [0, 1] },
      }),
    )
    const result = await pending.accept()
    result.socket.destroy()
    return 'connected'
  } catch (err) {
    return (err as { code?: string }).code ?? (err as Error).name
  }
}

/** Runs `count` newcomers one after the other, `gapMs` apart; their outcomes. */
export async function newcomers(
  count: number,
  gapMs: number,
  run: (i: number) => Promise<string>,
): Promise<{ connected: number; outcomes: Record<string, number> }> {
  const outcomes: Record<string, number> = {}
  for (let i = 0; i < count; i++) {
    const outcome = await run(i)
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1
    await delay(gapMs)
  }
  return { connected: outcomes.connected ?? 0, outcomes }
}
