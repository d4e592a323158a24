// The pool's tables and ACL as the saved state of peers.json and back: points and peers with
// their history (peer metadata as hex of the application's encoding), bans, trusts, greylist.
import type { AccessControl } from '../../acl/index.js'
import { decode, type Encoding, encode } from '../../wire/index.js'
import type { PeerRecord } from '../known-peers.js'
import type { PointRecord } from '../known-points.js'
import type { KnownPeer, KnownPoint, PoolState } from './state-schema.js'

/** The state to save: every known point and peer, and the ACL's lists. */
export function poolStateOf<P>(
  points: Iterable<PointRecord>,
  peers: Iterable<PeerRecord<P>>,
  acl: AccessControl,
  metadataEncoding: Encoding<P>,
  score: (metadata: P) => number,
): PoolState {
  const savedPoints: KnownPoint[] = []
  for (const r of points) {
    savedPoints.push(
      withoutUndefined({
        point: r.point,
        trusted: r.trusted,
        lastAttempt: r.lastAttempt,
        lastFailure: r.lastFailure,
        lastEstablished: r.lastEstablished,
        lastDisconnect: r.lastDisconnect,
        failures: r.failures,
        greylistedUntil: r.greylistedUntil,
        peerId: r.peerId,
        expectedPeerId: r.expectedPeerId,
      }),
    )
  }
  const savedPeers: KnownPeer[] = []
  for (const r of peers) {
    const finite = finiteScore(score, r.metadata)
    savedPeers.push(
      withoutUndefined({
        peerId: r.peerId,
        trusted: r.trusted,
        lastSeen: r.lastSeen,
        points: [...r.points],
        score: finite,
        metadata: encode(metadataEncoding, r.metadata).toString('hex'),
      }),
    )
  }
  return { points: savedPoints, peers: savedPeers, acl: acl.toJSON() }
}

/** Records to restore from a saved state; a peer whose metadata no longer decodes gets `initial()`. */
export function recordsOf<P>(
  state: PoolState,
  metadataEncoding: Encoding<P>,
  initial: () => P,
): { points: PointRecord[]; peers: PeerRecord<P>[] } {
  const points = state.points.map(
    (p): PointRecord => ({
      point: p.point,
      state: 'disconnected',
      trusted: p.trusted,
      peerId: p.peerId,
      lastAttempt: p.lastAttempt,
      lastFailure: p.lastFailure,
      lastEstablished: p.lastEstablished,
      lastDisconnect: p.lastDisconnect,
      failures: p.failures ?? 0,
      greylistedUntil: p.greylistedUntil,
      private: false,
      expectedPeerId: p.expectedPeerId,
      lastAddress: undefined,
    }),
  )
  const peers = state.peers.map(
    (p): PeerRecord<P> => ({
      peerId: p.peerId,
      state: 'disconnected',
      trusted: p.trusted,
      metadata: metadataOf(p.metadata, metadataEncoding, initial),
      lastSeen: p.lastSeen,
      points: new Set(p.points),
    }),
  )
  return { points, peers }
}

function metadataOf<P>(saved: unknown, encoding: Encoding<P>, initial: () => P): P {
  if (typeof saved !== 'string' || !/^(?:[0-9a-f]{2})*$/.test(saved)) return initial()
  try {
    return decode(encoding, Buffer.from(saved, 'hex'))
  } catch {
    return initial()
  }
}

/** A score fit for JSON (finite), or undefined. */
function finiteScore<P>(score: (metadata: P) => number, metadata: P): number | undefined {
  const value = score(metadata)
  return Number.isFinite(value) ? value : undefined
}

function withoutUndefined<T extends object>(o: T): T {
  for (const key of Object.keys(o) as (keyof T)[]) if (o[key] === undefined) delete o[key]
  return o
}
