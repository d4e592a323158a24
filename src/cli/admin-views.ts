// The human views of dune-admin-client: the admin RPC's answers (stat, connections, peers, points,
// greylist, ACL) rendered as tables and key/value blocks, ages relative to a given now.
import {
  formatAge,
  formatBytes,
  formatDuration,
  formatFields,
  formatFlags,
  formatRate,
  formatScore,
  formatTable,
} from './admin-format.js'
import type { Acl, Connection, Greylist, Peer, Point, Stat } from './admin-rpc-client.js'

/** The global figures of `p2p stat`. */
export function statView(stat: Stat): string {
  return formatFields([
    ['Peer id', stat.peer_id],
    ['Uptime', formatDuration(stat.uptime_ms)],
    ['Connections', `${stat.connections} (handshakes in progress: ${stat.incoming_handshakes})`],
    ['Known', `${stat.known_peers} peers, ${stat.known_points} points`],
    ['Received', `${formatBytes(stat.total_recv)} (now ${formatRate(stat.current_inflow)})`],
    ['Sent', `${formatBytes(stat.total_sent)} (now ${formatRate(stat.current_outflow)})`],
  ])
}

/** Where a connection goes: its point, or the remote address and port of an incoming one. */
function connectionAddress(c: Connection): string {
  return c.point ?? `${c.remote_addr}:${c.remote_port}`
}

export function connectionsView(connections: readonly Connection[]): string {
  if (connections.length === 0) return 'No connections.\n'
  return formatTable(
    [
      { header: 'PEER ID' },
      { header: 'POINT' },
      { header: 'DIR' },
      { header: 'TRUSTED' },
      { header: 'SCORE', align: 'right' },
      { header: 'IN', align: 'right' },
      { header: 'OUT', align: 'right' },
      { header: 'RECEIVED', align: 'right' },
      { header: 'SENT', align: 'right' },
    ],
    connections.map((c) => [
      c.peer_id,
      connectionAddress(c),
      c.incoming ? 'in' : 'out',
      c.trusted ? 'yes' : 'no',
      formatScore(c.score),
      formatRate(c.stats.current_inflow),
      formatRate(c.stats.current_outflow),
      formatBytes(c.stats.total_recv),
      formatBytes(c.stats.total_sent),
    ]),
  )
}

export function peersView(peers: readonly Peer[], now: number): string {
  if (peers.length === 0) return 'No known peers.\n'
  return formatTable(
    [
      { header: 'PEER ID' },
      { header: 'STATE' },
      { header: 'FLAGS' },
      { header: 'SCORE', align: 'right' },
      { header: 'LAST SEEN' },
      { header: 'POINTS' },
    ],
    peers.map((p) => [
      p.peer_id,
      p.state,
      formatFlags(p),
      formatScore(p.score),
      formatAge(p.last_seen, now),
      p.points.join(' ') || '-',
    ]),
  )
}

export function pointsView(points: readonly Point[], now: number): string {
  if (points.length === 0) return 'No known points.\n'
  return formatTable(
    [
      { header: 'POINT' },
      { header: 'STATE' },
      { header: 'FLAGS' },
      { header: 'PEER ID' },
      { header: 'LAST ESTABLISHED' },
      { header: 'FAILURES', align: 'right' },
      { header: 'NEXT ATTEMPT' },
    ],
    points.map((p) => [
      p.point,
      p.state,
      formatFlags(p),
      p.peer_id ?? '-',
      formatAge(p.last_established, now),
      String(p.failures),
      p.state === 'disconnected' ? formatAge(p.next_attempt_at, now) : '-',
    ]),
  )
}

export function peerView(p: Peer, now: number): string {
  return formatFields([
    ['Peer id', p.peer_id],
    ['State', p.state],
    ['Trusted', p.trusted ? 'yes' : 'no'],
    ['Banned', p.banned ? 'yes' : 'no'],
    ['Greylisted', p.greylisted ? 'yes' : 'no'],
    ['Score', formatScore(p.score)],
    ['Last seen', formatAge(p.last_seen, now)],
    ['Points', p.points.join(' ') || '-'],
  ])
}

export function pointView(p: Point, now: number): string {
  return formatFields([
    ['Point', p.point],
    ['State', p.state],
    ['Peer id', p.peer_id ?? '-'],
    ['Trusted', p.trusted ? 'yes' : 'no'],
    ['Banned', p.banned ? 'yes' : 'no'],
    [
      'Greylisted',
      p.greylisted
        ? `yes${p.greylisted_until === null ? '' : `, until ${formatAge(p.greylisted_until, now)}`}`
        : 'no',
    ],
    ['Last attempt', formatAge(p.last_attempt, now)],
    ['Last established', formatAge(p.last_established, now)],
    ['Last disconnect', formatAge(p.last_disconnect, now)],
    ['Last failure', formatAge(p.last_failure, now)],
    ['Failures', String(p.failures)],
    ['Next attempt', formatAge(p.next_attempt_at, now)],
  ])
}

export function greylistView(greylist: Greylist, now: number): string {
  const rows = [
    ...greylist.ips.map((e) => ['ip', e.ip, formatAge(e.until, now), e.reason]),
    ...greylist.peers.map((e) => ['peer', e.peer_id, formatAge(e.until, now), e.reason]),
  ]
  if (rows.length === 0) return 'The greylist is empty.\n'
  return formatTable(
    [{ header: 'KIND' }, { header: 'ENTRY' }, { header: 'UNTIL' }, { header: 'REASON' }],
    rows,
  )
}

const ACL_LISTS = [
  ['banned_ips', 'banned', 'ip'],
  ['banned_points', 'banned', 'point'],
  ['banned_peers', 'banned', 'peer'],
  ['trusted_ips', 'trusted', 'ip'],
  ['trusted_points', 'trusted', 'point'],
  ['trusted_peers', 'trusted', 'peer'],
] as const

/** The administrator's bans and trusts, then the greylist. */
export function aclView(acl: Acl, now: number): string {
  const rows = ACL_LISTS.flatMap(([key, list, kind]) => acl[key].map((entry) => [list, kind, entry]))
  const lists =
    rows.length === 0
      ? 'No bans and no trusts.\n'
      : formatTable([{ header: 'LIST' }, { header: 'KIND' }, { header: 'ENTRY' }], rows)
  return `${lists}\n${greylistView(acl.greylist, now)}`
}

/** `p2p stat`: the global figures, then the connections, known peers and known points (as Octez). */
export function p2pStatView(
  stat: Stat,
  connections: readonly Connection[],
  peers: readonly Peer[],
  points: readonly Point[],
  now: number,
): string {
  return [
    `GLOBAL STATS\n${statView(stat)}`,
    `CONNECTIONS\n${connectionsView(connections)}`,
    `KNOWN PEERS\n${peersView(peers, now)}`,
    `KNOWN POINTS\n${pointsView(points, now)}`,
  ].join('\n')
}
