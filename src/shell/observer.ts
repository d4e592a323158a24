// The observer, dune-node's application on a Tezos network: it asks each peer for its current
// head (never claims one), records what peers announce and sums up the levels seen.
import { EventEmitter } from 'node:events'
import { blake2b } from '@noble/hashes/blake2.js'
import { type Clock, systemClock, type TimerHandle } from '../io/clock.js'
import { BLOCK_HASH, hashToB58 } from '../octez/hashes.js'
import type { OctezMessage } from '../octez/messages.js'
import { type BlockHeader, blockHeaderEncoding } from '../octez/shell-encodings.js'
import type { P2p } from '../p2p.js'
import { encode, type Metadata } from '../wire/index.js'

/** Heads remembered at most (one per peer; the peers updated longest ago are forgotten first). */
export const DEFAULT_MAX_OBSERVED_HEADS = 1000

/**
 * Heads taken from one peer per window (Octez: a new head every 6-8 s, a few more with rounds).
 * Past it, heads are dropped unhashed and the peer is scored `invalid` once per window, so a
 * flooding peer is disconnected and greylisted after about ten windows (Octez throttles them).
 */
export const HEADS_PER_WINDOW = 10
export const HEAD_WINDOW_MS = 10_000

/** The head a peer announced last, with what the connection negotiated. */
export interface ObservedHead {
  readonly peerId: string
  readonly chainId: string
  readonly level: number
  /** Octez's block hash: blake2b-256 of the encoded header ("B…"). */
  readonly blockHash: string
  readonly predecessor: string
  /** The block's timestamp, seconds since the Unix epoch. */
  readonly timestamp: number
  /** The fitness, each element in hex. */
  readonly fitness: readonly string[]
  /** Protocol changes since genesis. */
  readonly proto: number
  /** The message it came in: an answer or advertisement of its head, or of its branch. */
  readonly source: 'current_head' | 'current_branch'
  /** When it was received, ms since the epoch. */
  readonly receivedAt: number
  readonly chainName: string
  readonly distributedDbVersion: number
  readonly p2pVersion: number
}

/** The spread of the levels the peers announced (their latest head each). */
export interface LevelStats {
  /** Peers with a recorded head. */
  readonly peers: number
  readonly highest: number | undefined
  readonly median: number | undefined
  readonly lowest: number | undefined
}

/** Counters of the observer's traffic. */
export interface ObserverCounts {
  /** Get_current_head asks sent. */
  readonly asked: number
  /** Heads recorded (Current_head and Current_branch on our chain). */
  readonly heads: number
  /** Messages about another chain, ignored. */
  readonly otherChain: number
  /** Requests of peers left unanswered (we hold no chain data), and other messages ignored. */
  readonly ignored: number
  /** Heads dropped unhashed: over HEADS_PER_WINDOW from one peer. */
  readonly throttled: number
}

/** What the admin RPC and metrics read of an observer. */
export interface ObservedHeads {
  head(peerId: string): ObservedHead | undefined
  levels(): LevelStats
}

export interface ObserverEvents {
  /** A peer announced a head on our chain. */
  head: [ObservedHead]
}

export interface ObserverOptions {
  /** The chain id of the network ("Net…"), asked about and expected in answers. */
  readonly chainId: string
  /** Milliseconds between two asks to each connected peer (each is also asked at connection). */
  readonly headEveryMs: number
  readonly maxHeads?: number
  /** Time of the heads and windows, and the asks' interval (default systemClock). */
  readonly clock?: Clock
}

/** The block hash of a header, as Octez computes it. */
export function blockHashOf(header: BlockHeader): string {
  return hashToB58(BLOCK_HASH, blake2b(encode(blockHeaderEncoding, header), { dkLen: 32 }))
}

/** The median of sorted numbers (the mean of the two middle ones for an even count, rounded down). */
function medianOf(sorted: readonly number[]): number | undefined {
  if (sorted.length === 0) return undefined
  const mid = sorted.length >> 1
  const upper = sorted[mid]
  if (upper === undefined || sorted.length % 2 === 1) return upper
  return Math.floor(((sorted[mid - 1] ?? upper) + upper) / 2) // mid >= 1 for an even count
}

/**
 * Runs the observer over a P2p instance speaking the Octez message set: it is the only reader of
 * its application messages. At each connection it sends Get_current_branch (which makes an Octez
 * peer count us active on the chain, and answers with its head too) and Get_current_head, then
 * Get_current_head every `headEveryMs`. It answers no request: like an Octez node for a chain it
 * does not hold, it has nothing true to say (it never sends Current_head, Current_branch or
 * Deactivate). Malformed or unknown messages never reach it: the connection closes them as a
 * decode error, which scores the peer `invalid` and greylists it.
 */
export class ObserverService extends EventEmitter<ObserverEvents> implements ObservedHeads {
  readonly #p2p: P2p<OctezMessage, null, Metadata>
  readonly #chainId: string
  readonly #everyMs: number
  readonly #maxHeads: number
  readonly #clock: Clock
  readonly #heads = new Map<string, ObservedHead>()
  /** Per connected peer: the start of its window and the heads taken in it. */
  readonly #windows = new Map<string, { start: number; count: number }>()
  readonly #onConnection = (e: { peerId: string }) => this.#ask(e.peerId, true)
  readonly #onDisconnection = (e: { peerId: string }) => this.#windows.delete(e.peerId)
  #timer: TimerHandle | undefined
  #reading: Promise<void> | undefined
  #asked = 0
  #recorded = 0
  #otherChain = 0
  #ignored = 0
  #throttled = 0

