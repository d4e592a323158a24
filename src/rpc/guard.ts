// Who the admin RPC answers: the Host check against DNS rebinding, the Origin check and the
// bearer token of state-changing routes, and the route policy off loopback (as Octez's RPC ACL).
import { timingSafeEqual } from 'node:crypto'
import { isIP } from 'node:net'

/** Methods that change the node: they need the token and a same-origin (or no) Origin. */
export function isStateChanging(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS'
}

/** Whether an IP literal is a loopback address (127.0.0.0/8, ::1, ::ffff:127.x.y.z). */
export function isLoopbackAddress(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '')
  if (isIP(h) === 4) return h.startsWith('127.')
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h)
  return mapped?.[1]?.startsWith('127.') === true
}

/** A Host header (or an Origin's host) split into its lower-case name and its port, or undefined. */
export function parseHostHeader(text: string): { name: string; port: number | undefined } | undefined {
  const value = text.trim().toLowerCase()
  let name: string
  let portText: string | undefined
  if (value.startsWith('[')) {
    const close = value.indexOf(']')
    if (close < 0) return undefined
    name = value.slice(1, close)
    const rest = value.slice(close + 1)
    if (rest !== '' && !rest.startsWith(':')) return undefined
    portText = rest === '' ? undefined : rest.slice(1)
    if (isIP(name) !== 6) return undefined
  } else {
    const colon = value.indexOf(':')
    if (colon !== value.lastIndexOf(':')) return undefined
    name = colon < 0 ? value : value.slice(0, colon)
    portText = colon < 0 ? undefined : value.slice(colon + 1)
  }
  if (name === '' || !/^[a-z0-9.:_-]+$/.test(name)) return undefined
  if (portText === undefined) return { name, port: undefined }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65_535) return undefined
  return { name, port: Number(portText) }
}

/** The names a Host header may carry: the listen address, localhost, the operator's names. */
export class HostCheck {
  readonly #listenName: string
  readonly #port: number
  readonly #wildcard: boolean
  /** Names accepted at any port (`NAME` entries), and exact `name:port` entries. */
  readonly #anyPort = new Set<string>()
  readonly #exact = new Set<string>()

  constructor(listenHost: string, port: number, allowedHosts: readonly string[] = []) {
    this.#listenName = listenHost.toLowerCase().replace(/^\[|\]$/g, '')
    this.#port = port
    this.#wildcard = this.#listenName === '0.0.0.0' || this.#listenName === '::'
    for (const entry of allowedHosts) {
      const parsed = parseHostHeader(entry)
      if (parsed === undefined) continue
      if (parsed.port === undefined) this.#anyPort.add(parsed.name)
      else this.#exact.add(`${parsed.name}:${parsed.port}`)
    }
  }

