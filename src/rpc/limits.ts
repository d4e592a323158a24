// The admin RPC's bounds, as shipped: connections, event-log subscribers and their buffers,
// request and keep-alive timeouts (the config's rpc section defaults to these; docs/SECURITY.md).

export interface RpcLimits {
  /** RPC connections open at once; more are closed at accept (Octez: 100). */
  readonly maxConnections: number
  /** /network/log streams open at once; more get 503. */
  readonly maxLogSubscribers: number
  /** Bytes of events waiting for one /network/log subscriber before it is dropped. */
  readonly logBufferBytes: number
  /** A request's headers must arrive within this (ms). */
  readonly headersTimeoutMs: number
  /** A whole request (headers and body) must arrive within this (ms). */
  readonly requestTimeoutMs: number
  /** An idle kept-alive connection is closed after this (ms). */
  readonly keepAliveTimeoutMs: number
  /** A socket with no traffic either way for this long is closed (ms; SSE keepalives every 15 s). */
  readonly idleTimeoutMs: number
}

export const RPC_LIMITS: RpcLimits = {
  maxConnections: 100,
  maxLogSubscribers: 16,
  logBufferBytes: 1024 * 1024,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 60_000,
}

/** A request body at most (bytes). */
export const RPC_BODY_LIMIT = 64 * 1024
