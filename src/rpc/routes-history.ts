// GET /network/points/<p>/log and /network/peers/<id>/log (Octez's routes): the last events of
// a point or a peer, and with ?monitor=true a stream of the new ones, one JSON array a line.
import type { ServerResponse } from 'node:http'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { peerIdFromB58 } from '../crypto/index.js'
import { canonicalPointAddress, type PeerEvent, type PointEvent } from '../pool/index.js'
import { errorBody, RpcError } from './errors.js'
import type { AnyP2p } from './shapes.js'

/** A point event as JSON (Octez's p2p_point.pool_event, snake_case; times in ms). */
export interface PointEventJson {
  kind: PointEvent['kind']
  timestamp: number
  peer_id: string | null
  detail: string | null
}

/** A peer event as JSON (Octez's p2p_peer.pool_event: the connection's address and port). */
export interface PeerEventJson {
  kind: PeerEvent['kind']
  timestamp: number
  addr: string
  port: number | null
  detail: string | null
}

export function pointEventJson(e: PointEvent): PointEventJson {
  return { kind: e.kind, timestamp: e.at, peer_id: e.peerId ?? null, detail: e.detail ?? null }
}

export function peerEventJson(e: PeerEvent): PeerEventJson {
  return { kind: e.kind, timestamp: e.at, addr: e.address, port: e.port ?? null, detail: e.detail ?? null }
}

/** A monitor whose reader lags this far behind is closed (the node never buffers more for it). */
const MAX_UNREAD_BYTES = 1024 * 1024
/** Monitors open at once, both routes together (503 past it, as GET /network/log's subscribers). */
export const MAX_HISTORY_MONITORS = 16

const logQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { monitor: { type: 'boolean' } },
} as const
const pointSchema = {
  params: {
    type: 'object',
    required: ['point'],
    properties: { point: { type: 'string', minLength: 1, maxLength: 260 } },
  },
  querystring: logQuery,
} as const
const peerSchema = {
  params: {
    type: 'object',
    required: ['peer_id'],
    properties: { peer_id: { type: 'string', minLength: 1, maxLength: 64 } },
  },
  querystring: logQuery,
} as const

type Monitor = { monitor?: boolean }

/** Registers the two log routes; open monitors end when the server closes. */
export function registerHistoryRoutes(app: FastifyInstance, p2p: AnyP2p): void {
  const open = new Set<ServerResponse>()
  app.addHook('preClose', (done) => {
    for (const raw of open) raw.end()
    open.clear()
    done()
  })

  /** Streams `first` as one line, then each event `subscribe` hands over, as `[event]` lines. */
  function monitor(
    reply: FastifyReply,
    first: unknown[],
    subscribe: (push: (e: unknown) => void) => () => void,
  ): FastifyReply {
    if (open.size >= MAX_HISTORY_MONITORS) {
      return reply
        .status(503)
        .send(errorBody('BUSY', `${MAX_HISTORY_MONITORS} log monitors are open already; close one and retry`))
    }
    reply.hijack()
    const raw = reply.raw
    raw.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' })
    raw.write(`${JSON.stringify(first)}\n`)
    open.add(raw)
    const unsubscribe = subscribe((event) => {
      if (raw.writableLength > MAX_UNREAD_BYTES) {
        raw.end()
        return
      }
      raw.write(`${JSON.stringify([event])}\n`)
    })
    const stop = (): void => {
      unsubscribe()
      open.delete(raw)
    }
    raw.on('close', stop)
    reply.request.raw.on('close', stop)
    return reply
  }

  app.get<{ Params: { point: string }; Querystring: Monitor }>(
    '/network/points/:point/log',
    { schema: pointSchema },
    async (request, reply) => {
      const text = request.params.point
      const point = text.includes('#') ? undefined : canonicalPointAddress(text)
      if (point === undefined)
        throw new RpcError('BAD_REQUEST', `point ${JSON.stringify(text)} is not HOST:PORT`)
      const events = p2p.pointLog(point)
      if (events === undefined) throw new RpcError('NOT_FOUND', `unknown point ${point}`)
      const first = events.map(pointEventJson)
      if (!request.query.monitor) return first
      return monitor(reply, first, (push) => {
        const listener = (e: { point: string; event: PointEvent }) => {
          if (e.point === point) push(pointEventJson(e.event))
        }
        p2p.on('point-event', listener)
        return () => p2p.off('point-event', listener)
      })
    },
  )

  app.get<{ Params: { peer_id: string }; Querystring: Monitor }>(
    '/network/peers/:peer_id/log',
    { schema: peerSchema },
    async (request, reply) => {
      const peerId = request.params.peer_id
      try {
        peerIdFromB58(peerId)
      } catch (err) {
        throw new RpcError(
          'BAD_REQUEST',
          `peer_id ${JSON.stringify(peerId)} is not a peer id (base58 "id...")`,
          {
            cause: err,
          },
        )
      }
      const events = p2p.peerLog(peerId)
      if (events === undefined) throw new RpcError('NOT_FOUND', `unknown peer ${peerId}`)
      const first = events.map(peerEventJson)
      if (!request.query.monitor) return first
      return monitor(reply, first, (push) => {
        const listener = (e: { peerId: string; event: PeerEvent }) => {
          if (e.peerId === peerId) push(peerEventJson(e.event))
        }
        p2p.on('peer-event', listener)
        return () => p2p.off('peer-event', listener)
      })
    },
  )
}
