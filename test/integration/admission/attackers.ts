// Attackers for the admission tests: many peers with fresh identities (no proof of work), each
// dialing a node from its own address of one subnet, completing the handshake and holding on.
import type { Socket } from 'node:net'
import { generateKeyPair, type Identity, peerIdOf } from '../../../src/crypto/index.js'
import { authenticate, dialTcp } from '../../../src/socket/index.js'
import { parsePoint } from '../../../src/wire/index.js'
import { handshakeConfig } from '../../support/socket-pair.js'

/** A fresh identity with a zero stamp: valid against expectedProofOfWork 0. */
export function cheapIdentity(): Identity {
  const { publicKey, secretKey } = generateKeyPair()
  return { peerId: peerIdOf(publicKey), publicKey, secretKey, proofOfWorkStamp: Buffer.alloc(24) }
}

/** What a storm of attackers achieved. */
export interface StormResult {
  /** Sockets of the attackers the node accepted (still open). */
  readonly held: Socket[]
  /** Attempts that were refused or failed, by error code. */
  readonly refused: Map<string, number>
}

/**
 * `count` attackers, attacker i dialing from `hostOf(i)`, at most `parallel` at a time; each
 * runs the handshake as a peer that does not listen and keeps its connection when accepted.
 */
export async function storm(
  point: string,
  count: number,
  hostOf: (i: number) => string,
  parallel = 32,
): Promise<StormResult> {
  const { host, port } = parsePoint(point)
  const held: Socket[] = []
  const refused = new Map<string, number>()
  let next = 0
  const lane = async () => {
    while (next < count) {
      const i = next++
      try {
        const socket = await dialTcp(host, port, { localAddress: hostOf(i), timeoutMs: 5000 })
        const pending = await authenticate(
          socket,
          false,
          handshakeConfig({ identity: cheapIdentity(), expectedProofOfWork: 0, listeningPort: undefined }),
        )
        const result = await pending.accept()
        result.socket.on('error', () => {})
        held.push(result.socket)
      } catch (err) {
        const code = (err as { code?: string }).code ?? 'unknown'
        refused.set(code, (refused.get(code) ?? 0) + 1)
      }
    }
  }
  await Promise.all(Array.from({ length: parallel }, lane))
  return { held, refused }
}

/** Closes every socket held. */
export function release(result: StormResult): void {
  for (const socket of result.held) socket.destroy()
}
