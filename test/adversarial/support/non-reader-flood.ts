// Issue 14's memory attack on a shipped dune-node: a peer that completes the handshake and stops
// reading while flooders send unique gossip for the relay to amplify; the figures it reaches.
import { randomBytes, randomFillSync } from 'node:crypto'
import type { DuneNode } from '../../../src/node/daemon.js'
import { DEFAULT_RELAY_PER_SECOND, MAX_GOSSIP_TEXT } from '../../../src/shell/gossip.js'
import type { CloseReason } from '../../../src/socket/index.js'
import type { ShippedNodeOptions } from '../../support/shipped-node.js'
import { waitUntil } from '../../support/wait.js'
import type { EvilPeer } from './evil-peer.js'
import { liveEvil, startShippedTarget, uniqueGossipFrame } from './shipped-target.js'

export interface NonReaderFloodOptions {
  /** Starts a shipped node (the test's fixture, or startShippedNode in a bench). */
  readonly start: (host: string, options?: ShippedNodeOptions) => Promise<DuneNode>
  /** The /16 of 127 the scenario's addresses are taken from, e.g. 38 for 127.38.x.x. */
  readonly subnet: number
  /** How long the flooders flood. */
  readonly floodSeconds: number
  /** Flooding peers, each sending `floodPerSecond` unique gossip messages (twice the relay rate by default). */
  readonly flooders?: number
  readonly floodPerSecond?: number
}

export interface NonReaderFloodFigures {
  readonly floodSeconds: number
  readonly flooders: number
  readonly floodPerSecond: number
  /** Gossip messages the flooders sent. */
  readonly floodSent: number
  /** The most bytes queued for sending over all the target's connections at one sample (every 100 ms). */
  readonly outQueueMaxBytes: number
  /** The most queued for the non-reader. */
  readonly nonReaderQueueMaxBytes: number
  /** The most bytes queued by the whole layer (p2p.stats().memory.peakBytes) and its budget. */
  readonly layerQueuedPeakBytes: number
  readonly memoryBudgetBytes: number
  /** The process's RSS growth from the start of the attack to its highest sample; its heap's and ArrayBuffers'. */
  readonly rssGrowthBytes: number
  readonly heapGrowthBytes: number
  readonly arrayBuffersGrowthBytes: number
  /** When the non-reader was disconnected (ms after it stopped reading), and why; undefined if it was not. */
  readonly nonReaderClosedAfterMs: number | undefined
  readonly nonReaderReason: CloseReason | undefined
  /** Gossip messages the good peer received from the target: in all, and after the non-reader stalled. */
  readonly goodReceived: number
  readonly goodReceivedWhileStalled: number
  /** New messages the target dropped (flooders over the relay rate) and delivered without relaying. */
  readonly relayDropped: number
  readonly notRelayed: number
}

/**
 * Runs the attack: target and good peer (shipped), a non-reader, `flooders` flooding peers. The
 * relay rate keeps the flood from reaching the non-reader fast, so the node's application also
 * sends to it at full speed (`p2p.trySend`, as an application would): its queue fills and stays
 * full. Ends once the flood is over and the non-reader is gone (or after the write-stall timeout
 * and 30 s more). Stops nothing: the caller's fixture does.
 */
