// The human views of dune-admin-client: the admin RPC's answers (stat, connections, peers, points,
// greylist, ACL, scores, admission rules) as tables and key/value blocks, ages relative to a now.

import {
  type AclJson,
  type AddressLimitJson,
  type AdmissionJson,
  type ConnectionJson,
  type GreylistJson,
  type PeerJson,
  type PointJson,
  SCORE_COMPONENTS_JSON,
  type ScoreDetailJson,
  type ScoresJson,
  type ScoreThresholdsJson,
  type SlotsJson,
  type StatJson,
} from '../rpc/shapes.js'
import {
  formatAge,
  formatBytes,
  formatDue,
  formatDuration,
  formatFields,
  formatFlags,
  formatRate,
  formatScore,
  formatTable,
} from './admin-format.js'

/** Inbound and outbound connections against their limits. */
function slotsLine(s: SlotsJson): string {
  return `inbound ${s.inbound}/${s.max_inbound}, outbound ${s.outbound} (min ${s.min_outbound}), ceiling ${s.ceiling}`
}

/** The global figures of `p2p stat`. */
export function statView(stat: StatJson): string {
  return formatFields([
    ['Peer id', stat.peer_id],
    ['Uptime', formatDuration(stat.uptime_ms)],
    ['Connections', `${stat.connections} (handshakes in progress: ${stat.incoming_handshakes})`],
    ['Slots', `${slotsLine(stat.slots)}; handshakes ${stat.slots.handshakes}/${stat.slots.max_handshakes}`],
    ['Known', `${stat.known_peers} peers, ${stat.known_points} points`],
    ['Received', `${formatBytes(stat.total_recv)} (now ${formatRate(stat.current_inflow)})`],
    ['Sent', `${formatBytes(stat.total_sent)} (now ${formatRate(stat.current_outflow)})`],
  ])
}

/** Where a connection goes: its point, or the remote address and port of an incoming one. */
function connectionAddress(c: ConnectionJson): string {
  return c.point ?? `${c.remote_addr}:${c.remote_port}`
}

export function connectionsView(connections: readonly ConnectionJson[]): string {
  if (connections.length === 0) return 'No connections.\n'
  return formatTable(
    [
      { header: 'PEER ID' },
      { header: 'POINT' },
      { header: 'DIR' },
      { header: 'TRUSTED' },
      { header: 'SCORE', align: 'right' },
      { header: 'LATENCY', align: 'right' },
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
      `${Math.round(c.latency_ms)} ms`,
      formatRate(c.stats.current_inflow),
      formatRate(c.stats.current_outflow),
      formatBytes(c.stats.total_recv),
      formatBytes(c.stats.total_sent),
    ]),
  )
}

/** A peer's announced head: level and the start of its block hash, or '-'. */
function headCell(p: PeerJson): string {
  return p.head ? `${p.head.level} ${p.head.block_hash.slice(0, 12)}…` : '-'
}

export function peersView(peers: readonly PeerJson[], now: number): string {
  if (peers.length === 0) return 'No known peers.\n'
  // The HEAD column when the node runs the observer (its peers carry a `head`).
  const withHead = peers.some((p) => p.head !== undefined)
  return formatTable(
    [
      { header: 'PEER ID' },
      { header: 'STATE' },
      { header: 'FLAGS' },
      { header: 'SCORE', align: 'right' },
      { header: 'LAST SEEN' },
      { header: 'POINTS' },
      ...(withHead ? [{ header: 'HEAD' }] : []),
    ],
    peers.map((p) => [
      p.peer_id,
      p.state,
      formatFlags(p),
      formatScore(p.score),
      formatAge(p.last_seen, now),
      p.points.join(' ') || '-',
      ...(withHead ? [headCell(p)] : []),
    ]),
  )
}

export function pointsView(points: readonly PointJson[], now: number): string {
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
      p.state === 'disconnected' ? formatDue(p.next_attempt_at, now) : '-',
    ]),
  )
}

/** A score's components (value, weight, contribution), then the application's part and the total. */
export function scoreDetailView(d: ScoreDetailJson): string {
  return formatTable(
    [
      { header: 'COMPONENT' },
      { header: 'VALUE', align: 'right' },
      { header: 'WEIGHT', align: 'right' },
      { header: 'CONTRIBUTION', align: 'right' },
    ],
    [
      ...SCORE_COMPONENTS_JSON.map((name) => {
        const c = d.components[name]
        return [name, formatScore(c.value), String(c.weight), formatScore(c.contribution)]
      }),
      ['application', '', '', formatScore(d.application)],
      ['total', '', '', formatScore(d.total)],
    ],
  )
}

/** The thresholds every score is held to, in one line. */
export function thresholdsLine(t: ScoreThresholdsJson): string {
  return `Disconnected and greylisted below ${formatScore(t.disconnect_below)} (trusted peers excepted); counters kept ${formatDuration(t.retain_ms)} after a disconnection, for ${t.max_records} peers at most.\n`
}

