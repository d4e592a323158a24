// The demo application of dune-node: gossip of short text messages (id, origin, text) that
// every node relays once to its other peers, remembering recent ids to drop duplicates.
import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { peerIdFromB58, peerIdToB58 } from '../crypto/index.js'
import { type Clock, systemClock, type TimerHandle } from '../io/clock.js'
import type { P2p } from '../p2p.js'
import {
  type ApplicationMessage,
  defineMessages,
  fixedBytes,
  type Metadata,
  obj,
  peerIdEncoding,
  string,
} from '../wire/index.js'

/** Longest text of a gossip message, in bytes. */
export const MAX_GOSSIP_TEXT = 256
/** Size of a message id. */
export const GOSSIP_ID_BYTES = 8
/** Message ids remembered to drop duplicates (the oldest are forgotten first). */
export const DEFAULT_SEEN_CAPACITY = 10_000
/**
 * New messages taken per second from one peer, and relayed per second in all, with the burst
 * above it: a peer cannot make the node amplify its traffic to every other peer faster than
 * this (its excess is dropped), and since an honest node never relays faster than this, the
 * per-peer limit of its neighbours never drops (nor scores) what it relays.
 */
export const DEFAULT_RELAY_PER_SECOND = 100
export const DEFAULT_RELAY_BURST = 200
/** Every this many messages dropped over the relay rate count one invalid message against the sender's score. */
export const DROPS_PER_PENALTY = 1000

const gossipDefinitions = {
  gossip: {
    tag: 0x10,
    encoding: obj('gossip', {
      id: fixedBytes(GOSSIP_ID_BYTES, { copy: true }),
      origin: peerIdEncoding,
      text: string({ max: MAX_GOSSIP_TEXT }),
    }),
    maxSize: GOSSIP_ID_BYTES + 16 + 4 + MAX_GOSSIP_TEXT,
  },
}

/** The demo application's message registry (tag 0x10). */
export const gossipMessages = defineMessages(gossipDefinitions)
export type GossipMessage = ApplicationMessage<typeof gossipDefinitions>

/** A new gossip message, as this node learnt it. */
export interface GossipEvent {
  /** The message id, hex. */
  readonly id: string
  /** The peer id (base58) of the node that published it. */
  readonly origin: string
  readonly text: string
  /** The peer it came from (base58), or undefined when published here. */
  readonly from: string | undefined
  readonly time: number
}

export interface GossipCounts {
  /** Messages published by this node. */
  readonly published: number
  /** New messages received from peers. */
  readonly received: number
  /** Messages received again and dropped. */
  readonly duplicates: number
  /** Ids remembered. */
  readonly seen: number
  /** New messages dropped because their sender passed its relay rate. */
  readonly relayDropped: number
  /** New messages delivered here but not relayed: the node's own relay rate was spent. */
  readonly notRelayed: number
}

/** Options of a GossipService. */
export interface GossipOptions {
  readonly seenCapacity?: number
  /** New messages relayed per second from one peer (default DEFAULT_RELAY_PER_SECOND). */
  readonly relayPerSecond?: number
  /** Burst allowed above relayPerSecond (default DEFAULT_RELAY_BURST). */
  readonly relayBurst?: number
  /** Time of the relay limits and messages, and the publishing interval (default systemClock). */
  readonly clock?: Clock
}

/** A sending peer's token bucket: tokens refill at the relay rate up to the burst. */
interface RelayBucket {
  tokens: number
  at: number
  dropped: number
}

export interface GossipEvents {
  /** A new message (published here or received for the first time). */
  message: [GossipEvent]
}

/**
 * Runs the gossip over a P2p instance: reads its application messages (it is their only
 * reader), relays each new one to every connected peer but the sender, and publishes.
 */
export class GossipService extends EventEmitter<GossipEvents> {
  readonly #p2p: P2p<GossipMessage, null, Metadata>
  readonly #origin: Buffer
  readonly #seen = new Set<string>()
  readonly #capacity: number
  readonly #relayPerMs: number
  readonly #relayBurst: number
  /** Per connected sending peer; forgotten at its disconnection. */
  readonly #buckets = new Map<string, RelayBucket>()
  #relayDropped = 0
  #notRelayed = 0
  /** The node's relay output: the same rate and burst, all senders together. */
  readonly #output: RelayBucket
  #published = 0
  #received = 0
  #duplicates = 0
  #timer: TimerHandle | undefined
  readonly #clock: Clock
  #reading: Promise<void> | undefined