  /** Whether `host` (a Host header, or an Origin's host) names this RPC. */
  accepts(host: string | undefined): boolean {
    if (host === undefined) return false
    const parsed = parseHostHeader(host)
    if (parsed === undefined) return false
    const { name, port } = parsed
    if (this.#anyPort.has(name) || this.#exact.has(`${name}:${port ?? 80}`)) return true
    if ((port ?? 80) !== this.#port) return false
    if (name === 'localhost' || name === this.#listenName) return true
    // Listening on every address: any IP literal names it (a rebinding attack needs a DNS name).
    return this.#wildcard && isIP(name) !== 0
  }

  /** Whether an Origin header (`http://host:port`) is this RPC's own. */
  acceptsOrigin(origin: string): boolean {
    let url: URL
    try {
      url = new URL(origin)
    } catch {
      return false
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false
    return this.accepts(url.host)
  }
}

/** Whether `authorization` is `Bearer TOKEN` with this token (compared in constant time). */
export function bearerMatches(authorization: string | undefined, token: string): boolean {
  if (authorization === undefined) return false
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization)
  const bearer = match?.[1]
  if (bearer === undefined) return false
  const given = Buffer.from(bearer)
  const expected = Buffer.from(token)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

/** One entry of `rpc.acl`: the listening address it applies to, and allowed or denied routes. */
export interface RpcAclEntry {
  /** `HOST` or `HOST:PORT` of the RPC's listening address (`[v6]:PORT`), or `*` for any. */
  readonly address: string
  /** Only these routes (patterns such as `GET /network/stat`, `/network/**`). */
  readonly allow?: readonly string[] | undefined
  /** Every route but these. */
  readonly deny?: readonly string[] | undefined
}

/** Routes allowed by default on a non-loopback address: read-only, no peer tables, no token. */
export const DEFAULT_EXPOSED_ALLOW: readonly string[] = [
  'GET /network/self',
  'GET /network/stat',
  'GET /metrics',
]

interface Pattern {
  readonly method: string | undefined
  readonly segments: readonly string[]
}

/** Parses `[METHOD] /path/with/*\/and/**`; throws Error naming the problem. */
export function parseRoutePattern(text: string): Pattern {
  const parts = text.trim().split(/\s+/)
  const [first, second] = parts
  const [method, path] = second === undefined ? [undefined, first] : [first?.toUpperCase(), second]
  if (parts.length > 2 || !path?.startsWith('/'))
    throw new Error(`${JSON.stringify(text)} is not [METHOD] /path (e.g. "GET /network/stat", "/network/**")`)
  if (method !== undefined && !/^[A-Z]+$/.test(method))
    throw new Error(`${JSON.stringify(text)}: ${method} is not an HTTP method`)
  const segments = path.split('/').slice(1)
  const wild = segments.indexOf('**')
  if (wild >= 0 && wild !== segments.length - 1)
    throw new Error(`${JSON.stringify(text)}: "**" may only end a pattern`)
  return { method, segments }
}

function patternMatches(p: Pattern, method: string, path: readonly string[]): boolean {
  const m = method === 'HEAD' ? 'GET' : method
  if (p.method !== undefined && p.method !== m && p.method !== method) return false
  for (const [i, s] of p.segments.entries()) {
    if (s === '**') return true
    if (i >= path.length) return false
    if (s !== '*' && s !== path[i]) return false
  }
  return path.length === p.segments.length
}

/** What routes the RPC on one listening address answers. */
export class RoutePolicy {
  /** Everything allowed (loopback without an ACL entry, or allow_all). */
  readonly open: boolean
  /** The entry's allow-list, or undefined when it is a deny-list. */
  readonly #allow: readonly Pattern[] | undefined
  readonly #deny: readonly Pattern[]
  /** What the refusal says this policy is. */
  readonly description: string

  private constructor(open: boolean, allow: Pattern[] | undefined, deny: Pattern[], description: string) {
    this.open = open
    this.#allow = allow
    this.#deny = deny
    this.description = description
  }

  /**
   * The policy of the RPC listening on host:port: allow_all opens everything; else the first
   * `acl` entry naming the address; else everything on loopback, DEFAULT_EXPOSED_ALLOW off it.
   */
  static of(
    host: string,
    port: number,
    options: { acl?: readonly RpcAclEntry[] | undefined; allowAll?: boolean | undefined } = {},
  ): RoutePolicy {
    if (options.allowAll) return new RoutePolicy(true, undefined, [], 'every route (allow_all)')
    const name = host.toLowerCase().replace(/^\[|\]$/g, '')
    const entry = options.acl?.find((e) => {
      if (e.address === '*') return true
      const parsed = parseHostHeader(e.address)
      return parsed !== undefined && parsed.name === name && (parsed.port ?? port) === port
    })
    if (entry?.allow !== undefined)
      return new RoutePolicy(false, entry.allow.map(parseRoutePattern), [], `rpc.acl entry ${entry.address}`)
    if (entry?.deny !== undefined)
      return new RoutePolicy(
        false,
        undefined,
        entry.deny.map(parseRoutePattern),
        `rpc.acl entry ${entry.address}`,
      )
    if (isLoopbackAddress(name)) return new RoutePolicy(true, undefined, [], 'every route (loopback)')
    return new RoutePolicy(
      false,
      DEFAULT_EXPOSED_ALLOW.map(parseRoutePattern),
      [],
      `the default off loopback: only ${DEFAULT_EXPOSED_ALLOW.join(', ')}`,
    )
  }

  /** Whether `method` on `url` (its query ignored) is allowed. */
  allows(method: string, url: string): boolean {
    if (this.open) return true
    const q = url.indexOf('?')
    const path = (q < 0 ? url : url.slice(0, q)).split('/').slice(1)
    if (this.#allow !== undefined) return this.#allow.some((p) => patternMatches(p, method, path))
    return !this.#deny.some((p) => patternMatches(p, method, path))
  }
}
