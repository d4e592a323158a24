// The admin RPC's JSON shapes (docs/RPC.md): the library's connection, peer, point, ACL and
// statistics records turned into snake_case objects with null for "never".
import type { ConnectionInfo, P2p, PeerInfo, PointInfo } from '../p2p.js'
import type { StepReport } from '../workers/maintenance.js'

export interface FlowJson {
  total_sent: number
  total_recv: number
  current_inflow: number
  current_outflow: number
}

export interface StatJson extends FlowJson {
  connections: number
  incoming_handshakes: number
  known_points: number
  known_peers: number
  peer_id: string
  uptime_ms: number
}

export interface ConnectionJson {
  peer_id: string
  point: string | null
  remote_addr: string
  remote_port: number
  incoming: boolean
  private: boolean
  trusted: boolean
  score: number
  version: { chain_name: string; distributed_db_version: number; p2p_version: number }
  stats: FlowJson
}

export interface PeerJson {
  peer_id: string
  state: string
  trusted: boolean
  banned: boolean
  greylisted: boolean
  score: number
  last_seen: number | null
  points: string[]
}

export interface PointJson {
  point: string
  state: string
  trusted: boolean
  banned: boolean
  greylisted: boolean
  peer_id: string | null
  last_attempt: number | null
  last_failure: number | null
  last_established: number | null
  last_disconnect: number | null
  failures: number
  greylisted_until: number | null
  next_attempt_at: number
}

/** A P2p instance of any application, as the RPC reads it. */
// biome-ignore lint/suspicious/noExplicitAny: the RPC serves any application's messages and metadata
export type AnyP2p = P2p<any, any, any>

const orNull = <T>(v: T | undefined): T | null => (v === undefined ? null : v)

export function statJson(p2p: AnyP2p, startedAt: number): StatJson {
  const s = p2p.stats()
  return {
    total_sent: s.io.bytesOut,
    total_recv: s.io.bytesIn,
    current_inflow: Math.round(s.io.flowIn),
    current_outflow: Math.round(s.io.flowOut),
    connections: s.activeConnections,
    incoming_handshakes: s.incomingHandshakes,
    known_points: s.knownPoints,
    known_peers: s.knownPeers,
    peer_id: p2p.peerId,
    uptime_ms: Date.now() - startedAt,
  }
}

export function connectionJson(c: ConnectionInfo<unknown>): ConnectionJson {
  return {
    peer_id: c.peerId,
    point: orNull(c.point),
    remote_addr: c.remoteAddress,
    remote_port: c.remotePort,
    incoming: c.incoming,
    private: c.private,
    trusted: c.trusted,
    score: c.score,
    version: {
      chain_name: c.version.chainName,
      distributed_db_version: c.version.distributedDbVersion,
      p2p_version: c.version.p2pVersion,
    },
    stats: {
      total_sent: c.stats.bytesSent,
      total_recv: c.stats.bytesReceived,
      current_inflow: Math.round(c.stats.flowIn),
      current_outflow: Math.round(c.stats.flowOut),
    },
  }
}

export function peerJson(p: PeerInfo<unknown>): PeerJson {
  return {
    peer_id: p.peerId,
    state: p.state,
    trusted: p.trusted,
    banned: p.banned,
    greylisted: p.greylisted,
    score: p.score,
    last_seen: orNull(p.lastSeen),
    points: [...p.points],
  }
}

export function pointJson(p: PointInfo): PointJson {
  return {
    point: p.point,
    state: p.state,
    trusted: p.trusted,
    banned: p.banned,
    greylisted: p.greylisted,
    peer_id: orNull(p.peerId),
    last_attempt: orNull(p.lastAttempt),
    last_failure: orNull(p.lastFailure),
    last_established: orNull(p.lastEstablished),
    last_disconnect: orNull(p.lastDisconnect),
    failures: p.failures,
    greylisted_until: orNull(p.greylistedUntil),
    next_attempt_at: p.nextAttemptAt,
  }
}

export function greylistJson(p2p: AnyP2p) {
  const g = p2p.acl.greylist()
  return {
    ips: g.ips.map(({ ip, until, reason }) => ({ ip, until, reason })),
    peers: g.peers.map(({ peerId, until, reason }) => ({ peer_id: peerId, until, reason })),
  }
}

export function aclJson(p2p: AnyP2p) {
  const bans = p2p.acl.bans()
  const trusts = p2p.acl.trusts()
  return {
    banned_ips: bans.ips,
    banned_points: bans.points,
    banned_peers: bans.peers,
    trusted_ips: trusts.ips,
    trusted_points: trusts.points,
    trusted_peers: trusts.peers,
    greylist: greylistJson(p2p),
  }
}

export function maintenanceJson(r: StepReport) {
  return {
    reason: r.reason,
    before: r.before,
    after: r.after,
    connected: r.connected,
    failed_dials: r.failedDials,
    disconnected: r.disconnected,
    bootstrap_sent: r.bootstrapSent,
    swap_requested: r.swapRequested,
    greylist_collected: r.greylistCollected,
    aborted: r.aborted,
  }
}