/** A known peer, then its score's components and the thresholds. */
export function peerView(p: PeerJson, now: number, thresholds: ScoreThresholdsJson): string {
  const fields = formatFields([
    ['Peer id', p.peer_id],
    ['State', p.state],
    ['Trusted', p.trusted ? 'yes' : 'no'],
    ['Banned', p.banned ? 'yes' : 'no'],
    ['Greylisted', p.greylisted ? 'yes' : 'no'],
    ['Score', formatScore(p.score)],
    ['Last seen', formatAge(p.last_seen, now)],
    ['Points', p.points.join(' ') || '-'],
  ])
  return `${fields}\nSCORE\n${scoreDetailView(p.score_detail)}${thresholdsLine(thresholds)}`
}

/** `list scores`: the thresholds, every known peer's total and contributions, then the rules. */
export function scoresView(scores: ScoresJson): string {
  const peers =
    scores.peers.length === 0
      ? 'No known peers.\n'
      : formatTable(
          [
            { header: 'PEER ID' },
            { header: 'STATE' },
            { header: 'TRUSTED' },
            { header: 'TOTAL', align: 'right' },
            { header: 'APPLICATION', align: 'right' },
            ...SCORE_COMPONENTS_JSON.map((name) => ({ header: name.toUpperCase(), align: 'right' as const })),
          ],
          scores.peers.map((p) => [
            p.peer_id,
            p.state,
            p.trusted ? 'yes' : 'no',
            formatScore(p.score_detail.total),
            formatScore(p.score_detail.application),
            ...SCORE_COMPONENTS_JSON.map((name) => formatScore(p.score_detail.components[name].contribution)),
          ]),
        )
  const rules = formatTable(
    [
      { header: 'COMPONENT' },
      { header: 'WEIGHT', align: 'right' },
      { header: 'HALF-LIFE', align: 'right' },
      { header: 'CAP', align: 'right' },
    ],
    SCORE_COMPONENTS_JSON.map((name) => {
      const r = scores.rules[name]
      return [name, String(r.weight), formatDuration(r.half_life_ms), String(r.cap)]
    }),
  )
  return `${thresholdsLine(scores.thresholds)}\n${peers}\nRULES (contribution = weight × value, value halves every half-life, up to the cap)\n${rules}`
}

function addressLimitLine(l: AddressLimitJson): string {
  return `IPv4 /${l.ipv4_bits}, IPv6 /${l.ipv6_bits}: ${l.max_connections} connections at once, ${l.new_per_minute} new per minute`
}

/** `show admission`: the slots, the per-address and per-subnet limits, the eviction rules. */
export function admissionView(a: AdmissionJson): string {
  const { slots, admission, eviction } = a
  return formatFields([
    ['Slots', slotsLine(slots)],
    ['Handshakes', `${slots.handshakes}/${slots.max_handshakes} in progress`],
    ['Per address', addressLimitLine(admission.per_address)],
    ['Per subnet', addressLimitLine(admission.per_subnet)],
    ['Exempt', admission.exempt.join(' ') || 'none'],
    ['Eviction grace', formatDuration(eviction.grace_ms)],
    [
      'Eviction protects',
      `${eviction.protect_groups} network groups, ${eviction.protect_low_latency} lowest-latency, ${eviction.protect_recent_useful} recently useful, ${Math.round(eviction.protect_longest_share * 100)}% longest-connected of the rest`,
    ],
  ])
}

export function pointView(p: PointJson, now: number): string {
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
    ['Next attempt', p.state === 'disconnected' ? formatDue(p.next_attempt_at, now) : '-'],
  ])
}

export function greylistView(greylist: GreylistJson, now: number): string {
  const rows = [
    ...greylist.ips.map((e) => ['ip', e.ip, formatAge(e.until, now), e.reason]),
    ...(greylist.points ?? []).map((e) => ['point', e.point, formatAge(e.until, now), e.reason]),
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
export function aclView(acl: AclJson, now: number): string {
  const rows = ACL_LISTS.flatMap(([key, list, kind]) => acl[key].map((entry) => [list, kind, entry]))
  const lists =
    rows.length === 0
      ? 'No bans and no trusts.\n'
      : formatTable([{ header: 'LIST' }, { header: 'KIND' }, { header: 'ENTRY' }], rows)
  return `${lists}\n${greylistView(acl.greylist, now)}`
}

/** `p2p stat`: the global figures, then the connections, known peers and known points (as Octez). */
export function p2pStatView(
  stat: StatJson,
  connections: readonly ConnectionJson[],
  peers: readonly PeerJson[],
  points: readonly PointJson[],
  now: number,
): string {
  return [
    `GLOBAL STATS\n${statView(stat)}`,
    `CONNECTIONS\n${connectionsView(connections)}`,
    `KNOWN PEERS\n${peersView(peers, now)}`,
    `KNOWN POINTS\n${pointsView(points, now)}`,
  ].join('\n')
}
