// Local peer discovery (Octez's p2p_discovery): UDP datagrams "DISCOMAGIC" + peer id + port sent
// to a broadcast address with a doubling delay, and the points heard from others on the LAN.
import dgram from 'node:dgram'
import { networkInterfaces } from 'node:os'
import { DuneP2pError } from '../errors/index.js'
import { type Clock, systemClock, type TimerHandle } from '../io/clock.js'
import type { LocalDiscoveryConfig } from '../pool/config.js'

/** The 10 bytes every discovery datagram starts with (Octez's Message.key). */
export const DISCOVERY_MAGIC = Buffer.from('DISCOMAGIC', 'latin1')
/** Octez's encoding: Fixed.string 10, the 16-byte peer id, the port as int16: 28 bytes. */
export const DISCOVERY_MESSAGE_SIZE = 28
/** Octez's sender: the first pause, doubled after each round for 10 rounds, then kept. */
export const DISCOVERY_FIRST_DELAY_MS = 100
export const DISCOVERY_DOUBLING_ROUNDS = 10
/** Points not heard recently that the worker passes on per minute at most (a LAN flood's bound). */
export const DISCOVERY_NEW_POINTS_PER_MINUTE = 64
/** Points remembered as heard recently (their repeats pass freely). */
const RECENT_POINTS = 256

/** A discovery datagram could not be made (code `DUNE_DISCOVERY`). */
export class LocalDiscoveryError extends DuneP2pError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DUNE_DISCOVERY', message, options)
  }
}

/**
 * The datagram announcing `peerId` listening on `port`, byte for byte as Octez makes it. The
 * port is an int16 there, so a port above 32767 cannot be announced (LocalDiscoveryError).
 */
export function encodeDiscoveryMessage(peerId: Uint8Array, port: number): Buffer {
  if (peerId.length !== 16) throw new LocalDiscoveryError(`a peer id has 16 bytes, not ${peerId.length}`)
  if (!Number.isInteger(port) || port < 1 || port > 0x7fff)
    throw new LocalDiscoveryError(
      `port ${port} cannot be announced: Octez's discovery message carries the port as an int16 (1..32767)`,
    )
  const message = Buffer.alloc(DISCOVERY_MESSAGE_SIZE)
  DISCOVERY_MAGIC.copy(message, 0)
  message.set(peerId, 10)
  message.writeInt16BE(port, 26)
  return message
}

/** The peer id and port of a discovery datagram, or undefined when it is not one (size, magic, port). */
export function decodeDiscoveryMessage(datagram: Buffer): { peerId: Buffer; port: number } | undefined {
  if (datagram.length !== DISCOVERY_MESSAGE_SIZE) return undefined
  if (!datagram.subarray(0, 10).equals(DISCOVERY_MAGIC)) return undefined
  const port = datagram.readInt16BE(26)
  if (port <= 0) return undefined
  return { peerId: Buffer.from(datagram.subarray(10, 26)), port }
}

/** The pause before round `round` (1-based) of broadcasts: 100 ms doubling, from round 10 on 51.2 s. */
export function discoveryDelayMs(round: number, firstDelayMs = DISCOVERY_FIRST_DELAY_MS): number {
  return firstDelayMs * 2 ** (Math.min(Math.max(round, 1), DISCOVERY_DOUBLING_ROUNDS) - 1)
}

/** Whether `ip` (IPv4) lies in a subnet of one of this host's IPv4 interfaces (the LAN, loopback). */
export function isOnLocalSubnet(
  ip: string,
  interfaces: ReturnType<typeof networkInterfaces> = networkInterfaces(),
): boolean {
  const target = ipv4Number(ip)
  if (target === undefined) return false
  for (const entries of Object.values(interfaces)) {
    for (const entry of entries ?? []) {
      if (entry.family !== 'IPv4') continue
      const address = ipv4Number(entry.address)
      const mask = ipv4Number(entry.netmask)
      if (address !== undefined && mask !== undefined && ((address ^ target) & mask) >>> 0 === 0) return true
    }
  }
  return false
}

