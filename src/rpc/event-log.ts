// GET /network/log: the node's events (connections, greylisting, refusals, evictions, low scores,
// maintenance steps, ACL changes, gossip) as server-sent events, from a feed on the P2p instance.
import { EventEmitter } from 'node:events'
import type { ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'
import type { AclChange, GreylistEvent } from '../acl/index.js'
import type { ConnectionEvent } from '../pool/index.js'
import type { GossipEvent, GossipService } from '../shell/gossip.js'
import type { CloseReason } from '../socket/errors.js'
import { describeCloseReason } from '../socket/index.js'
import type { StepReport } from '../workers/maintenance.js'
import { RpcError } from './errors.js'
import type { RpcLimits } from './limits.js'
import { failureCause } from './metrics.js'
import { schemas } from './schemas.js'
import { type AnyP2p, maintenanceJson, statJson } from './shapes.js'

/** One event of the log: its kind (the SSE `event:` field) and its JSON data. */
export interface LogEvent {
  readonly kind: string
  readonly data: Record<string, unknown>
}

/** Comment line sent every so often so that proxies and clients keep the stream open. */
const KEEPALIVE_MS = 15_000

/**
 * Turns the node's events into log events; `publish` adds the RPC's own (forget, greylist flush).
 * `close` removes its listeners.
 */
export class EventFeed extends EventEmitter<{ event: [LogEvent] }> {
  readonly #detach: Array<() => void> = []

  constructor(p2p: AnyP2p, gossip?: GossipService) {
    super()
    this.setMaxListeners(0)
    const listen = <T extends unknown[]>(
      target: { on(e: string, l: (...a: T) => void): unknown; off(e: string, l: (...a: T) => void): unknown },
      event: string,
      listener: (...args: T) => void,
    ): void => {
      target.on(event, listener)
      this.#detach.push(() => target.off(event, listener))
    }
    const connection = (e: ConnectionEvent) => ({
      peer_id: e.peerId,
      point: e.point ?? null,
      remote_addr: e.remoteAddress,
      incoming: e.incoming,
    })
    listen(p2p as never, 'connection', (e: ConnectionEvent) => this.publish('connection', connection(e)))
    listen(p2p as never, 'disconnection', (e: ConnectionEvent & { reason: CloseReason }) =>
      this.publish('disconnection', { ...connection(e), reason: describeCloseReason(e.reason) }),
    )
    listen(p2p as never, 'greylisted', (e: GreylistEvent) =>
      this.publish(
        'greylisted',
        e.kind === 'ip'
          ? { ip: e.ip, reason: e.reason, until: e.until }
          : e.kind === 'point'
            ? { point: e.point, reason: e.reason, until: e.until }
            : { peer_id: e.peerId, reason: e.reason, until: e.until },
      ),
    )
    listen(
      p2p as never,
      'handshake-failed',
      (e: { remoteAddress: string; incoming: boolean; error: Error }) =>
        this.publish('handshake_failed', {
          remote_addr: e.remoteAddress,
          incoming: e.incoming,
          error: e.error.message,
          code: failureCause(e.error),
        }),
    )
    listen(p2p as never, 'refused', (e: { remoteAddress: string; reason: string }) =>
      this.publish('refused', { remote_addr: e.remoteAddress, reason: e.reason }),
    )
    listen(p2p as never, 'evicted', (e: { peerId: string; remoteAddress: string; newcomer: string }) =>
      this.publish('evicted', { peer_id: e.peerId, remote_addr: e.remoteAddress, newcomer: e.newcomer }),
    )
    listen(p2p as never, 'low-score', (e: { peerId: string; score: number }) =>
      this.publish('low_score', { peer_id: e.peerId, score: e.score }),
    )
    listen(p2p as never, 'maintenance', (r: StepReport) => this.publish('maintenance', maintenanceJson(r)))
    listen(p2p.acl as never, 'changed', (c: AclChange) =>
      this.publish('acl', { action: c.action, kind: c.kind, target: c.entry }),
    )
    if (gossip) {
      listen(gossip as never, 'message', (m: GossipEvent) =>
        this.publish('gossip', { from: m.from ?? null, origin: m.origin, id: m.id, text: m.text }),
      )
    }
  }

  /** Sends an event to every open stream, stamped with the time. */
  publish(kind: string, data: Record<string, unknown>): void {
    this.emit('event', { kind, data: { time: Date.now(), ...data } })
  }

  close(): void {
    for (const detach of this.#detach.splice(0)) detach()
  }
}

function sseFrame(kind: string, data: unknown): string {
  return `event: ${kind}\ndata: ${JSON.stringify(data)}\n\n`
}

/** The `stat_interval_ms` query parameter (digits, 100..3600000), or undefined; 400 otherwise. */
function statInterval(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const ms = Number(text)
  if (!/^\d{1,7}$/.test(text) || ms < 100 || ms > 3_600_000) {
    throw new RpcError(
      'BAD_REQUEST',
      `bad request: stat_interval_ms must be an integer from 100 to 3600000 (milliseconds), got ${JSON.stringify(text)}`,
    )
  }
  return ms
}

const STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
}

/**
 * Registers GET (and HEAD) /network/log; the streams end when the server closes. At most
 * `limits.maxLogSubscribers` streams at once (503 past it); a subscriber with more than
 * `limits.logBufferBytes` waiting (it does not read) is dropped.
 */
export function registerEventLog(
  app: FastifyInstance,
  feed: EventFeed,
  p2p: AnyP2p,
  startedAt: number,
  limits: Pick<RpcLimits, 'maxLogSubscribers' | 'logBufferBytes'>,
): void {
  const open = new Set<ServerResponse>()
  app.addHook('preClose', (done) => {
    for (const raw of open) raw.end()
    open.clear()
    done()
  })
  app.get<{ Querystring: { stat_interval_ms?: string } }>(
    '/network/log',
    { schema: schemas.log },
    (request, reply) => {
      const period = statInterval(request.query.stat_interval_ms)
      // HEAD: the headers of the stream, at once.
      if (request.method === 'HEAD') return reply.headers(STREAM_HEADERS).code(200).send()
      if (open.size >= limits.maxLogSubscribers) {
        throw new RpcError(
          'BUSY',
          `${open.size} event streams are open, the most this node serves (rpc.max_log_subscribers); close one and retry`,
        )
      }
      reply.hijack()
      const raw = reply.raw
      raw.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        ...STREAM_HEADERS,
        connection: 'keep-alive',
      })
      open.add(raw)
      let keepalive: NodeJS.Timeout | undefined
      let stats: NodeJS.Timeout | undefined
      /** Writes, or drops the subscriber when its unread output passed the bound. */
      const send = (text: string): void => {
        if (raw.destroyed) return
        if (raw.writableLength > limits.logBufferBytes) {
          stop()
          raw.destroy()
          return
        }
        raw.write(text)
      }
      send(': dune-node event log\n\n')
      const onEvent = (e: LogEvent): void => send(sseFrame(e.kind, e.data))
      feed.on('event', onEvent)
      keepalive = setInterval(() => send(': keepalive\n\n'), KEEPALIVE_MS)
      keepalive.unref()
      stats = period
        ? setInterval(() => {
            const connections_flows = p2p.connections().map((c) => ({
              peer_id: c.peerId,
              current_inflow: Math.round(c.stats.flowIn),
              current_outflow: Math.round(c.stats.flowOut),
            }))
            send(sseFrame('stat', { time: Date.now(), ...statJson(p2p, startedAt), connections_flows }))
          }, period)
        : undefined
      stats?.unref()
      function stop(): void {
        feed.off('event', onEvent)
        clearInterval(keepalive)
        clearInterval(stats)
        open.delete(raw)
      }
      raw.on('close', stop)
      request.raw.on('close', stop)
    },
  )
}
