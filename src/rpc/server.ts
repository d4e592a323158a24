// The admin RPC server: a fastify instance with the /network routes, the event log, /metrics
// and the dashboard, JSON errors `{ error: { code, message } }` for every failure, never a crash.
import type { Socket } from 'node:net'
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify'
import type { pino } from 'pino'
import { AclInputError } from '../acl/index.js'
import type { GossipService } from '../shell/gossip.js'
import type { ObservedHeads } from '../shell/observer.js'
import { newRpcToken } from './cookie.js'
import { registerDashboard } from './dashboard.js'
import { errorBody, RpcError } from './errors.js'
import { EventFeed, registerEventLog } from './event-log.js'
import { FlowHistory, registerFlowHistory } from './flow-history.js'
import {
  bearerMatches,
  HostCheck,
  isLoopbackAddress,
  isStateChanging,
  RoutePolicy,
  type RpcAclEntry,
} from './guard.js'
import { RPC_BODY_LIMIT, RPC_LIMITS, type RpcLimits } from './limits.js'
import { NodeMetrics } from './metrics.js'
import { registerHistoryRoutes } from './routes-history.js'
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
  /** The bearer token of the state-changing routes (default: a fresh random one, see RpcServer.token). */
  readonly token?: string
  /** Host header names accepted besides the listen address and localhost (`NAME` or `NAME:PORT`). */
  readonly allowedHosts?: readonly string[]
  /** Route policies by listening address, as Octez's RPC ACL (default: see RoutePolicy.of). */
  readonly acl?: readonly RpcAclEntry[]
  /** Every route on any address (the explicit opt-out of the policy off loopback). */
  readonly allowAll?: boolean
  /** Connection, subscriber, buffer and timeout bounds (default RPC_LIMITS). */
  readonly limits?: Partial<RpcLimits>
  /** Where the token can be read, named in a 401's message (e.g. the cookie file). */
  readonly tokenHint?: string
}

export interface RpcServer {
  /** e.g. `http://127.0.0.1:8732` (no trailing slash). */
  readonly url: string
  readonly app: FastifyInstance
  /** The token the state-changing routes require (`Authorization: Bearer TOKEN`). */
  readonly token: string
  /** The routes this RPC answers (every route on loopback by default). */
  readonly policy: RoutePolicy
  close(): Promise<void>
}

