// The list views of the pool's tables (Octez's P2p_point.Info, P2p_peer.Info, P2p_connection.Info):
// a known point, a known peer and a live connection as the API and the RPC list them.
import type { AccessControl } from '../acl/index.js'
import { type BackoffConfig, nextAttemptAt } from './backoff.js'
import type { PeerRecord } from './known-peers.js'
import type { PointRecord } from './known-points.js'
import type { PeerScores } from './peer-score.js'
import { hostOfPoint, isNamedPoint } from './point-address.js'
import type {
  ActiveConnection,
  ConnectionInfo,
  PeerInfo,
  PeerMetadataConfig,
  PointInfo,
} from './pool-types.js'
import type { PoolTables } from './tables.js'

/** What the views read: the tables, the ACL, the scores, the metadata's score and the backoff. */
export interface ViewSources<A, P, C> {
  readonly tables: PoolTables<A, P, C>
  readonly acl: AccessControl
  readonly scores: PeerScores
  readonly peerMetadata: PeerMetadataConfig<P>
  /** The maintenance worker's reconnection backoff, for PointInfo.nextAttemptAt. */
  readonly backoff: BackoffConfig
}

export function pointInfo<A, P, C>(sources: ViewSources<A, P, C>, r: PointRecord): PointInfo {
  const { acl } = sources
  const named = isNamedPoint(r.point)
  const status = named ? 'ok' : acl.pointStatus(r.point)
  const ip = named ? r.lastAddress : hostOfPoint(r.point)
  return {
    point: r.point,
    state: r.state,
    trusted: r.trusted,
    banned: status === 'banned',
    // A trusted point is dialed whatever the greylist says of its IP.
    greylisted:
      !r.trusted &&
      ((ip !== undefined && acl.isIpGreylisted(ip)) || (!named && acl.isPointGreylisted(r.point))),
    peerId: r.peerId,
    lastAttempt: r.lastAttempt,
    lastFailure: r.lastFailure,
    lastEstablished: r.lastEstablished,
    lastDisconnect: r.lastDisconnect,
    failures: r.failures,
    greylistedUntil: r.greylistedUntil,
    expectedPeerId: r.expectedPeerId,
    lastAddress: r.lastAddress,
    nextAttemptAt: nextAttemptAt(r, 0, sources.backoff),
  }
}

export function peerInfo<A, P, C>(sources: ViewSources<A, P, C>, r: PeerRecord<P>): PeerInfo<P> {
  const status = sources.acl.peerStatus(r.peerId)
  const scoreDetail = sources.scores.detail(r.peerId, sources.peerMetadata.score(r.metadata))
  return {
    peerId: r.peerId,
    state: r.state,
    trusted: r.trusted,
    banned: status === 'banned',
    greylisted: status === 'greylisted',
    metadata: r.metadata,
    score: scoreDetail.total,
    scoreDetail,
    lastSeen: r.lastSeen,
    points: [...r.points],
  }
}

export function connectionInfo<A, P, C>(
  sources: ViewSources<A, P, C>,
  active: ActiveConnection<A, C>,
): ConnectionInfo<C> {
  const { tables } = sources
  const { peer, version } = active.connection
  const record = tables.peers.get(active.peerId)
  return {
    peerId: active.peerId,
    point: active.point,
    remoteAddress: active.ip,
    remotePort: peer.remotePort,
    incoming: active.incoming,
    private: active.private,
    trusted:
      tables.isPeerTrusted(active.peerId) ||
      (active.point !== undefined && tables.isPointTrusted(active.point)),
    score:
      sources.scores.behaviour(active.peerId) +
      (record === undefined ? 0 : sources.peerMetadata.score(record.metadata)),
    connectedAt: active.connectedAt,
    latencyMs: active.latencyMs,
    metadata: peer.remoteMetadata,
    version,
    stats: active.connection.stats(),
  }
}
