// Large pool states stamped with a generation number in every entry, so that a state read
// back after a crash can be checked whole: one generation throughout, every entry present.
import { peerIdToB58 } from '../../src/crypto/peer-id.js'
import type { PoolState } from '../../src/pool/persistence/state-schema.js'

/** The peer id numbered `i` (its 16 bytes hold `i`). */
export function testPeerId(i: number): string {
  const id = Buffer.alloc(16)
  id.writeUInt32BE(i, 12)
  return peerIdToB58(id)
}

const pointOf = (i: number) => `127.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:9732`

/** A state of `size` points and `size` peers, every entry carrying `generation`. */
export function generationState(generation: number, size: number, peerIds: string[]): PoolState {
  const points = []
  const peers = []
  for (let i = 0; i < size; i++) {
    const peerId = peerIds[i % peerIds.length]
    if (peerId === undefined) throw new Error('generationState: no peer ids given')
    points.push({ point: pointOf(i), trusted: false, lastAttempt: generation, failures: i, peerId })
    peers.push({
      peerId,
      trusted: i % 7 === 0,
      lastSeen: generation,
      points: [pointOf(i)],
      score: i,
      metadata: { generation, check: (generation * 31 + i) % 1009 },
    })
  }
  return {
    points,
    peers,
    acl: {
      bannedIps: [],
      bannedPoints: [`192.0.2.1:${generation % 65536}`],
      bannedPeers: [],
      trustedIps: [],
      trustedPoints: [],
      trustedPeers: [],
    },
  }
}

/** The generation of a state built by `generationState(_, size, _)`; throws if any entry disagrees or is missing. */
export function generationOf(state: PoolState, size: number): number {
  const generation = state.points[0]?.lastAttempt
  const fail = (what: string) => {
    throw new Error(`state of generation ${generation} is inconsistent: ${what}`)
  }
  if (generation === undefined) fail('no points')
  if (state.points.length !== size || state.peers.length !== size) {
    fail(`${state.points.length} points and ${state.peers.length} peers, expected ${size} of each`)
  }
  state.points.forEach((p, i) => {
    if (p.lastAttempt !== generation || p.failures !== i) fail(`point ${i}`)
  })
  state.peers.forEach((p, i) => {
    const meta = p.metadata as { generation: number; check: number }
    const check = (generation! * 31 + i) % 1009
    if (p.lastSeen !== generation || meta.generation !== generation || meta.check !== check) fail(`peer ${i}`)
  })
  if (state.acl.bannedPoints[0] !== `192.0.2.1:${generation! % 65536}`) fail('acl')
  return generation!
}