/** Headers of every answer: no sniffing, no framing (clickjacking), no referrer. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'referrer-policy': 'no-referrer',
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
}

/** Answers a socket whose request node:http could not parse or that came too slowly, then closes it. */
function clientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const status =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400
  const message =
    status === 408
      ? 'the request did not arrive in time (headers and body); the connection is closed'
      : status === 431
        ? 'the request headers are too large'
        : `the request is not valid HTTP (${err.code ?? err.message})`
  const body = JSON.stringify(errorBody('BAD_REQUEST', message))
  if (socket.writable) {
    const head = [
      `HTTP/1.1 ${status} ${STATUS_TEXT[status]}`,
      'content-type: application/json; charset=utf-8',
      `content-length: ${Buffer.byteLength(body)}`,
      'connection: close',
      ...Object.entries(SECURITY_HEADERS).map(([k, v]) => `${k}: ${v}`),
    ]
    socket.write(`${head.join('\r\n')}\r\n\r\n${body}`)
  }
  socket.destroy()
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
  let url = `http://${options.host}:${options.port}`
  const limits: RpcLimits = { ...RPC_LIMITS, ...options.limits }
  const token = options.token ?? newRpcToken()
  const app = Fastify({
    logger: false,
    forceCloseConnections: true,
    bodyLimit: RPC_BODY_LIMIT,
    connectionTimeout: limits.idleTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Check the request and headers deadlines every second (node's default: every 30 s).
    http: {
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
      connectionsCheckingInterval: 1000,
    },
    // Strict bodies: a wrong type is refused, not coerced ("5" is not 5, ["ban"] is not "ban"),
    // an unknown field is refused, not dropped. Queries are strings, checked by their handlers.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
    // A path parameter past its limit (414) or a malformed URL: the documented error shape.
    frameworkErrors: (err, _request, reply) => {
      const status = (err as Partial<FastifyError>).statusCode ?? 400
      const message = status === 414 ? 'the path is too long (see docs/RPC.md for its routes)' : err.message
      return (reply as FastifyReply)
        .headers(SECURITY_HEADERS)
        .status(status)
        .send(errorBody('BAD_REQUEST', message))
    },
    clientErrorHandler: clientError,
  })
  app.server.maxConnections = limits.maxConnections
  // Set when listening (the Host check and the policy need the port).
  let hosts: HostCheck | undefined
  let policy: RoutePolicy | undefined
  const tokenHint = options.tokenHint ?? 'the token the node was started with'
  app.addHook('onRequest', (request, reply, done) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value)
    done(refusal(request) ?? undefined)
  })
  /** Why the request is refused before it is read, or undefined. */
  const refusal = (request: FastifyRequest): RpcError | undefined => {
    const host = request.headers.host
    if (!hosts?.accepts(host)) {
      return new RpcError(
        'MISDIRECTED',
        `Host ${JSON.stringify(host ?? '')} does not name this node's admin RPC (${url}); use that address or localhost, or add the name to rpc.allowed_hosts in the config`,
      )
    }
    if (!policy?.allows(request.method, request.url)) {
      return new RpcError(
        'FORBIDDEN',
        `${request.method} ${request.url.split('?')[0]} is not allowed on the admin RPC at ${url} (${policy?.description}); allow it in rpc.acl of the config, or run with --allow-all-rpc`,
      )
    }
    if (!isStateChanging(request.method)) return undefined
    const origin = request.headers.origin
    const site = request.headers['sec-fetch-site']
    if (
      (origin !== undefined && !hosts.acceptsOrigin(origin)) ||
      site === 'cross-site' ||
      site === 'same-site'
    ) {
      return new RpcError(
        'FORBIDDEN',
        `a ${request.method} from another site (Origin ${JSON.stringify(origin ?? site)}) is refused: change the node from its own dashboard or with dune-admin-client`,
      )
    }
    if (!bearerMatches(request.headers.authorization, token)) {
      return new RpcError(
        'UNAUTHORIZED',
        `${request.method} changes the node and needs "Authorization: Bearer TOKEN" with ${tokenHint} (dune-admin-client reads it with --data-dir DIR, $DUNE_NODE_DATA_DIR or --token-file FILE)`,
      )
    }
    return undefined
  }
  // Bodies are JSON only (a text/plain body, which a foreign page may send without asking, is a 415).
  app.removeContentTypeParser('text/plain')
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
    if (status === 401) reply.header('www-authenticate', 'Bearer realm="dune-node"')
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
  registerEventLog(app, feed, p2p, startedAt, limits)
  registerHistoryRoutes(app, p2p)
  const flows = new FlowHistory(p2p)
  registerFlowHistory(app, flows)
  app.get('/metrics', async (_request, reply) => {
    const { contentType, text } = await metrics.render()
    return reply.type(contentType).send(text)
  })
  registerDashboard(app, token)
  app.addHook('onClose', (_app, done) => {
    feed.close()
    flows.close()
    if (ownMetrics) metrics.close()
    done()
  })
  await app.listen({ host: options.host, port: options.port })
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : options.port
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  url = `http://${host}:${port}`
  hosts = new HostCheck(options.host, port, options.allowedHosts)
  policy = RoutePolicy.of(options.host, port, { acl: options.acl, allowAll: options.allowAll })
  options.logger?.info({ url }, 'admin RPC listening')
  if (!isLoopbackAddress(options.host)) {
    options.logger?.warn(
      { url, routes: policy.description },
      `the admin RPC listens on ${url}, not on loopback: it is reachable from the network; it answers ${policy.description}` +
        ' (set rpc.acl, or --allow-all-rpc to open every route; the state-changing ones still need the token)',
    )
  }
  return { url, app, token, policy, close: () => app.close() }
}
