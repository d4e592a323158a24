// Opening TCP connections for the handshake: a dial bounded by connection_timeout and a caller's
// AbortSignal, with an optional local address so that tests and simulations use distinct 127.x hosts.
import net from 'node:net'
import { DuneP2pError } from '../errors/index.js'
import { type Clock, systemClock, type TimerHandle } from '../io/clock.js'
import { AbortedError, type AbortOptions, onAbort } from './abort.js'
import { setTcpKeepalive, type TcpKeepaliveOptions } from './keepalive.js'
import { markSharedRead, sharedReadOption } from './shared-read.js'

/** The TCP connection could not be opened (refused, unreachable, or connection_timeout). */
export class DialError extends DuneP2pError {
  constructor(
    readonly point: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('DUNE_DIAL', `cannot connect to ${point}: ${message}`, options)
  }
}

export interface DialOptions {
  /** SPEC: connection_timeout, 10 s. */
  readonly timeoutMs?: number
  /** Local address to bind before connecting (e.g. 127.0.0.5). */
  readonly localAddress?: string | undefined
  /**
   * A buffer every read of this socket goes into (read_buffer_size bytes, shared by every
   * dialed connection: `IoScheduler.readBuffer`). Each read is handed to the 'data' listeners
   * as a view that the next read overwrites, so they copy what they keep. (Accepted sockets:
   * `readAcceptedIntoSharedBuffer`.)
   */
  readonly readBuffer?: Buffer | undefined
  /** The clock of the connect timeout (default: Node's timers). */
  readonly clock?: Clock | undefined
  /** Dead-peer detection set once connected (`DEFAULT_TCP_KEEPALIVE`: Octez's); unset: the system's defaults. */
  readonly keepalive?: TcpKeepaliveOptions | undefined
}

/** How long a dial waits for the TCP connect (the library config's connectionTimeoutMs default). */
export const DEFAULT_DIAL_TIMEOUT_MS = 10_000

/**
 * Connects to `host:port`; resolves with the connected socket or rejects with DialError (refused,
 * unreachable, or no answer within `timeoutMs`) or, when `signal` aborts first, AbortedError.
 * Either way the socket is destroyed.
 */
export function dialTcp(
  host: string,
  port: number,
  options: DialOptions & AbortOptions = {},
): Promise<net.Socket> {
  const point = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
  const { signal } = options
  if (signal?.aborted) return Promise.reject(new AbortedError(`dial ${point}`, signal.reason))
  return new Promise((resolve, reject) => {
    const readBuffer = options.readBuffer
    const socket: net.Socket = net.connect({
      host,
      port,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      ...(readBuffer ? { onread: sharedReadOption(readBuffer, () => socket) } : {}),
    })
    if (readBuffer) markSharedRead(socket)
    const timeoutMs = options.timeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS
    // One timer and one listener on the caller's signal (none without one), both gone at the
    // first of connect, error, timeout or abort; `settled` keeps a second of them from acting.
    const clock = options.clock ?? systemClock
    let timer: TimerHandle | undefined
    let stopListening: (() => void) | undefined
    let settled = false
    const dispose = (): void => {
      settled = true
      clock.clearTimeout(timer)
      stopListening?.()
    }
    const fail = (err: DialError | AbortedError): void => {
      if (settled) return
      dispose()
      socket.destroy()
      reject(err)
    }
    timer = clock.setTimeout(() => fail(new DialError(point, `no answer within ${timeoutMs} ms`)), timeoutMs)
    if (!settled)
      stopListening = onAbort(signal, () => fail(new AbortedError(`dial ${point}`, signal?.reason)))
    socket.once('connect', () => {
      dispose()
      if (options.keepalive) setTcpKeepalive(socket, options.keepalive)
      socket.removeAllListeners('error')
      resolve(socket)
    })
    socket.once('error', (err) => fail(new DialError(point, err.message, { cause: err })))
  })
}
