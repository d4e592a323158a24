// The saved form of the access-control lists (what the node keeps in peers.json under "acl"):
// the type and a shape check that turns anything else into a typed error.
import { z } from 'zod'
import { AclInputError } from './errors.js'

/** A greylisted IP address in a snapshot; `until` is a time of the ACL clock (wall-clock ms by default). */
export interface GreylistedIpRecord {
  ip: string
  until: number
  reason?: string | undefined
}

/** A greylisted peer id (base58) in a snapshot. */
export interface GreylistedPeerRecord {
  peerId: string
  until: number
  reason?: string | undefined
}

/** A greylisted point ("host:port") in a snapshot. */
export interface GreylistedPointRecord {
  point: string
  until: number
  reason?: string | undefined
}

/**
 * The lists, printed: IPs as addresses or subnets ("10.1.2.3", "10.0.0.0/8", "2001:db8::/32"),
 * points as "host:port" / "[v6]:port", peer ids in base58 ("id…"). Greylist entries oldest first.
 */
export interface AclSnapshot {
  bannedIps: string[]
  bannedPoints: string[]
  bannedPeers: string[]
  trustedIps: string[]
  trustedPoints: string[]
  trustedPeers: string[]
  greylistedIps?: GreylistedIpRecord[] | undefined
  greylistedPeers?: GreylistedPeerRecord[] | undefined
  greylistedPoints?: GreylistedPointRecord[] | undefined
}

const strings = z.array(z.string())
const until = z.number()

const snapshotSchema: z.ZodType<AclSnapshot> = z.object({
  bannedIps: strings,
  bannedPoints: strings,
  bannedPeers: strings,
  trustedIps: strings,
  trustedPoints: strings,
  trustedPeers: strings,
  greylistedIps: z.array(z.object({ ip: z.string(), until, reason: z.string().optional() })).optional(),
  greylistedPeers: z.array(z.object({ peerId: z.string(), until, reason: z.string().optional() })).optional(),
  greylistedPoints: z.array(z.object({ point: z.string(), until, reason: z.string().optional() })).optional(),
})

/**
 * Checks that `data` has the shape of a snapshot (the entries themselves are checked as they
 * are loaded); returns it with unknown keys dropped, or throws AclInputError (kind `snapshot`).
 */
export function checkSnapshotShape(data: unknown): AclSnapshot {
  const result = snapshotSchema.safeParse(data)
  if (result.success) return result.data
  const [issue] = result.error.issues
  if (issue === undefined) throw result.error // a failed parse reports at least one issue
  const where = issue.path.length === 0 ? '(top)' : issue.path.join('.')
  throw new AclInputError('snapshot', `bad ACL snapshot at ${where}: ${issue.message}`, {
    cause: result.error,
  })
}
