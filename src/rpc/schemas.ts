// JSON schemas of the admin RPC's parameters, query strings and bodies, checked by fastify
// before a handler runs (a mismatch is a 400 naming the field; nothing is coerced or dropped).

const peerIdParams = {
  type: 'object',
  required: ['peer_id'],
  properties: { peer_id: { type: 'string', minLength: 1, maxLength: 64 } },
} as const

const pointParams = {
  type: 'object',
  required: ['point'],
  // A DNS name may be 253 characters long, plus ":PORT".
  properties: { point: { type: 'string', minLength: 1, maxLength: 260 } },
} as const

const aclBody = {
  type: 'object',
  required: ['acl'],
  additionalProperties: false,
  properties: { acl: { type: 'string', enum: ['ban', 'unban', 'trust', 'untrust'] } },
} as const

/** PATCH /network/points/:point: an ACL action, the peer id to pin the point to, or both (Octez). */
const pointPatchBody = {
  type: 'object',
  minProperties: 1,
  additionalProperties: false,
  properties: {
    acl: { type: 'string', enum: ['ban', 'unban', 'trust', 'untrust'] },
    peer_id: { type: 'string', minLength: 1, maxLength: 64 },
  },
} as const

/** PUT /network/points/:point: an optional body. */
const connectBody = {
  type: 'object',
  additionalProperties: false,
  properties: { timeout_ms: { type: 'integer', minimum: 1, maximum: 600_000 } },
} as const

/** Query values are strings (never coerced); the handler checks the range. */
const logQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { stat_interval_ms: { type: 'string', maxLength: 16 } },
} as const

export const schemas = {
  peer: { params: peerIdParams },
  peerAcl: { params: peerIdParams, body: aclBody },
  point: { params: pointParams },
  pointAcl: { params: pointParams, body: pointPatchBody },
  connect: { params: pointParams, body: connectBody },
  log: { querystring: logQuery },
} as const

export type AclAction = 'ban' | 'unban' | 'trust' | 'untrust'
