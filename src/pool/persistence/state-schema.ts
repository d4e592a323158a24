// The pool's saved state (known points, known peers, ACL lists) and the form of peers.json:
// the types, their zod schema, and turning file text into a checked state or a typed error.
import { isIP } from 'node:net'
import { z } from 'zod'
import type { AclSnapshot } from '../../acl/snapshot.js'
import { peerIdFromB58 } from '../../crypto/peer-id.js'
import { DuneP2pError } from '../../errors/index.js'
import { pointSyntaxError } from '../../wire/point.js'
import { pointAddressError } from '../point-address.js'

/** Version of the peers.json layout this code writes and reads. */
export const STATE_VERSION = 1

/** A known point ("host:port"). Times are wall-clock milliseconds (Date.now()). */
export interface KnownPoint {
  point: string
  trusted: boolean
  lastAttempt?: number | undefined
  lastFailure?: number | undefined
  lastEstablished?: number | undefined
  lastDisconnect?: number | undefined
  /** Failed connection attempts in a row (drives the reconnection backoff). */
  failures?: number | undefined
  greylistedUntil?: number | undefined
  /** Base58 id of the peer last met at this point. */
  peerId?: string | undefined
  /** Base58 id of the peer expected at this point (pinned); another one is refused. */
  expectedPeerId?: string | undefined
}

/** A known peer, by base58 peer id. */
export interface KnownPeer {
  peerId: string
  trusted: boolean
  lastSeen?: number | undefined
  /** Points where the peer was met. */
  points: string[]
  score?: number | undefined
  /** Whatever JSON the library's user keeps about the peer (not checked: JSON.parse made it). */
  metadata?: unknown
}

/** Everything the pool keeps across restarts. */
export interface PoolState {
  points: KnownPoint[]
  peers: KnownPeer[]
  /** The administrator's lists and the greylist, as `AccessControl.toJSON()` gives them. */
  acl: AclSnapshot
}

/** A state with nothing known. */
export function emptyPoolState(): PoolState {
  return {
    points: [],
    peers: [],
    acl: {
      bannedIps: [],
      bannedPoints: [],
      bannedPeers: [],
      trustedIps: [],
      trustedPoints: [],
      trustedPeers: [],
    },
  }
}

export type StateFileErrorCode = 'DUNE_STATE_JSON' | 'DUNE_STATE_VERSION' | 'DUNE_STATE_SCHEMA'

/** peers.json text that is not JSON, has a version this code cannot read, or breaks the schema (first bad field in `field`). */
export class StateFileError extends DuneP2pError {
  declare readonly code: StateFileErrorCode
  /** Path of the first bad field, e.g. `points.3.point`; undefined unless code is DUNE_STATE_SCHEMA. */
  readonly field: string | undefined

  constructor(
    code: StateFileErrorCode,
    message: string,
    options: { cause?: unknown; field?: string | undefined } = {},
  ) {
    super(code, message, options)
    this.field = options.field
  }
}

function checked(why: (s: string) => string | undefined) {
  return z.string().check((ctx) => {
    const problem = why(ctx.value)
    if (problem !== undefined) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value })
  })
}

function peerIdError(s: string): string | undefined {
  try {
    peerIdFromB58(s)
    return undefined
  } catch (err) {
    return (err as Error).message
  }
}

function ipOrSubnetError(s: string): string | undefined {
  const slash = s.indexOf('/')
  const address = slash < 0 ? s : s.slice(0, slash)
  const family = isIP(address)
  if (family === 0 || address.includes('%')) return `${JSON.stringify(s)} is not an IP address or subnet`
  if (slash < 0) return undefined
  const bits = s.slice(slash + 1)
  const max = family === 4 ? 32 : 128
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max)
    return `${JSON.stringify(s)}: prefix length must be 0..${max}`
  return undefined
}

const point = checked(pointSyntaxError)
/** A known point may be named by DNS name (from the config); never with a "#PEER_ID". */
const knownPoint = checked((s) =>
  s.includes('#') ? 'a saved point has no "#PEER_ID"' : pointAddressError(s),
)
const peerId = checked(peerIdError)
const ipOrSubnet = checked(ipOrSubnetError)
const time = z.int().min(0)

const knownPointSchema = z.object({
  point: knownPoint,
  trusted: z.boolean(),
  lastAttempt: time.optional(),
  lastFailure: time.optional(),
  lastEstablished: time.optional(),
  lastDisconnect: time.optional(),
  failures: z.int().min(0).optional(),
  greylistedUntil: time.optional(),
  peerId: peerId.optional(),
  expectedPeerId: peerId.optional(),
})

const knownPeerSchema = z.object({
  peerId,
  trusted: z.boolean(),
  lastSeen: time.optional(),
  points: z.array(knownPoint),
  score: z.number().optional(),
  metadata: z.unknown().optional(),
})

const aclSchema = z.object({
  bannedIps: z.array(ipOrSubnet),
  bannedPoints: z.array(point),
  bannedPeers: z.array(peerId),
  trustedIps: z.array(ipOrSubnet),
  trustedPoints: z.array(point),
  trustedPeers: z.array(peerId),
  greylistedIps: z.array(z.object({ ip: ipOrSubnet, until: time, reason: z.string().optional() })).optional(),
  greylistedPeers: z.array(z.object({ peerId, until: time, reason: z.string().optional() })).optional(),
  greylistedPoints: z.array(z.object({ point, until: time, reason: z.string().optional() })).optional(),
})

/** A version-1 file (its version field is checked before). Unknown keys are dropped. */
const poolStateSchema: z.ZodType<PoolState> = z.object({
  points: z.array(knownPointSchema),
  peers: z.array(knownPeerSchema),
  acl: aclSchema,
})

/** Checks a state against the schema; returns it with unknown keys dropped, or throws StateFileError (DUNE_STATE_SCHEMA). */
function checkPoolState(value: unknown): PoolState {
  const result = poolStateSchema.safeParse(value)
  if (result.success) return result.data
  const issues = result.error.issues
  const describe = (issue: z.core.$ZodIssue) => `${issue.path.join('.') || '(top)'}: ${issue.message}`
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : ''
  throw new StateFileError(
    'DUNE_STATE_SCHEMA',
    `bad field ${issues.slice(0, 3).map(describe).join('; ')}${more}`,
    {
      cause: result.error,
      field: issues[0]?.path.join('.'),
    },
  )
}

/** Parses the text of peers.json; throws StateFileError saying what is wrong. */
export function parseStateFile(text: string): PoolState {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    const what = text.length === 0 ? 'empty file' : (err as Error).message
    throw new StateFileError('DUNE_STATE_JSON', `not valid JSON (truncated?): ${what}`, { cause: err })
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new StateFileError('DUNE_STATE_SCHEMA', 'the file does not hold a JSON object', { field: '' })
  }
  const { version } = json as { version?: unknown }
  if (version !== STATE_VERSION) {
    const found = version === undefined ? 'no version field' : `version ${JSON.stringify(version)}`
    throw new StateFileError('DUNE_STATE_VERSION', `${found}; this node reads version ${STATE_VERSION}`)
  }
  return checkPoolState(json)
}

/** The text of peers.json for `state` (compact JSON, one line). */
export function stateFileText(state: PoolState): string {
  return `${JSON.stringify({ version: STATE_VERSION, ...state })}\n`
}
