// The welcome worker: the accept loop. It refuses sockets its check turns down (the ACL, the
// admission limits) before reading a byte, hands the others on, and backs off on accept errors.
import net from 'node:net'
import { DuneP2pError } from '../errors/index.js'
import { type Clock, systemClock } from '../io/clock.js'
import type { P2pConfig } from '../pool/config.js'
import { setTcpKeepalive } from '../socket/keepalive.js'
import { readAcceptedIntoSharedBuffer } from '../socket/shared-read.js'

/**
 * Why an incoming socket is closed unread (`banned`, `greylisted`, `address_limit`, ...), or
 * undefined to let it in; the check may hold on to the socket (to count it until it closes).
 */
export type AdmissionCheck = (ip: string, socket: net.Socket) => string | undefined

/**
 * Where and how to listen, from the resolved P2pConfig: `listenHost`, `listenPort` (0: a free
 * port, chosen by the system), `backlog` (the kernel's queue of pending connections), and the
 * dead-peer detection set on each admitted socket (TCP keepalive, TCP_USER_TIMEOUT; unset: the
 * system's defaults).
 */
export type WelcomeConfig = Pick<P2pConfig, 'listenHost' | 'listenPort' | 'backlog'> & {
  readonly tcpKeepalive?: P2pConfig['tcpKeepalive']
}

export interface WelcomeOptions {
  readonly config: WelcomeConfig
  /** The checks made before anything is read (ACL, per-address limits, handshake cap). */
  readonly check: AdmissionCheck
  /** Receives each admitted socket, reading. */
  readonly onSocket: (socket: net.Socket) => void
  /** Told of each socket closed unread (the check's reason, or `backoff`). */
  readonly onRefused?: (ip: string, reason: string) => void
  /** Told of each accept error (the loop goes on after a backoff). */
  readonly onError?: (error: Error) => void
  /** First and longest pause after accept errors, in ms (defaults 100 and 5000). */
  readonly backoffMs?: { readonly initial: number; readonly max: number }
  /**
   * read_buffer_size: accepted sockets read into this buffer shared by every connection
   * (`IoScheduler.readBuffer`); without it each read gets a buffer of its own from Node.
   */
  readonly readBuffer?: Buffer
  /** Time of the accept backoff (default systemClock). */
  readonly clock?: Clock
  /** Makes the listening server (default net.createServer); tests wrap it to inject accept errors. */
  readonly createServer?: typeof net.createServer
  /**
   * Told when listening on `::` failed because the host has no IPv6 (EAFNOSUPPORT,
   * EADDRNOTAVAIL, EPROTONOSUPPORT) and the worker listens on 0.0.0.0 instead (tezos/tezos#49).
   */
  readonly onIpv6Fallback?: (error: Error) => void
}

/** Errors of listening on `::` that mean "no IPv6 here" (not a port in use): fall back to IPv4. */
const NO_IPV6 = new Set(['EAFNOSUPPORT', 'EADDRNOTAVAIL', 'EPROTONOSUPPORT'])

/** The listening socket could not be opened (code `DUNE_LISTEN`). */
export class ListenError extends DuneP2pError {
  constructor(host: string, port: number, options: { cause: unknown }) {
    super('DUNE_LISTEN', `cannot listen on ${host}:${port}: ${(options.cause as Error).message}`, options)
  }
}

/**
 * The accept loop as a worker with start and stop. Incoming sockets arrive paused
 * (`pauseOnConnect`), so a refused IP is closed before any of its bytes is read. After an
 * accept error (EMFILE, ENFILE, ...), the worker backs off: for a pause that doubles with each
 * error in a row (up to the max), sockets that still arrive are closed unread, which frees
 * descriptors; then accepting resumes. Errors never stop the loop; only `stop` does.
 */
export class WelcomeWorker {
  readonly #options: WelcomeOptions
  readonly #clock: Clock
  #server: net.Server | undefined
  #port: number | undefined
  #host: string
  #backoffUntil = 0
  #nextBackoff: number
  #stopping: Promise<void> | undefined

