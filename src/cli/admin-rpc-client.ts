// A typed client of dune-node's admin RPC (docs/RPC.md) over fetch: one method per route, and
// typed errors for an unreachable node (NodeUnreachableError) and an RPC error body (AdminRpcError).

import { DuneP2pError } from '../errors/index.js'
import type { PeerEventJson, PointEventJson } from '../rpc/routes-history.js'
import type { AclAction } from '../rpc/schemas.js'
import type {
  AclJson,
  AdmissionJson,
  ConnectionJson,
  GreylistJson,
  PeerAclJson,
  PeerJson,
  PointAclJson,
  PointJson,
  ScoresJson,
  StatJson,
} from '../rpc/shapes.js'

/** The default admin RPC endpoint of dune-node. */
export const DEFAULT_ADMIN_ENDPOINT = 'http://127.0.0.1:8732'

/** How long a request (not the event stream) may take before the client gives up. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000

/** The node answered with an error body (`{ error: { code, message } }`) or an unexpected reply. */
export class AdminRpcError extends DuneP2pError {
  /** The HTTP status of the answer. */
  readonly status: number
  /** The RPC's own code (`BAD_REQUEST`, `NOT_FOUND`, ...), or `HTTP_<status>` without an error body. */
  readonly rpcCode: string

  constructor(status: number, rpcCode: string, message: string) {
    super('DUNE_ADMIN_RPC', message)
    this.status = status
    this.rpcCode = rpcCode
  }
}

/** No HTTP answer at all: nothing listens at the endpoint, the host is unknown, or it timed out. */
export class NodeUnreachableError extends DuneP2pError {
  readonly endpoint: string

  constructor(endpoint: string, reason: string, options?: { cause?: unknown }) {
    super(
      'DUNE_NODE_UNREACHABLE',
      `cannot reach the node at ${endpoint}: ${reason} (is dune-node running? use --endpoint)`,
      options,
    )
    this.endpoint = endpoint
  }
}

/** Something answers at the endpoint, but not as the admin RPC (not HTTP, or not its JSON): the P2P port, most likely. */
export class NotAdminRpcError extends DuneP2pError {
  readonly endpoint: string

  constructor(endpoint: string, what: string, options?: { cause?: unknown }) {
    super(
      'DUNE_NOT_ADMIN_RPC',
      `${endpoint} ${what}: this is not an admin RPC endpoint; is it the P2P port? The admin RPC listens on the node's --rpc-addr (default 127.0.0.1:8732); use --endpoint http://HOST:PORT`,
      options,
    )
    this.endpoint = endpoint
  }
}

/** Whether a failed fetch got bytes that are not HTTP (undici's parser errors: HPE_*). */
function notHttp(err: unknown): boolean {
  const code = err instanceof Error ? (err.cause as { code?: unknown } | undefined)?.code : undefined
  return typeof code === 'string' && code.startsWith('HPE_')
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed without an answer (a P2P port does that: is it the P2P port?)',
}

/** The readable reason of a failed fetch (its cause carries the system error code). */
function networkReason(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return 'no answer in time'
  const cause =
    err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined
  const known = cause?.code === undefined ? undefined : NETWORK_REASONS[cause.code]
  if (known) return known
  return cause?.message ?? (err instanceof Error ? err.message : String(err))
}

/** The error of a non-2xx answer, from its `{ error: { code, message } }` body when it has one. */
async function errorOfResponse(response: Response): Promise<AdminRpcError> {
  const text = await response.text().catch(() => '')
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }
    if (body.error && typeof body.error.message === 'string') {
      const code = typeof body.error.code === 'string' ? body.error.code : `HTTP_${response.status}`
      return new AdminRpcError(response.status, code, body.error.message)
    }
  } catch {
    // Not JSON: reported below with the status line.
  }
  const excerpt = text.trim().slice(0, 200)
  return new AdminRpcError(
    response.status,
    `HTTP_${response.status}`,
    `the node answered ${response.status} ${response.statusText}${excerpt ? `: ${excerpt}` : ''}`,
  )
}

const enc = encodeURIComponent

/** Where the client found (or looked for) the RPC token, for the messages of a 401. */
export interface TokenSource {
  /** The token, or undefined when the file was missing. */
  readonly token: string | undefined
  /** The file read (e.g. DATA_DIR/rpc.cookie). */
  readonly file: string
}

/** The admin RPC of one node. Every method rejects with AdminRpcError or NodeUnreachableError. */
export class AdminRpcClient {
  readonly endpoint: string
  private readonly timeoutMs: number
  private readonly tokenSource: TokenSource | undefined

  /**
   * `endpoint` is the node's base URL, e.g. `http://127.0.0.1:8732` (a trailing slash is ignored);
   * `token` is sent (`Authorization: Bearer`) on the state-changing requests only.
   */
  constructor(endpoint: string, options: { timeoutMs?: number; token?: TokenSource } = {}) {
    this.endpoint = endpoint.replace(/\/+$/, '')
    this.timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
    this.tokenSource = options.token
  }

  self(): Promise<{ peer_id: string }> {
    return this.request('GET', '/network/self')
  }

  stat(): Promise<StatJson> {
    return this.request('GET', '/network/stat')
  }

  connections(): Promise<ConnectionJson[]> {
    return this.request('GET', '/network/connections')
  }

  connection(peerId: string): Promise<ConnectionJson> {
    return this.request('GET', `/network/connections/${enc(peerId)}`)
  }

