// The access-control lists the pool consults on every accept, dial and handshake: the
// administrator's bans and trusts (IPs, subnets, points, peer ids) and the automatic greylist.
import { EventEmitter } from 'node:events'
import { peerIdFromB58 } from '../crypto/index.js'
import { isDuneP2pError } from '../errors/index.js'
import { type Clock, systemClock } from '../io/clock.js'
import { type Point, parsePoint } from '../wire/point.js'
import { AclInputError } from './errors.js'
import { Greylist } from './greylist.js'
import {
  addressKey,
  formatCidr,
  formatIp,
  IP_GROUPS,
  type IpPrefix,
  isIpv4Mapped,
  parseCidr,
  parseIp,
  prefixContains,
} from './ip-address.js'
import { IpPrefixSet } from './ip-prefix-set.js'
import { type AclSnapshot, checkSnapshotShape } from './snapshot.js'

/** Octez's greylist_timeout: 86400 s. */
export const DEFAULT_GREYLIST_TIMEOUT_MS = 86_400_000
/** Most greylisted IPs kept; greylisting past it drops the oldest. */
export const DEFAULT_MAX_GREYLISTED_IPS = 10_000
/** Most greylisted peer ids kept (Octez keeps a ring of about this size); the oldest fall out. */
export const DEFAULT_MAX_GREYLISTED_PEERS = 1024
/** Most greylisted points kept (nodes sharing an IP exempt from the IP greylist); the oldest fall out. */
export const DEFAULT_MAX_GREYLISTED_POINTS = 10_000

/**
 * Why an IP, point or peer id is let in or not. `trusted`: the administrator trusts it;
 * `banned`: the administrator banned it; `greylisted`: it misbehaved and the greylist entry has
 * not expired; `ok`: none of these.
 */
export type AclStatus = 'trusted' | 'banned' | 'greylisted' | 'ok'

export interface AccessControlOptions {
  /** How long a greylist entry lasts, in ms (default 86400 s). */
  greylistTimeoutMs?: number
  /** Most greylisted IPs kept (default 10000). */
  maxGreylistedIps?: number
  /** Most greylisted peer ids kept (default 1024). */
  maxGreylistedPeers?: number
  /** Most greylisted points kept (default 10000). */
  maxGreylistedPoints?: number
  /** The time source (default systemClock: greylist expiries are wall-clock times, so they survive a restart). */
  clock?: Clock
}

/** A greylisted IP address as listed: printed canonically, with why and until when. */
export interface GreylistedIp {
  readonly ip: string
  readonly reason: string
  readonly until: number
}

/** A greylisted peer id (base58) as listed. */
export interface GreylistedPeer {
  readonly peerId: string
  readonly reason: string
  readonly until: number
}

/** A greylisted point (canonical "host:port") as listed: one node of an IP others share. */
export interface GreylistedPoint {
  readonly point: string
  readonly reason: string
  readonly until: number
}

/** One of the administrator's lists: IPs and subnets, points, peer ids, all printed canonically. */
export interface AclList {
  ips: string[]
  points: string[]
  peers: string[]
}

/** Emitted when an IP, point or peer id is greylisted (or its entry renewed). */
export type GreylistEvent =
  | { readonly kind: 'ip'; readonly ip: string; readonly reason: string; readonly until: number }
  | { readonly kind: 'point'; readonly point: string; readonly reason: string; readonly until: number }
  | { readonly kind: 'peer'; readonly peerId: string; readonly reason: string; readonly until: number }

/** Emitted when an administrator's call changed the lists; `entry` is printed canonically. */
export interface AclChange {
  readonly action: 'ban' | 'unban' | 'trust' | 'untrust'
  readonly kind: 'ip' | 'point' | 'peer'
  readonly entry: string
}

/** The events of an AccessControl. */
export interface AccessControlEvents {
  greylisted: [GreylistEvent]
  changed: [AclChange]
}

interface IpGreylistEntry extends GreylistedIp {
  readonly address: Uint16Array
}

interface PointGreylistEntry extends GreylistedPoint {
  readonly address: Uint16Array
}

/** A point parsed for the lists: its canonical text and its address. */
interface ParsedPoint {
  readonly key: string
  readonly address: Uint16Array
}

