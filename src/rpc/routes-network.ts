// The /network/... routes of the admin RPC (docs/RPC.md), modelled on Octez's: statistics,
// connections, peers, points and their ACL, the greylist, connecting, scores and admission rules.
import type { FastifyInstance } from 'fastify'
import { parseCidr } from '../acl/index.js'
import { peerIdFromB58 } from '../crypto/index.js'
import { canonicalPoint, canonicalPointAddress, isNamedPoint } from '../pool/index.js'
import type { ObservedHeads } from '../shell/observer.js'
import { RpcError } from './errors.js'
import type { EventFeed } from './event-log.js'
import { type AclAction, schemas } from './schemas.js'
import {
  type AnyP2p,
  aclJson,
  admissionJson,
  connectionJson,
  greylistJson,
  peerJson,
  peerWithHeadJson,
  pointJson,
  scoresJson,
  statJson,
} from './shapes.js'

type PeerParams = { Params: { peer_id: string } }
type PointParams = { Params: { point: string } }
type AclBody = { Body: { acl: AclAction } }
type PointPatchBody = { Body: { acl?: AclAction; peer_id?: string } }

/** A checked peer id; 400 when it is not one. */
function peerIdParam(text: string): string {
  try {
    peerIdFromB58(text)
  } catch (err) {
    throw new RpcError(
      'BAD_REQUEST',
      `peer_id ${JSON.stringify(text)} is not a peer id (base58 "id..."): ${(err as Error).message}`,
      { cause: err },
    )
  }
  return text
}

/** The canonical point (an IP or a DNS name, and a port); 400 when it is not HOST:PORT. */
function pointParam(text: string): string {
  const point = text.includes('#') ? undefined : canonicalPointAddress(text)
  if (point === undefined) {
    throw new RpcError(
      'BAD_REQUEST',
      `point ${JSON.stringify(text)} is not HOST:PORT (an IP address, an IPv6 address in brackets, or a DNS name; URL-encode the ':')`,
    )
  }
  return point
}

/** What an ACL path names: a point (IP:PORT), an IP address, or a CIDR prefix; 400 otherwise. */
function addressParam(text: string): { kind: 'point' | 'ip' | 'cidr'; value: string } {
  const point = canonicalPoint(text)
  if (point !== undefined) return { kind: 'point', value: point }
  try {
    parseCidr(text)
  } catch {
    throw new RpcError(
      'BAD_REQUEST',
      `${JSON.stringify(text)} is neither a point (IP:PORT), an IP address nor a CIDR prefix`,
    )
  }
  return { kind: text.includes('/') ? 'cidr' : 'ip', value: text }
}

/** The ACL status of a point, an IP, or a prefix (whose first address's status stands for it). */
function addressStatus(
  p2p: AnyP2p,
  a: { kind: string; value: string },
): { banned: boolean; trusted: boolean } {
  if (a.kind === 'point')
    return { banned: p2p.acl.isPointBanned(a.value), trusted: p2p.acl.isPointTrusted(a.value) }
  const ip = a.value.split('/', 1)[0] ?? a.value
  return { banned: p2p.acl.isIpBanned(ip), trusted: p2p.acl.isIpTrusted(ip) }
}