  /** Kicks a connected peer: Disconnect, then close. */
  kick(peerId: string): Promise<{ ok: true }> {
    return this.request('DELETE', `/network/connections/${enc(peerId)}`)
  }

  peers(): Promise<PeerJson[]> {
    return this.request('GET', '/network/peers')
  }

  peer(peerId: string): Promise<PeerJson> {
    return this.request('GET', `/network/peers/${enc(peerId)}`)
  }

  peerAcl(peerId: string, acl: AclAction): Promise<PeerJson | PeerAclJson> {
    return this.request('PATCH', `/network/peers/${enc(peerId)}`, { acl })
  }

  isPeerBanned(peerId: string): Promise<{ banned: boolean }> {
    return this.request('GET', `/network/peers/${enc(peerId)}/banned`)
  }

  forgetPeer(peerId: string): Promise<{ ok: true }> {
    return this.request('DELETE', `/network/peers/${enc(peerId)}`)
  }

  /** The peer's last events (Octez's peer log). */
  peerLog(peerId: string): Promise<PeerEventJson[]> {
    return this.request('GET', `/network/peers/${enc(peerId)}/log`)
  }

  /** The point's last events (Octez's point log). */
  pointLog(point: string): Promise<PointEventJson[]> {
    return this.request('GET', `/network/points/${enc(point)}/log`)
  }

  points(): Promise<PointJson[]> {
    return this.request('GET', '/network/points')
  }

  point(point: string): Promise<PointJson> {
    return this.request('GET', `/network/points/${enc(point)}`)
  }

  /** Dials `point`; resolves with the new connection, or rejects with the RPC's CONNECT_FAILED. */
  connect(point: string, timeoutMs?: number): Promise<ConnectionJson> {
    return this.request(
      'PUT',
      `/network/points/${enc(point)}`,
      timeoutMs === undefined ? {} : { timeout_ms: timeoutMs },
    )
  }

  /** `address` is a point (`HOST:PORT`), a bare IP or a CIDR prefix. */
  addressAcl(address: string, acl: AclAction): Promise<PointAclJson> {
    return this.request('PATCH', `/network/points/${enc(address)}`, { acl })
  }

  isAddressBanned(address: string): Promise<{ banned: boolean }> {
    return this.request('GET', `/network/points/${enc(address)}/banned`)
  }

  forgetPoint(point: string): Promise<{ ok: true }> {
    return this.request('DELETE', `/network/points/${enc(point)}`)
  }

  greylist(): Promise<GreylistJson> {
    return this.request('GET', '/network/greylist')
  }

  flushGreylist(): Promise<{ cleared: number }> {
    return this.request('DELETE', '/network/greylist')
  }

  acl(): Promise<AclJson> {
    return this.request('GET', '/network/acl')
  }

  scores(): Promise<ScoresJson> {
    return this.request('GET', '/network/scores')
  }

  admission(): Promise<AdmissionJson> {
    return this.request('GET', '/network/admission')
  }

  /** Opens the event stream; the caller reads the body (see admin-log.ts) and aborts with `signal`. */
  async openLog(
    options: { statIntervalMs?: number | undefined; signal?: AbortSignal } = {},
  ): Promise<Response> {
    const query = options.statIntervalMs === undefined ? '' : `?stat_interval_ms=${options.statIntervalMs}`
    const response = await this.fetch(`/network/log${query}`, {
      headers: { accept: 'text/event-stream' },
      signal: options.signal ?? null,
    })
    if (!response.ok) throw await errorOfResponse(response)
    if (!response.body)
      throw new AdminRpcError(response.status, 'HTTP_NO_BODY', 'the event stream has no body')
    return response
  }

  /** One JSON request; resolves with the parsed 2xx body. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> =
      body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json' }
    const token = this.tokenSource?.token
    const changing = method !== 'GET' && method !== 'HEAD'
    if (changing && token !== undefined) headers.authorization = `Bearer ${token}`
    const response = await this.fetch(path, {
      method,
      headers,
      body: body === undefined ? null : JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    })
    if (response.status === 401) throw await this.unauthorized(response)
    if (!response.ok) throw await errorOfResponse(response)
    const text = await response.text().catch((err: unknown) => {
      throw new NodeUnreachableError(this.endpoint, networkReason(err), { cause: err })
    })
    try {
      return JSON.parse(text) as T
    } catch (err) {
      throw new NotAdminRpcError(
        this.endpoint,
        `answered ${method} ${path} with something that is not JSON`,
        {
          cause: err,
        },
      )
    }
  }

  /** A 401, with where this client looked for the token and what to do. */
  private async unauthorized(response: Response): Promise<AdminRpcError> {
    const error = await errorOfResponse(response)
    const source = this.tokenSource
    const why =
      source === undefined
        ? 'no token was given'
        : source.token === undefined
          ? `no token file at ${source.file} (is the node running with this data dir?)`
          : `the token of ${source.file} is not the running node's (a node of another data dir?)`
    return new AdminRpcError(
      response.status,
      error.rpcCode,
      `the node refused: ${why}. Pass the node's data dir (--data-dir DIR or $DUNE_NODE_DATA_DIR) or --token-file FILE (its rpc.cookie)`,
    )
  }

  private async fetch(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.endpoint}${path}`, init)
    } catch (err) {
      if (err instanceof Error && err.name === 'AbortError') throw err
      if (notHttp(err)) throw new NotAdminRpcError(this.endpoint, 'does not answer HTTP', { cause: err })
      throw new NodeUnreachableError(this.endpoint, networkReason(err), { cause: err })
    }
  }
}
