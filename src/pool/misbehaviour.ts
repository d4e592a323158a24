// What a misbehaving peer costs (Octez's greylisting in P2p_pool): its IP or point and its peer id
// greylisted unless trusted, its score charged for a wire fault, and the pinned-peer mismatch.

import type { EventEmitter } from 'node:events'
import type { AccessControl } from '../acl/index.js'
import type { Clock } from '../io/clock.js'
import type { CloseReason } from '../socket/index.js'
import type { AdmissionLimiter } from './admission.js'
import type { PeerScores, ScoreComponent } from './peer-score.js'
import { hostOfPoint, isNamedPoint } from './point-address.js'
import type { ActiveConnection, PoolEvents } from './pool-types.js'
import type { PoolTables } from './tables.js'

export interface MisbehaviourOptions<A, P, C> {
  readonly acl: AccessControl
  readonly tables: PoolTables<A, P, C>
  readonly scores: PeerScores
  readonly admission: AdmissionLimiter
  readonly events: EventEmitter<PoolEvents>
  readonly clock: Clock
}

export class Misbehaviour<A, P, C> {
  readonly #acl: AccessControl
  readonly #tables: PoolTables<A, P, C>
  readonly #scores: PeerScores
  readonly #admission: AdmissionLimiter
  readonly #events: EventEmitter<PoolEvents>
  readonly #clock: Clock

  constructor(options: MisbehaviourOptions<A, P, C>) {
    this.#acl = options.acl
    this.#tables = options.tables
    this.#scores = options.scores
    this.#admission = options.admission
    this.#events = options.events
    this.#clock = options.clock
  }

  /**
   * Greylists the IP (when given) and the peer id of a misbehaving peer, unless the peer, its
   * point or its IP is trusted. On an address exempt from the admission limits (loopback by
   * default: the nodes of one machine share it) the point is greylisted instead of the IP, so
   * one bad node does not lock the others out.
   */
  misbehaved(
    ip: string | undefined,
    peerId: string | undefined,
    point: string | undefined,
    reason: string,
  ): void {
    const tables = this.#tables
    if (peerId !== undefined && tables.isPeerTrusted(peerId)) return
    if (point !== undefined && tables.isPointTrusted(point)) return
    if (ip !== undefined && this.#acl.isIpTrusted(ip)) return
    const until = this.#clock.now() + this.#acl.greylistTimeoutMs
    if (ip !== undefined && this.#admission.isExempt(ip)) {
      // A named point (the operator's) is greylisted through its peer id only.
      const ipPoint = point === undefined || isNamedPoint(point) ? undefined : point
      const record = ipPoint === undefined ? undefined : tables.points.get(ipPoint)
      if (ipPoint !== undefined && this.#acl.greylistPoint(ipPoint, reason) && record)
        record.greylistedUntil = until
    } else if (ip !== undefined && this.#acl.greylistIp(ip, reason)) {
      for (const r of tables.points.values())
        if ((r.lastAddress ?? hostOfPoint(r.point)) === ip) r.greylistedUntil = until
    }
    if (peerId !== undefined) this.#acl.greylistPeer(peerId, reason)
  }

  /**
   * Whether an untrusted peer is refused by the greylist once its point is known: its IP (let
   * through the accept check because some trusted peer or point might be on it) or its point.
   */
  greylistedAt(ip: string, point: string | undefined): boolean {
    if (this.#acl.ipStatus(ip) === 'greylisted') return true
    return point !== undefined && !isNamedPoint(point) && this.#acl.isPointGreylisted(point)
  }

  /**
   * The peer at a pinned point is not the one expected (Octez's Identity_check_failure): the
   * event, and the IP greylisted (unless the administrator trusts it), as Octez does.
   */
  unexpectedPeer(point: string, ip: string, expected: string, got: string): void {
    this.#events.emit('unexpected-peer', { point, remoteAddress: ip, expected, got })
    if (!this.#acl.isIpTrusted(ip)) this.#acl.greylistIp(ip, `unexpected peer id at ${point}`)
  }

  /** What the way a live connection closed costs: wire faults and floods greylist and charge the score. */
  connectionClosed(active: ActiveConnection<A, C>, reason: CloseReason): void {
    if (reason.kind === 'mac_error' || reason.kind === 'decode_error') {
      this.misbehaved(active.ip, active.peerId, active.point, reason.kind)
      this.#scores.add(active.peerId, wireFaultOf(reason))
    } else if (reason.kind === 'flood') {
      this.misbehaved(active.ip, active.peerId, active.point, `flood: ${reason.last}`)
      this.#scores.add(active.peerId, 'violation')
    } else if (reason.kind === 'write_stall' || reason.kind === 'memory_budget') {
      // Not greylisted: a dead or slow peer may be honest; its score remembers the cost.
      this.#scores.add(active.peerId, 'violation')
    }
  }
}

/** The score counter a wire fault on a live connection counts on. */
function wireFaultOf(reason: CloseReason & { kind: 'mac_error' | 'decode_error' }): ScoreComponent {
  if (reason.kind === 'mac_error') return 'violation'
  return reason.error.reason === 'length_over_bound' && reason.error.path === 'p2p_message'
    ? 'oversized'
    : 'invalid'
}