/** Registers the /network routes. */
export function registerNetworkRoutes(
  app: FastifyInstance,
  p2p: AnyP2p,
  feed: EventFeed,
  startedAt: number,
  /** The observer's heads: /network/peers then shows each peer's `head`. */
  heads?: ObservedHeads,
): void {
  app.get('/network/self', async () => ({ peer_id: p2p.peerId }))
  app.get('/network/stat', async () => statJson(p2p, startedAt))

  // ---- Connections ----

  app.get('/network/connections', async () => p2p.connections().map(connectionJson))

  app.get<PeerParams>('/network/connections/:peer_id', { schema: schemas.peer }, async (request) => {
    const id = peerIdParam(request.params.peer_id)
    const c = p2p.connection(id)
    if (!c) throw new RpcError('NOT_FOUND', `no connection with peer ${id}`)
    return connectionJson(c)
  })

  app.delete<PeerParams>('/network/connections/:peer_id', { schema: schemas.peer }, async (request) => {
    const id = peerIdParam(request.params.peer_id)
    if (!p2p.connection(id)) throw new RpcError('NOT_FOUND', `no connection with peer ${id}`)
    await p2p.disconnect(id, 'kicked by the administrator')
    return { ok: true }
  })

  // ---- Peers ----

  app.get('/network/peers', async () => p2p.peers().map((p) => peerWithHeadJson(p, heads)))

  app.get<PeerParams>('/network/peers/:peer_id', { schema: schemas.peer }, async (request) => {
    const id = peerIdParam(request.params.peer_id)
    const peer = p2p.peer(id)
    if (!peer) throw new RpcError('NOT_FOUND', `unknown peer ${id}`)
    return peerWithHeadJson(peer, heads)
  })

  app.patch<PeerParams & AclBody>('/network/peers/:peer_id', { schema: schemas.peerAcl }, async (request) => {
    const id = peerIdParam(request.params.peer_id)
    const acl = p2p.acl
    const actions = { ban: acl.banPeer, unban: acl.unbanPeer, trust: acl.trustPeer, untrust: acl.untrustPeer }
    actions[request.body.acl].call(acl, id)
    const peer = p2p.peer(id)
    return peer
      ? peerJson(peer)
      : { peer_id: id, banned: acl.isPeerBanned(id), trusted: acl.isPeerTrusted(id) }
  })

  app.get<PeerParams>('/network/peers/:peer_id/banned', { schema: schemas.peer }, async (request) => {
    const id = peerIdParam(request.params.peer_id)
    return { banned: p2p.acl.isPeerBanned(id) }
  })

  app.delete<PeerParams>('/network/peers/:peer_id', { schema: schemas.peer }, async (request) => {
    const id = peerIdParam(request.params.peer_id)
    if (!p2p.peer(id)) throw new RpcError('NOT_FOUND', `unknown peer ${id}`)
    if (!p2p.forgetPeer(id)) {
      throw new RpcError(
        'CONFLICT',
        `peer ${id} is connected; kick it first (DELETE /network/connections/${id})`,
      )
    }
    feed.publish('acl', { action: 'forget', kind: 'peer', target: id })
    return { ok: true }
  })

  // ---- Points ----

  app.get('/network/points', async () => p2p.points().map(pointJson))

  app.get<PointParams>('/network/points/:point', { schema: schemas.point }, async (request) => {
    const point = pointParam(request.params.point)
    const info = p2p.point(point)
    if (!info) throw new RpcError('NOT_FOUND', `unknown point ${point}`)
    return pointJson(info)
  })

  app.put<PointParams & { Body: { timeout_ms?: number } | undefined }>(
    '/network/points/:point',
    {
      schema: schemas.connect,
      // No body at all means no options.
      preValidation: (request, _reply, done) => {
        request.body ??= {}
        done()
      },
    },
    async (request) => {
      const point = pointParam(request.params.point)
      const timeoutMs = request.body?.timeout_ms
      // The dial and handshake have their own deadlines (up to timeout_ms): the connection's idle
      // timeout must not cut a long one short.
      const socket = request.raw.socket
      socket.setTimeout(0)
      try {
        return connectionJson(await p2p.connect(point, timeoutMs ? { timeoutMs } : {}))
      } catch (err) {
        throw new RpcError('CONNECT_FAILED', `cannot connect to ${point}: ${(err as Error).message}`, {
          cause: err,
        })
      } finally {
        socket.setTimeout(app.initialConfig.connectionTimeout ?? 0)
      }
    },
  )

  app.patch<PointParams & PointPatchBody>(
    '/network/points/:point',
    { schema: schemas.pointAcl },
    async (request) => {
      const { acl: action, peer_id: peerId } = request.body
      if (peerId !== undefined) {
        // Pinning (Octez's PATCH with a peer id): the point may be a DNS name.
        const point = pointParam(request.params.point)
        peerIdParam(peerId)
        if (!p2p.setExpectedPeerId(point, peerId))
          throw new RpcError('CONFLICT', `the table of known points is full; cannot pin ${point}`)
        if (action === undefined) return { point, expected_peer_id: peerId }
      }
      const text = request.params.point
      if (isNamedPoint(text) && canonicalPointAddress(text) !== undefined) {
        throw new RpcError(
          'BAD_REQUEST',
          `the ACL holds IP addresses: ban or trust the address ${JSON.stringify(text)} resolves to, not its name`,
        )
      }
      const address = addressParam(text)
      const acl = p2p.acl
      const actions =
        address.kind === 'point'
          ? { ban: acl.banPoint, unban: acl.unbanPoint, trust: acl.trustPoint, untrust: acl.untrustPoint }
          : { ban: acl.banIp, unban: acl.unbanIp, trust: acl.trustIp, untrust: acl.untrustIp }
      actions[action!].call(acl, address.value)
      return {
        point: address.value,
        ...addressStatus(p2p, address),
        ...(peerId === undefined ? {} : { expected_peer_id: peerId }),
      }
    },
  )

  app.get<PointParams>('/network/points/:point/banned', { schema: schemas.point }, async (request) => {
    const address = addressParam(request.params.point)
    return { banned: addressStatus(p2p, address).banned }
  })

  app.delete<PointParams>('/network/points/:point', { schema: schemas.point }, async (request) => {
    const point = pointParam(request.params.point)
    if (!p2p.point(point)) throw new RpcError('NOT_FOUND', `unknown point ${point}`)
    if (!p2p.forgetPoint(point)) {
      throw new RpcError('CONFLICT', `point ${point} is connected or being connected; kick its peer first`)
    }
    feed.publish('acl', { action: 'forget', kind: 'point', target: point })
    return { ok: true }
  })

  // ---- ACL and greylist ----

  app.get('/network/greylist', async () => greylistJson(p2p))

  app.delete('/network/greylist', async () => {
    const cleared = p2p.acl.flushGreylist()
    feed.publish('acl', { action: 'flush_greylist', kind: 'greylist', target: 'greylist' })
    return { cleared }
  })

  app.get('/network/acl', async () => aclJson(p2p))

  // ---- Scores and admission rules ----

  app.get('/network/scores', async () => scoresJson(p2p))
  app.get('/network/admission', async () => admissionJson(p2p))
}