  constructor(p2p: P2p<GossipMessage, null, Metadata>, options: GossipOptions = {}) {
    super()
    this.#p2p = p2p
    this.#origin = peerIdFromB58(p2p.peerId)
    this.#capacity = options.seenCapacity ?? DEFAULT_SEEN_CAPACITY
    this.#relayPerMs = (options.relayPerSecond ?? DEFAULT_RELAY_PER_SECOND) / 1000
    this.#relayBurst = options.relayBurst ?? DEFAULT_RELAY_BURST
    this.#clock = options.clock ?? systemClock
    this.#output = { tokens: this.#relayBurst, at: this.#clock.now(), dropped: 0 }
    p2p.on('disconnection', (e) => this.#buckets.delete(e.peerId))
  }

  /** Starts reading (call once the P2p instance runs); publishes every `everySeconds` when > 0. */
  start(everySeconds = 0): void {
    this.#reading ??= this.#read()
    if (everySeconds > 0 && !this.#timer) {
      this.#timer = this.#clock.setInterval(
        () => this.publish(`hello #${this.#published + 1} from ${this.#p2p.peerId.slice(0, 10)}`),
        everySeconds * 1000,
      )
    }
  }

  /** Stops publishing; reading ends by itself when the P2p instance stops. */
  stop(): void {
    this.#clock.clearInterval(this.#timer)
    this.#timer = undefined
  }

  /** Waits for the reader to end (after the P2p instance stopped). */
  async ended(): Promise<void> {
    await this.#reading
  }

  /** Publishes a new message to every connected peer; returns its id (hex). Text over 256 bytes is cut. */
  publish(text: string): string {
    const id = randomBytes(GOSSIP_ID_BYTES)
    const cut = Buffer.byteLength(text) > MAX_GOSSIP_TEXT ? truncateUtf8(text, MAX_GOSSIP_TEXT) : text
    const hex = id.toString('hex')
    this.#remember(hex)
    this.#published++
    // What we publish counts in our output too (taken even when none is left), so our output
    // never passes what our neighbours' per-peer limit takes.
    this.#refill(this.#output, this.#clock.now(), this.#relayBurst)
    this.#output.tokens -= 1
    if (this.#p2p.running) {
      this.#p2p.broadcast({ name: 'gossip', value: { id, origin: this.#origin, text: cut } })
    }
    this.emit('message', {
      id: hex,
      origin: this.#p2p.peerId,
      text: cut,
      from: undefined,
      time: this.#clock.now(),
    })
    return hex
  }

  counts(): GossipCounts {
    return {
      published: this.#published,
      received: this.#received,
      duplicates: this.#duplicates,
      seen: this.#seen.size,
      relayDropped: this.#relayDropped,
      notRelayed: this.#notRelayed,
    }
  }

  async #read(): Promise<void> {
    for await (const { peer, message } of this.#p2p) {
      const { id, origin, text } = message.value
      const hex = id.toString('hex')
      if (this.#seen.has(hex)) {
        this.#duplicates++
        continue
      }
      if (!this.#admitRelay(peer)) continue
      this.#remember(hex)
      this.#received++
      if (this.#take(this.#output, this.#clock.now(), this.#relayBurst)) {
        for (const c of this.#p2p.connections()) {
          if (c.peerId !== peer) this.#p2p.trySend(c.peerId, message)
        }
      } else this.#notRelayed++
      this.emit('message', {
        id: hex,
        origin: peerIdToB58(origin),
        text,
        from: peer,
        time: this.#clock.now(),
      })
    }
  }

  /**
   * Takes a token of the sender's bucket; false (the message is dropped, not remembered) when it
   * is empty. Every DROPS_PER_PENALTY drops count one invalid message against the sender.
   */
  #admitRelay(peer: string): boolean {
    const now = this.#clock.now()
    let bucket = this.#buckets.get(peer)
    if (bucket === undefined) {
      bucket = { tokens: 2 * this.#relayBurst, at: now, dropped: 0 }
      if (this.#p2p.connection(peer) !== undefined) this.#buckets.set(peer, bucket)
    }
    // Twice the output burst: the jitter of an honest neighbour's output (at most our rate and
    // burst, as ours) is never dropped.
    if (this.#take(bucket, now, 2 * this.#relayBurst)) return true
    this.#relayDropped++
    if (++bucket.dropped % DROPS_PER_PENALTY === 0) this.#p2p.reportInvalid(peer)
    return false
  }

  /** Takes a token of `bucket` (refilled at the relay rate up to `burst`); false when empty. */
  #take(bucket: RelayBucket, now: number, burst: number): boolean {
    this.#refill(bucket, now, burst)
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }

  #refill(bucket: RelayBucket, now: number, burst: number): void {
    bucket.tokens = Math.min(burst, bucket.tokens + (now - bucket.at) * this.#relayPerMs)
    bucket.at = now
  }

  /** Adds an id, forgetting the oldest past the capacity (a Set iterates in insertion order). */
  #remember(id: string): void {
    this.#seen.add(id)
    if (this.#seen.size > this.#capacity) {
      const oldest = this.#seen.values().next().value as string
      this.#seen.delete(oldest)
    }
  }
}

/** The longest prefix of `text` that fits in `max` bytes of UTF-8. */
function truncateUtf8(text: string, max: number): string {
  let bytes = 0
  let end = 0
  for (const ch of text) {
    const n = Buffer.byteLength(ch)
    if (bytes + n > max) break
    bytes += n
    end += ch.length
  }
  return text.slice(0, end)
}