  constructor(p2p: P2p<OctezMessage, null, Metadata>, options: ObserverOptions) {
    super()
    this.#p2p = p2p
    this.#chainId = options.chainId
    this.#everyMs = options.headEveryMs
    this.#maxHeads = options.maxHeads ?? DEFAULT_MAX_OBSERVED_HEADS
    this.#clock = options.clock ?? systemClock
  }

  /** Subscribes to connections; call before the P2p instance starts, so the first peers are asked. */
  attach(): void {
    this.#p2p.on('connection', this.#onConnection)
    this.#p2p.on('disconnection', this.#onDisconnection)
  }

  /** Starts reading and the periodic asks (call once the P2p instance runs). */
  start(): void {
    this.#reading ??= this.#read()
    this.#timer ??= this.#clock.setInterval(() => {
      for (const c of this.#p2p.connections()) this.#ask(c.peerId, false)
    }, this.#everyMs)
  }

  /** Stops asking; reading ends by itself when the P2p instance stops. */
  stop(): void {
    this.#clock.clearInterval(this.#timer)
    this.#timer = undefined
    this.#p2p.off('connection', this.#onConnection)
    this.#p2p.off('disconnection', this.#onDisconnection)
  }

  /** Waits for the reader to end (after the P2p instance stopped). */
  async ended(): Promise<void> {
    await this.#reading
  }

  head(peerId: string): ObservedHead | undefined {
    return this.#heads.get(peerId)
  }

  /** Every recorded head, the most recently updated last. */
  heads(): ObservedHead[] {
    return [...this.#heads.values()]
  }

  levels(): LevelStats {
    const levels = Array.from(this.#heads.values(), (h) => h.level).sort((a, b) => a - b)
    return {
      peers: levels.length,
      highest: levels.at(-1),
      median: medianOf(levels),
      lowest: levels[0],
    }
  }

  counts(): ObserverCounts {
    return {
      asked: this.#asked,
      heads: this.#recorded,
      otherChain: this.#otherChain,
      ignored: this.#ignored,
      throttled: this.#throttled,
    }
  }

  #ask(peerId: string, atConnection: boolean): void {
    const chainId = this.#chainId
    if (atConnection) this.#p2p.trySend(peerId, { name: 'get_current_branch', value: { chainId } })
    if (this.#p2p.trySend(peerId, { name: 'get_current_head', value: { chainId } })) this.#asked++
  }

  /** Counts a head of `peer` in its window; false (and scored once per window) past the bound. */
  #withinRate(peer: string): boolean {
    const now = this.#clock.now()
    let w = this.#windows.get(peer)
    if (w === undefined || now - w.start >= HEAD_WINDOW_MS) {
      w = { start: now, count: 0 }
      // Only connected peers send: the map is bounded by the connections (cleared at disconnection).
      this.#windows.set(peer, w)
    }
    w.count++
    if (w.count <= HEADS_PER_WINDOW) return true
    this.#throttled++
    if (w.count === HEADS_PER_WINDOW + 1) this.#p2p.reportInvalid(peer)
    return false
  }

  async #read(): Promise<void> {
    for await (const { peer, message } of this.#p2p) {
      switch (message.name) {
        case 'current_head': {
          const { knownValid, pending } = message.value.currentMempool
          if (knownValid.length > 0 || pending.length > 0) {
            // We announced disable_mempool: as Octez, a mempool sent anyway makes the head invalid.
            this.#p2p.reportInvalid(peer)
            this.#ignored++
            break
          }
          this.#record(peer, message.value.chainId, message.value.currentBlockHeader, 'current_head')
          break
        }
        case 'current_branch':
          this.#record(peer, message.value.chainId, message.value.currentBranch.currentHead, 'current_branch')
          break
        case 'deactivate':
          // The peer no longer follows the chain: its head is no longer news.
          if (message.value.chainId === this.#chainId) this.#heads.delete(peer)
          break
        default:
          this.#ignored++
      }
    }
  }

  #record(peer: string, chainId: string, header: BlockHeader, source: ObservedHead['source']): void {
    if (chainId !== this.#chainId) {
      this.#otherChain++
      return
    }
    if (!this.#withinRate(peer)) return
    const version = this.#p2p.connection(peer)?.version
    const head: ObservedHead = {
      peerId: peer,
      chainId,
      level: header.level,
      blockHash: blockHashOf(header),
      predecessor: header.predecessor,
      timestamp: Number(header.timestamp),
      fitness: header.fitness.map((f) => f.toString('hex')),
      proto: header.proto,
      source,
      receivedAt: this.#clock.now(),
      chainName: version?.chainName ?? '',
      distributedDbVersion: version?.distributedDbVersion ?? 0,
      p2pVersion: version?.p2pVersion ?? 0,
    }
    this.#heads.delete(peer)
    this.#heads.set(peer, head)
    if (this.#heads.size > this.#maxHeads) {
      this.#heads.delete(this.#heads.keys().next().value as string)
    }
    this.#recorded++
    this.emit('head', head)
  }
}