/** The reason given to a restored greylist entry whose snapshot recorded none. */
const UNKNOWN_REASON = 'unknown'

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new AclInputError('option', `${name} must be a positive integer, got ${value}`)
  }
  return value
}

/**
 * The access-control lists. IPs are keyed as IPv6 (10.1.2.3 and ::ffff:10.1.2.3 are one key)
 * and printed canonically ("10.1.2.3", "2001:db8::1", subnets "10.0.0.0/8").
 *
 * Precedence: for an IP, the longest administrator entry covering it decides (ban 10.0.0.0/8
 * and trust 10.1.0.0/16: 10.1.2.3 is trusted, 10.2.0.1 banned); banning an entry removes the
 * same entry from the trusts and trusting removes it from the bans, so the two never tie.
 * Without an entry, an unexpired greylist entry makes it `greylisted`. A point's own ban or
 * trust decides before its IP's status, and its own greylist entry counts when its IP is `ok`
 * (points are greylisted instead of their IP where nodes share it). Trusted IPs, points and
 * peers are never greylisted, and trusting or unbanning also lifts the greylist entries it covers.
 *
 * Queries (`is…`, `…Status`) are cheap: an IP costs a parse and one hash lookup per prefix
 * length in use in each list; a peer id costs Set and Map lookups and is not validated (an
 * unknown string is simply not listed). Changes validate their input and throw AclInputError.
 */
export class AccessControl extends EventEmitter<AccessControlEvents> {
  readonly greylistTimeoutMs: number
  readonly #clock: Clock
  readonly #bannedIps = new IpPrefixSet()
  readonly #trustedIps = new IpPrefixSet()
  readonly #bannedPoints = new Set<string>()
  readonly #trustedPoints = new Set<string>()
  readonly #bannedPeers = new Set<string>()
  readonly #trustedPeers = new Set<string>()
  /** Keyed by addressKey(address). */
  readonly #greylistedIps: Greylist<IpGreylistEntry>
  readonly #greylistedPeers: Greylist<GreylistedPeer>
  /** Keyed by the canonical point. */
  readonly #greylistedPoints: Greylist<PointGreylistEntry>
  /** Scratch address for queries. */
  readonly #scratch = new Uint16Array(IP_GROUPS)