export async function runNonReaderFlood(options: NonReaderFloodOptions): Promise<NonReaderFloodFigures> {
  const net = `127.${options.subnet}`
  const target = await startShippedTarget(options.start, `${net}.0.1`, `${net}.0.2`)
  const { node, good } = target
  const floodersCount = options.flooders ?? 4
  const floodPerSecond = options.floodPerSecond ?? 2 * DEFAULT_RELAY_PER_SECOND
  const flooders: EvilPeer[] = []
  for (let i = 0; i < floodersCount; i++) flooders.push(await liveEvil(target, `${net}.2.${i + 1}`))
  const nonReader = await liveEvil(target, `${net}.1.1`)

  let goodReceived = 0
  let goodReceivedWhileStalled = 0
  let stalledAt: number | undefined
  good.gossip.on('message', (m) => {
    if (m.from !== node.peerId) return
    goodReceived++
    if (stalledAt !== undefined) goodReceivedWhileStalled++
  })
  let reason: CloseReason | undefined
  let closedAt: number | undefined
  node.p2p.on('disconnection', (e) => {
    if (e.peerId !== nonReader.peerId) return
    reason = e.reason
    closedAt = Date.now()
  })

  const atStart = process.memoryUsage()
  const rssAtStart = atStart.rss
  let rssMax = rssAtStart
  let heapMax = atStart.heapUsed
  let arrayBuffersMax = atStart.arrayBuffers
  let outQueueMax = 0
  let nonReaderQueueMax = 0
  const sampler = setInterval(() => {
    const usage = process.memoryUsage()
    rssMax = Math.max(rssMax, usage.rss)
    heapMax = Math.max(heapMax, usage.heapUsed)
    arrayBuffersMax = Math.max(arrayBuffersMax, usage.arrayBuffers)
    let out = 0
    for (const c of node.p2p.connections()) {
      out += c.stats.outgoingQueueBytes
      if (c.peerId === nonReader.peerId)
        nonReaderQueueMax = Math.max(nonReaderQueueMax, c.stats.outgoingQueueBytes)
    }
    outQueueMax = Math.max(outQueueMax, out)
  }, 100)

  nonReader.stopReading()
  const began = Date.now()
  // The application sends to the non-reader as fast as it takes; once refused, it is full.
  const toNonReader = {
    name: 'gossip',
    value: { id: randomBytes(8), origin: randomBytes(16), text: 'n'.repeat(MAX_GOSSIP_TEXT) },
  } as const
  const filler = setInterval(() => {
    for (let i = 0; i < 200; i++) {
      const sent = node.p2p.trySend(nonReader.peerId, toNonReader)
      if (!sent) {
        stalledAt ??= Date.now()
        return
      }
    }
  }, 10)

  // Each flooder sends its messages every 50 ms, packed in one chunk: one template whose ids
  // are refreshed in place (the attack's tools allocate little, so the RSS is the node's).
  let floodSent = 0
  const perTick = Math.max(1, Math.round(floodPerSecond / 20))
  const frame = uniqueGossipFrame()
  const ID_OFFSET = 4 + 2 // u32 size, u16 tag, then the 8-byte id
  const tick = Buffer.concat(Array.from({ length: perTick }, () => frame))
  const flooding = setInterval(() => {
    for (const f of flooders) {
      if (f.socket.destroyed) continue
      for (let i = 0; i < perTick; i++) randomFillSync(tick, i * frame.length + ID_OFFSET, 8)
      f.send(f.seal(tick))
      floodSent += perTick
    }
  }, 50)
  await new Promise((resolve) => setTimeout(resolve, options.floodSeconds * 1000))
  clearInterval(flooding)
  const waitMs = node.p2p.config.writeStallTimeoutMs + 30_000
  await waitUntil(() => reason !== undefined, {
    message: 'the non-reader to be disconnected',
    timeoutMs: waitMs,
  }).catch(() => {})
  clearInterval(filler)
  clearInterval(sampler)
  for (const f of flooders) f.destroy()
  nonReader.destroy()

  const counts = node.gossip.counts()
  const memory = node.p2p.stats().memory
  return {
    floodSeconds: options.floodSeconds,
    flooders: floodersCount,
    floodPerSecond,
    floodSent,
    outQueueMaxBytes: outQueueMax,
    nonReaderQueueMaxBytes: nonReaderQueueMax,
    layerQueuedPeakBytes: memory.peakBytes,
    memoryBudgetBytes: memory.budgetBytes,
    rssGrowthBytes: rssMax - rssAtStart,
    heapGrowthBytes: heapMax - atStart.heapUsed,
    arrayBuffersGrowthBytes: arrayBuffersMax - atStart.arrayBuffers,
    nonReaderClosedAfterMs: closedAt === undefined ? undefined : closedAt - began,
    nonReaderReason: reason,
    goodReceived,
    goodReceivedWhileStalled,
    relayDropped: counts.relayDropped,
    notRelayed: counts.notRelayed,
  }
}