/** isOnLocalSubnet over the interfaces read at most every 10 s (not a system call per datagram). */
function onLocalSubnetCached(clock: Clock): (ip: string) => boolean {
  let interfaces = networkInterfaces()
  let readAt = clock.now()
  return (ip) => {
    const now = clock.now()
    if (now - readAt > 10_000) {
      interfaces = networkInterfaces()
      readAt = now
    }
    return isOnLocalSubnet(ip, interfaces)
  }
}

function ipv4Number(ip: string): number | undefined {
  const parts = ip.split('.')
  if (parts.length !== 4) return undefined
  let n = 0
  for (const part of parts) {
    const byte = Number(part)
    if (!/^\d{1,3}$/.test(part) || byte > 255) return undefined
    n = n * 256 + byte
  }
  return n >>> 0
}

export interface LocalDiscoveryOptions {
  /** Our peer id (16 bytes): announced, and our own datagrams recognised by it. */
  readonly peerId: Uint8Array
  /** The port announced (the listening or advertised port). */
  readonly listeningPort: number
  /** Where datagrams are sent, an IPv4 (broadcast) address, and the UDP port heard on (P2pConfig.localDiscovery). */
  readonly config: Pick<LocalDiscoveryConfig, 'address' | 'port'>
  /** The address the sending socket is bound to (the node's own, on a host of several); default any. */
  readonly localAddress?: string | undefined
  /** Called with the sender's IP and announced port of each valid datagram of another peer. */
  readonly onPoint: (ip: string, port: number) => void
  /** Told of socket errors (the worker carries on) and of a port that cannot be announced. */
  readonly onError?: (error: Error) => void
  /**
   * Whether datagrams from `ip` are heard (default isOnLocalSubnet, interfaces re-read every
   * 10 s: only this host's own subnets, so that no one beyond the LAN fills the table of points).
   */
  readonly acceptSource?: (ip: string) => boolean
  /** The first pause between broadcasts (default 100 ms, as Octez). */
  readonly firstDelayMs?: number
  /** Points not heard recently passed on per minute at most (default 64); the rest are dropped. */
  readonly newPointsPerMinute?: number
  /** The clock of the rate limit and the broadcast timer (default systemClock). */
  readonly clock?: Clock
}

/** What the worker did, for tests and logs. */
export interface LocalDiscoveryStats {
  readonly sent: number
  readonly heard: number
  /** Datagrams dropped: malformed, ours, from outside the local subnets, or over the rate limit. */
  readonly ignored: number
}

/**
 * The two halves of Octez's p2p_discovery: the answer socket, bound to 0.0.0.0:port with
 * SO_REUSEADDR (several nodes of one host hear the same broadcasts) and SO_BROADCAST, registers
 * the points of the valid datagrams it hears; the sender broadcasts ours with a pause of
 * 100 ms doubling each round for 10 rounds, then every 51.2 s; `wakeup` starts the pauses over.
 */
export class LocalDiscovery {
  readonly #options: LocalDiscoveryOptions
  readonly #message: Buffer | undefined
  readonly #acceptSource: (ip: string) => boolean
  readonly #clock: Clock
  #answer: dgram.Socket | undefined
  #sender: dgram.Socket | undefined
  #timer: TimerHandle | undefined
  #round = 0
  #stopped = false
  #sent = 0
  #heard = 0
  #ignored = 0
  /** Points heard recently, oldest first (a bounded LRU: Map keeps insertion order). */
  readonly #recent = new Map<string, true>()
  /** Tokens for points not heard recently: refilled at newPointsPerMinute, at most that many. */
  #tokens: number
  #refilledAt: number

  constructor(options: LocalDiscoveryOptions) {
    this.#options = options
    this.#clock = options.clock ?? systemClock
    this.#acceptSource = options.acceptSource ?? onLocalSubnetCached(this.#clock)
    this.#tokens = options.newPointsPerMinute ?? DISCOVERY_NEW_POINTS_PER_MINUTE
    this.#refilledAt = this.#clock.now()
    try {
      this.#message = encodeDiscoveryMessage(options.peerId, options.listeningPort)
    } catch (err) {
      // Heard, not announced: a port Octez's message cannot carry.
      this.#message = undefined
      options.onError?.(err as Error)
    }
  }