  constructor(options: AccessControlOptions = {}) {
    super()
    this.greylistTimeoutMs = positiveInteger(
      options.greylistTimeoutMs,
      DEFAULT_GREYLIST_TIMEOUT_MS,
      'greylistTimeoutMs',
    )
    this.#greylistedIps = new Greylist(
      positiveInteger(options.maxGreylistedIps, DEFAULT_MAX_GREYLISTED_IPS, 'maxGreylistedIps'),
    )
    this.#greylistedPeers = new Greylist(
      positiveInteger(options.maxGreylistedPeers, DEFAULT_MAX_GREYLISTED_PEERS, 'maxGreylistedPeers'),
    )
    this.#greylistedPoints = new Greylist(
      positiveInteger(options.maxGreylistedPoints, DEFAULT_MAX_GREYLISTED_POINTS, 'maxGreylistedPoints'),
    )
    this.#clock = options.clock ?? systemClock
  }

  // ---- Administrator: IPs and subnets ----

  /** Bans an IP or subnet (and drops the same entry from the trusts); returns false if already banned. */
  banIp(ipOrCidr: string): boolean {
    const prefix = parseCidr(ipOrCidr)
    this.#trustedIps.delete(prefix)
    return this.#changed(this.#bannedIps.add(prefix), 'ban', 'ip', formatCidr(prefix))
  }

  /** Lifts the ban of exactly this IP or subnet and the greylist entries it covers; returns whether anything was lifted. */
  unbanIp(ipOrCidr: string): boolean {
    const prefix = parseCidr(ipOrCidr)
    const unbanned = this.#bannedIps.delete(prefix)
    const forgiven = this.#ungreylistCovered(prefix)
    return this.#changed(unbanned || forgiven > 0, 'unban', 'ip', formatCidr(prefix))
  }

  /** Trusts an IP or subnet (dropping the same ban and the greylist entries it covers); returns false if already trusted. */
  trustIp(ipOrCidr: string): boolean {
    const prefix = parseCidr(ipOrCidr)
    this.#bannedIps.delete(prefix)
    this.#ungreylistCovered(prefix)
    return this.#changed(this.#trustedIps.add(prefix), 'trust', 'ip', formatCidr(prefix))
  }

  /** Stops trusting exactly this IP or subnet; returns whether it was trusted. */
  untrustIp(ipOrCidr: string): boolean {
    const prefix = parseCidr(ipOrCidr)
    return this.#changed(this.#trustedIps.delete(prefix), 'untrust', 'ip', formatCidr(prefix))
  }

  // ---- Administrator: points ----

  /** Bans a point ("host:port"; dropping its trust); returns false if already banned. */
  banPoint(point: string): boolean {
    const { key } = this.#parsePoint(point)
    this.#trustedPoints.delete(key)
    return this.#changed(addNew(this.#bannedPoints, key), 'ban', 'point', key)
  }

  /** Lifts the ban and the greylist entry of a point (not of its IP); returns whether there was either. */
  unbanPoint(point: string): boolean {
    const { key } = this.#parsePoint(point)
    const unbanned = this.#bannedPoints.delete(key)
    const forgiven = this.#greylistedPoints.delete(key)
    return this.#changed(unbanned || forgiven, 'unban', 'point', key)
  }

  /** Trusts a point (dropping its ban and greylist entry); returns false if already trusted. */
  trustPoint(point: string): boolean {
    const { key } = this.#parsePoint(point)
    this.#bannedPoints.delete(key)
    this.#greylistedPoints.delete(key)
    return this.#changed(addNew(this.#trustedPoints, key), 'trust', 'point', key)
  }

  /** Stops trusting a point; returns whether it was trusted. */
  untrustPoint(point: string): boolean {
    const { key } = this.#parsePoint(point)
    return this.#changed(this.#trustedPoints.delete(key), 'untrust', 'point', key)
  }

  // ---- Administrator: peer ids ----

  /** Bans a peer id (base58 "id…"; dropping its trust); returns false if already banned. */
  banPeer(peerId: string): boolean {
    checkPeerId(peerId)
    this.#trustedPeers.delete(peerId)
    return this.#changed(addNew(this.#bannedPeers, peerId), 'ban', 'peer', peerId)
  }

  /** Lifts the ban and the greylist entry of a peer id; returns whether there was either. */
  unbanPeer(peerId: string): boolean {
    checkPeerId(peerId)
    const unbanned = this.#bannedPeers.delete(peerId)
    const forgiven = this.#greylistedPeers.delete(peerId)
    return this.#changed(unbanned || forgiven, 'unban', 'peer', peerId)
  }

  /** Trusts a peer id (dropping its ban and greylist entry); returns false if already trusted. */
  trustPeer(peerId: string): boolean {
    checkPeerId(peerId)
    this.#bannedPeers.delete(peerId)
    this.#greylistedPeers.delete(peerId)
    return this.#changed(addNew(this.#trustedPeers, peerId), 'trust', 'peer', peerId)
  }

  /** Stops trusting a peer id; returns whether it was trusted. */
  untrustPeer(peerId: string): boolean {
    checkPeerId(peerId)
    return this.#changed(this.#trustedPeers.delete(peerId), 'untrust', 'peer', peerId)
  }

  // ---- Greylist ----

  /**
   * Greylists an IP address for greylistTimeoutMs (renewing an entry makes it the newest),
   * dropping the oldest entry past maxGreylistedIps. A no-op returning false if the IP is
   * trusted; true otherwise. Emits `greylisted`.
   */
  greylistIp(ip: string, reason: string): boolean {
    const address = parseIp(ip)
    if (this.#ipStatusOf(address) === 'trusted') return false
    const entry = this.#greylistIpUntil(address, reason, this.#clock.now() + this.greylistTimeoutMs)
    this.emit('greylisted', { kind: 'ip', ip: entry.ip, reason, until: entry.until })
    return true
  }

  /**
   * Greylists a peer id for greylistTimeoutMs, dropping the oldest entry past
   * maxGreylistedPeers. A no-op returning false if the peer is trusted. Emits `greylisted`.
   */
  greylistPeer(peerId: string, reason: string): boolean {
    checkPeerId(peerId)
    if (this.#trustedPeers.has(peerId)) return false
    const until = this.#clock.now() + this.greylistTimeoutMs
    this.#greylistedPeers.set(peerId, { peerId, reason, until })
    this.emit('greylisted', { kind: 'peer', peerId, reason, until })
    return true
  }

  /**
   * Greylists a point, not its IP (nodes sharing an IP: the others stay welcome), dropping the oldest
   * past maxGreylistedPoints. A no-op returning false if it is trusted (itself or its IP). Emits `greylisted`.
   */
  greylistPoint(point: string, reason: string): boolean {
    const { key, address } = this.#parsePoint(point)
    if (this.#trustedPoints.has(key) || this.#ipStatusOf(address) === 'trusted') return false
    const until = this.#clock.now() + this.greylistTimeoutMs
    this.#greylistPointUntil(key, address, reason, until)
    this.emit('greylisted', { kind: 'point', point: key, reason, until })
    return true
  }

  /** Removes the greylist entries expired at `now` (default: the clock); returns how many. */
  gcGreylist(now: number = this.#clock.now()): number {
    return (
      this.#greylistedIps.collect(now) +
      this.#greylistedPeers.collect(now) +
      this.#greylistedPoints.collect(now)
    )
  }

  /** Empties the greylist (IPs, points and peer ids), leaving the administrator's lists; returns how many entries went. */
  flushGreylist(): number {
    return this.#greylistedIps.clear() + this.#greylistedPeers.clear() + this.#greylistedPoints.clear()
  }

  // ---- Queries ----

  /** Why the IP address is let in or not. Throws AclInputError if `ip` is not an IP address. */
  ipStatus(ip: string): AclStatus {
    return this.#ipStatusOf(parseIp(ip, this.#scratch))
  }

  /** Whether the IP is refused: banned (itself or a covering subnet) or greylisted. */
  isIpBanned(ip: string): boolean {
    const status = this.ipStatus(ip)
    return status === 'banned' || status === 'greylisted'
  }

  /** Whether the IP is trusted (the longest administrator entry covering it is a trust). */
  isIpTrusted(ip: string): boolean {
    return this.ipStatus(ip) === 'trusted'
  }

  /** Whether the IP has an active greylist entry (whatever the administrator's lists say). */
  isIpGreylisted(ip: string): boolean {
    return this.#ipGreylisted(parseIp(ip, this.#scratch))
  }

  /** Why the point is let in or not: its ban or trust, else its IP's status, else its greylist entry. Throws AclInputError. */
  pointStatus(point: string): AclStatus {
    const { key, address } = this.#parsePoint(point)
    if (this.#bannedPoints.has(key)) return 'banned'
    if (this.#trustedPoints.has(key)) return 'trusted'
    const status = this.#ipStatusOf(address)
    if (status !== 'ok' || this.#greylistedPoints.size === 0) return status
    return this.#greylistedPoints.active(key, this.#clock.now()) === undefined ? 'ok' : 'greylisted'
  }

  /** Whether the point has an active greylist entry of its own (whatever its IP's status). */
  isPointGreylisted(point: string): boolean {
    const { key } = this.#parsePoint(point)
    return this.#greylistedPoints.active(key, this.#clock.now()) !== undefined
  }

  /**
   * Whether a connection from `ip` may prove trusted once its peer id and point are known (some
   * peer id, or a point on `ip`, is trusted): the IP greylist does not refuse it before the handshake.
   */
  mayTrustSomeoneAt(ip: string): boolean {
    if (this.#trustedPeers.size > 0) return true
    if (this.#trustedPoints.size === 0) return false
    const address = parseIp(ip, this.#scratch)
    const text = formatIp(address)
    const prefix = isIpv4Mapped(address) ? `${text}:` : `[${text}]:`
    for (const key of this.#trustedPoints) if (key.startsWith(prefix)) return true
    return false
  }

  /** Whether the point is refused: banned itself, or its IP banned or greylisted, or itself greylisted (unless the point is trusted). */
  isPointBanned(point: string): boolean {
    const status = this.pointStatus(point)
    return status === 'banned' || status === 'greylisted'
  }

  /** Whether the point is trusted, itself or through its IP. */
  isPointTrusted(point: string): boolean {
    return this.pointStatus(point) === 'trusted'
  }

  /** Why the peer id is let in or not. Not validated: an unknown string is `ok`. */
  peerStatus(peerId: string): AclStatus {
    if (typeof peerId !== 'string')
      throw new AclInputError('peer_id', `a peer id must be a string, got ${typeof peerId}`)
    if (this.#bannedPeers.has(peerId)) return 'banned'
    if (this.#trustedPeers.has(peerId)) return 'trusted'
    if (this.#greylistedPeers.active(peerId, this.#clock.now()) !== undefined) return 'greylisted'
    return 'ok'
  }

  /** Whether the peer id is refused: banned or greylisted. */
  isPeerBanned(peerId: string): boolean {
    const status = this.peerStatus(peerId)
    return status === 'banned' || status === 'greylisted'
  }

  /** Whether the administrator trusts the peer id. */
  isPeerTrusted(peerId: string): boolean {
    return this.peerStatus(peerId) === 'trusted'
  }

  /** Whether the peer id has an active greylist entry. */
  isPeerGreylisted(peerId: string): boolean {
    return this.peerStatus(peerId) === 'greylisted'
  }

  // ---- Listing and persistence ----

  /** The administrator's bans, printed canonically (IPs and subnets shortest prefix first). */
  bans(): AclList {
    return { ips: this.#bannedIps.entries(), points: [...this.#bannedPoints], peers: [...this.#bannedPeers] }
  }

  /** The administrator's trusts. */
  trusts(): AclList {
    return {
      ips: this.#trustedIps.entries(),
      points: [...this.#trustedPoints],
      peers: [...this.#trustedPeers],
    }
  }

  /** The active greylist entries, oldest first. */
  greylist(): { ips: GreylistedIp[]; points: GreylistedPoint[]; peers: GreylistedPeer[] } {
    const now = this.#clock.now()
    return {
      ips: this.#greylistedIps.activeEntries(now).map(({ ip, reason, until }) => ({ ip, reason, until })),
      points: this.#greylistedPoints
        .activeEntries(now)
        .map(({ point, reason, until }) => ({ point, reason, until })),
      peers: this.#greylistedPeers
        .activeEntries(now)
        .map(({ peerId, reason, until }) => ({ peerId, reason, until })),
    }
  }

  /** The lists as saved: the administrator's bans and trusts and the active greylist entries. */
  toJSON(): AclSnapshot {
    const bans = this.bans()
    const trusts = this.trusts()
    const greylist = this.greylist()
    return {
      bannedIps: bans.ips,
      bannedPoints: bans.points,
      bannedPeers: bans.peers,
      trustedIps: trusts.ips,
      trustedPoints: trusts.points,
      trustedPeers: trusts.peers,
      greylistedIps: greylist.ips,
      greylistedPeers: greylist.peers,
      greylistedPoints: greylist.points,
    }
  }

  /**
   * Rebuilds the lists from a snapshot (see toJSON), checking every entry. Greylist entries
   * already expired, or on trusted entries, are skipped. Throws AclInputError (kind `snapshot`,
   * the cause saying which entry) on bad data, including an entry both banned and trusted.
   */
  static fromJSON(data: unknown, options: AccessControlOptions = {}): AccessControl {
    const snapshot = checkSnapshotShape(data)
    const acl = new AccessControl(options)
    acl.#load(snapshot)
    return acl
  }

  #load(snapshot: AclSnapshot): void {
    const now = this.#clock.now()
    const each = <T>(field: keyof AclSnapshot, entries: readonly T[], load: (entry: T) => void) => {
      entries.forEach((entry, i) => {
        try {
          load(entry)
        } catch (err) {
          if (!(err instanceof AclInputError)) throw err
          throw new AclInputError('snapshot', `bad ACL snapshot at ${field}.${i}: ${err.message}`, {
            cause: err,
          })
        }
      })
    }
    const notBanned = (banned: boolean, entry: string) => {
      if (banned) throw new AclInputError('snapshot', `${JSON.stringify(entry)} is both banned and trusted`)
    }
    each('bannedIps', snapshot.bannedIps, (entry) => this.#bannedIps.add(entry))
    each('bannedPoints', snapshot.bannedPoints, (entry) =>
      this.#bannedPoints.add(this.#parsePoint(entry).key),
    )
    each('bannedPeers', snapshot.bannedPeers, (entry) => this.#bannedPeers.add(checkPeerId(entry)))
    each('trustedIps', snapshot.trustedIps, (entry) => {
      const prefix = parseCidr(entry)
      notBanned(this.#bannedIps.hasEntry(prefix), entry)
      this.#trustedIps.add(prefix)
    })
    each('trustedPoints', snapshot.trustedPoints, (entry) => {
      const { key } = this.#parsePoint(entry)
      notBanned(this.#bannedPoints.has(key), entry)
      this.#trustedPoints.add(key)
    })
    each('trustedPeers', snapshot.trustedPeers, (entry) => {
      notBanned(this.#bannedPeers.has(checkPeerId(entry)), entry)
      this.#trustedPeers.add(entry)
    })
    each('greylistedIps', snapshot.greylistedIps ?? [], ({ ip, until, reason }) => {
      const address = parseIp(ip)
      if (now >= until || this.#ipStatusOf(address) === 'trusted') return
      this.#greylistIpUntil(address, reason ?? UNKNOWN_REASON, until)
    })
    each('greylistedPeers', snapshot.greylistedPeers ?? [], ({ peerId, until, reason }) => {
      checkPeerId(peerId)
      if (now >= until || this.#trustedPeers.has(peerId)) return
      this.#greylistedPeers.set(peerId, { peerId, reason: reason ?? UNKNOWN_REASON, until })
    })
    each('greylistedPoints', snapshot.greylistedPoints ?? [], ({ point, until, reason }) => {
      const { key, address } = this.#parsePoint(point)
      if (now >= until || this.#trustedPoints.has(key) || this.#ipStatusOf(address) === 'trusted') return
      this.#greylistPointUntil(key, address, reason ?? UNKNOWN_REASON, until)
    })
  }

  // ---- Internals ----

  #ipStatusOf(address: Uint16Array): AclStatus {
    const banned = this.#bannedIps.matchLength(address)
    const trusted = this.#trustedIps.matchLength(address)
    if (trusted > banned) return 'trusted'
    if (banned >= 0) return 'banned'
    return this.#ipGreylisted(address) ? 'greylisted' : 'ok'
  }

  #ipGreylisted(address: Uint16Array): boolean {
    const greylist = this.#greylistedIps
    return greylist.size > 0 && greylist.active(addressKey(address), this.#clock.now()) !== undefined
  }

  #greylistIpUntil(address: Uint16Array, reason: string, until: number): IpGreylistEntry {
    const entry = { ip: formatIp(address), reason, until, address }
    this.#greylistedIps.set(addressKey(address), entry)
    return entry
  }

  #greylistPointUntil(key: string, address: Uint16Array, reason: string, until: number): void {
    this.#greylistedPoints.set(key, { point: key, reason, until, address: Uint16Array.from(address) })
  }

  /** Lifts the greylist entries of the IPs and points `prefix` covers; returns how many. */
  #ungreylistCovered(prefix: IpPrefix): number {
    const covered = (entry: { address: Uint16Array }) => prefixContains(prefix, entry.address)
    return this.#greylistedIps.deleteWhere(covered) + this.#greylistedPoints.deleteWhere(covered)
  }

  #parsePoint(point: string): ParsedPoint {
    if (typeof point !== 'string')
      throw new AclInputError('point', `a point must be a string, got ${typeof point}`)
    let parsed: Point
    try {
      parsed = parsePoint(point)
    } catch (err) {
      if (!isDuneP2pError(err)) throw err
      throw new AclInputError('point', err.message, { cause: err })
    }
    const { host, port } = parsed
    const address = parseIp(host, this.#scratch)
    const ip = formatIp(address)
    return { key: isIpv4Mapped(address) ? `${ip}:${port}` : `[${ip}]:${port}`, address }
  }

  #changed(changed: boolean, action: AclChange['action'], kind: AclChange['kind'], entry: string): boolean {
    if (changed) this.emit('changed', { action, kind, entry })
    return changed
  }
}

/** Adds `value` to `set`; returns whether it was new. */
function addNew(set: Set<string>, value: string): boolean {
  if (set.has(value)) return false
  set.add(value)
  return true
}

/** Checks a base58 peer id; returns it, or throws AclInputError (kind `peer_id`). */
function checkPeerId(peerId: string): string {
  try {
    peerIdFromB58(peerId)
    return peerId
  } catch (err) {
    if (!isDuneP2pError(err)) throw err
    throw new AclInputError('peer_id', err.message, { cause: err })
  }
}