  constructor(options: WelcomeOptions) {
    this.#options = options
    this.#clock = options.clock ?? systemClock
    this.#host = options.config.listenHost
    this.#nextBackoff = options.backoffMs?.initial ?? 100
  }

  /** The address listened on: the configured host, or 0.0.0.0 after an IPv6 fallback. */
  get host(): string {
    return this.#host
  }

  /** The port listened on, once started. */
  get port(): number | undefined {
    return this.#port
  }

  get running(): boolean {
    return this.#server !== undefined && this.#stopping === undefined
  }

  /**
   * Opens the listening socket; resolves with the port. `::` accepts IPv6 and IPv4 (mapped)
   * peers; on a host without IPv6 it falls back to 0.0.0.0 (onIpv6Fallback). Throws ListenError
   * (e.g. EADDRINUSE).
   */
  async start(): Promise<number> {
    if (this.#server) throw new Error('WelcomeWorker: already started')
    const { listenHost: host, listenPort: port } = this.#options.config
    let server: net.Server
    try {
      server = await this.#listen(host)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (host !== '::' || code === undefined || !NO_IPV6.has(code))
        throw new ListenError(host, port, { cause: err })
      this.#options.onIpv6Fallback?.(err as Error)
      try {
        server = await this.#listen('0.0.0.0')
      } catch (err4) {
        throw new ListenError('0.0.0.0', port, { cause: err4 })
      }
      this.#host = '0.0.0.0'
    }
    this.#server = server
    server.on('error', (err) => this.#acceptFailed(err))
    this.#port = (server.address() as net.AddressInfo).port
    return this.#port
  }

  /** A listening server on `host` (not yet the worker's); rejects with the listen error. */
  #listen(host: string): Promise<net.Server> {
    const { listenPort: port, backlog } = this.#options.config
    const createServer = this.#options.createServer ?? net.createServer
    const server = createServer({ pauseOnConnect: true, noDelay: true }, (socket) => this.#welcome(socket))
    return new Promise<net.Server>((resolve, reject) => {
      server.once('error', reject)
      server.listen({ host, port, backlog }, () => {
        server.off('error', reject)
        resolve(server)
      })
    })
  }

  /**
   * Stops accepting: the listening socket is closed at once. The sockets already handed over
   * belong to their owner (the server's own 'close' event would wait for them: not awaited).
   */
  stop(): Promise<void> {
    const server = this.#server
    if (!server) return Promise.resolve()
    this.#stopping ??= new Promise<void>((resolve) => {
      server.close()
      setImmediate(resolve)
    })
    return this.#stopping
  }

  #welcome(accepted: net.Socket): void {
    const readBuffer = this.#options.readBuffer
    const socket = readBuffer ? readAcceptedIntoSharedBuffer(accepted, readBuffer) : accepted
    socket.on('error', () => {}) // until the owner attaches its own
    const ip = socket.remoteAddress
    if (this.#stopping || ip === undefined) {
      socket.destroy()
      return
    }
    if (this.#clock.now() < this.#backoffUntil) {
      this.#refuse(socket, ip, 'backoff')
      return
    }
    this.#nextBackoff = this.#options.backoffMs?.initial ?? 100
    let refusal: string | undefined
    try {
      refusal = this.#options.check(ip, socket)
    } catch (err) {
      refusal = 'check_failed'
      this.#options.onError?.(err instanceof Error ? err : new Error(String(err)))
    }
    if (refusal !== undefined) {
      this.#refuse(socket, ip, refusal)
      return
    }
    const keepalive = this.#options.config.tcpKeepalive
    if (keepalive) setTcpKeepalive(socket, keepalive)
    socket.resume()
    this.#options.onSocket(socket)
  }

  #refuse(socket: net.Socket, ip: string, reason: string): void {
    socket.destroy()
    this.#options.onRefused?.(ip, reason)
  }

  /** An error on the listening socket (accept failed): back off, keep listening. */
  #acceptFailed(err: Error): void {
    this.#backoffUntil = this.#clock.now() + this.#nextBackoff
    this.#nextBackoff = Math.min(this.#nextBackoff * 2, this.#options.backoffMs?.max ?? 5000)
    this.#options.onError?.(err)
  }
}