  stats(): LocalDiscoveryStats {
    return { sent: this.#sent, heard: this.#heard, ignored: this.#ignored }
  }

  /** Binds the answer and sender sockets and sends the first datagram. Throws on a bind failure. */
  async start(): Promise<void> {
    const { localAddress } = this.#options
    const { port } = this.#options.config
    const answer = dgram.createSocket({ type: 'udp4', reuseAddr: true })
    answer.on('message', (datagram, remote) => this.#heardDatagram(datagram, remote.address))
    answer.on('error', (err) => this.#options.onError?.(err))
    try {
      await bind(answer, port, '0.0.0.0')
    } catch (err) {
      await close(answer)
      throw new LocalDiscoveryError(
        `cannot listen for discovery on UDP 0.0.0.0:${port}: ${(err as Error).message}`,
        {
          cause: err,
        },
      )
    }
    answer.setBroadcast(true)
    this.#answer = answer
    if (this.#message === undefined) return
    const sender = dgram.createSocket({ type: 'udp4' })
    sender.on('error', (err) => this.#options.onError?.(err))
    try {
      await bind(sender, 0, localAddress)
    } catch (err) {
      await Promise.all([close(answer), close(sender)])
      this.#answer = undefined
      throw new LocalDiscoveryError(
        `cannot bind the discovery sender to ${localAddress}: ${(err as Error).message}`,
        {
          cause: err,
        },
      )
    }
    sender.setBroadcast(true)
    this.#sender = sender
    this.#broadcast()
  }

  /** Starts the pauses over from 100 ms (Octez: when the maintenance looks for peers). */
  wakeup(): void {
    if (this.#sender === undefined || this.#stopped) return
    this.#clock.clearTimeout(this.#timer)
    this.#round = 0
    this.#broadcast()
  }

  /** Closes both sockets; no datagram is sent or heard after it resolves. */
  async stop(): Promise<void> {
    this.#stopped = true
    this.#clock.clearTimeout(this.#timer)
    await Promise.all([this.#answer, this.#sender].map((s) => (s ? close(s) : undefined)))
    this.#answer = undefined
    this.#sender = undefined
  }

  #broadcast(): void {
    const sender = this.#sender
    if (sender === undefined || this.#stopped || this.#message === undefined) return
    sender.send(this.#message, this.#options.config.port, this.#options.config.address, (err) => {
      if (err) this.#options.onError?.(err)
      else this.#sent++
    })
    this.#round++
    this.#timer = this.#clock.setTimeout(
      () => this.#broadcast(),
      discoveryDelayMs(this.#round, this.#options.firstDelayMs),
    )
    this.#timer.unref()
  }

  #heardDatagram(datagram: Buffer, ip: string): void {
    const decoded = decodeDiscoveryMessage(datagram)
    if (
      this.#stopped ||
      decoded === undefined ||
      decoded.peerId.equals(this.#options.peerId) ||
      !this.#acceptSource(ip)
    ) {
      this.#ignored++
      return
    }
    const key = `${ip}:${decoded.port}`
    if (this.#recent.delete(key)) this.#recent.set(key, true)
    else if (this.#takeToken()) {
      this.#recent.set(key, true)
      if (this.#recent.size > RECENT_POINTS) this.#recent.delete(this.#recent.keys().next().value!)
    } else {
      this.#ignored++
      return
    }
    this.#heard++
    this.#options.onPoint(ip, decoded.port)
  }

  /** One token of the new points' rate limit, if any is left. */
  #takeToken(): boolean {
    const perMinute = this.#options.newPointsPerMinute ?? DISCOVERY_NEW_POINTS_PER_MINUTE
    const now = this.#clock.now()
    this.#tokens = Math.min(perMinute, this.#tokens + ((now - this.#refilledAt) * perMinute) / 60_000)
    this.#refilledAt = now
    if (this.#tokens < 1) return false
    this.#tokens--
    return true
  }
}

function bind(socket: dgram.Socket, port: number, address: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (err: Error) => reject(err)
    socket.once('error', failed)
    socket.bind({ port, ...(address ? { address } : {}) }, () => {
      socket.off('error', failed)
      resolve()
    })
  })
}

function close(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve())
    } catch {
      resolve() // already closed
    }
  })
}
