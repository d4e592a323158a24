// The admin RPC server: a fastify instance with the /network routes, the event log, /metrics
// and the dashboard, JSON errors `{ error: { code, message } }` for every failure, never a crash.
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify'
import type { pino } from 'pino'
import { AclInputError } from '../acl/index.js'
import type { GossipService } from '../node/gossip.js'
import type { ObservedHeads } from '../node/observer.js'
import { registerDashboard } from './dashboard.js'
import { errorBody, RpcError } from './errors.js'
import { EventFeed, registerEventLog } from './event-log.js'
import { NodeMetrics } from './metrics.js'
import { registerNetworkRoutes } from './routes-network.js'
import type { AnyP2p } from './shapes.js'

export interface RpcServerOptions {
  readonly p2p: AnyP2p
  /** The demo gossip, for its events and counters (optional). */
  readonly gossip?: GossipService
  /** The observer's record of the peers' heads (optional): shown in /network/peers and /metrics. */
  readonly heads?: ObservedHeads
  /** The node's metrics (made here when absent: handshakes are then counted from now on). */
  readonly metrics?: NodeMetrics
  /** When the node started, for uptime_ms (default: now). */
  readonly startedAt?: number
  readonly host: string
  /** 0: a free port. */
  readonly port: number
  readonly logger?: pino.Logger
}

export interface RpcServer {
  /** e.g. `http://127.0.0.1:8732` (no trailing slash). */
  readonly url: string
  readonly app: FastifyInstance
  close(): Promise<void>
}

/** The status and body of a failure that reached fastify's error handler. */
function failure(err: unknown): { status: number; body: ReturnType<typeof errorBody> } {
  if (err instanceof RpcError)
    return { status: err.status, body: errorBody(err.rpcCode, err.message, err.causeCode) }
  if (err instanceof AclInputError)
    return { status: 400, body: errorBody('BAD_REQUEST', err.message, err.code) }
  const e = err as Partial<FastifyError>
  const message = typeof e.message === 'string' ? e.message : String(err)
  if (e.validation) return { status: 400, body: errorBody('BAD_REQUEST', `bad request: ${message}`) }
  const status = e.statusCode
  if (status !== undefined && status >= 400 && status < 500) {
    return { status, body: errorBody(status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST', message) }
  }
  return { status: 500, body: errorBody('INTERNAL', message) }
}

/** Starts the admin RPC on host:port; resolves once it listens. */
export async function startRpcServer(options: RpcServerOptions): Promise<RpcServer> {
  const { p2p, gossip, heads } = options
  const startedAt = options.startedAt ?? Date.now()
  const ownMetrics = options.metrics === undefined
  const metrics = options.metrics ?? new NodeMetrics(p2p, gossip, heads)
  const feed = new EventFeed(p2p, gossip)
  const app = Fastify({
    logger: false,
    forceCloseConnections: true,
    bodyLimit: 64 * 1024,
  })
  // An empty JSON body (e.g. PUT with no options) is no body, not an error.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body)
    if (text.trim() === '') return done(null, undefined)
    try {
      done(null, JSON.parse(text))
    } catch (err) {
      done(
        new RpcError('BAD_REQUEST', `the body is not JSON: ${(err as Error).message}`, { cause: err }),
        undefined,
      )
    }
  })
  app.setErrorHandler((err, request, reply) => {
    const { status, body } = failure(err)
    if (status >= 500) options.logger?.error({ err, url: request.url }, 'admin RPC request failed')
    return reply.status(status).send(body)
  })
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send(
        errorBody('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]} (see docs/RPC.md)`),
      ),
  )
  registerNetworkRoutes(app, p2p, feed, startedAt, heads)
  registerEventLog(app, feed, p2p, startedAt)
  app.get('/metrics', async (_request, reply) => {
    const { contentType, text } = await metrics.render()
    return reply.type(contentType).send(text)
  })
  registerDashboard(app)
  app.addHook('onClose', (_app, done) => {
    feed.close()
    if (ownMetrics) metrics.close()
    done()
  })
  await app.listen({ host: options.host, port: options.port })
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : options.port
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  const url = `http://${host}:${port}`
  options.logger?.info({ url }, 'admin RPC listening')
  return { url, app, close: () => app.close() }
}
