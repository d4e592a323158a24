// Prometheus metrics of one node, in a registry of its own (several nodes share a process):
// gauges computed at scrape time from the P2p instance, counters fed by its events.
import { Counter, Gauge, Registry } from 'prom-client'
import { DuneP2pError } from '../errors.js'
import type { GossipService } from '../node/gossip.js'
import type { AnyP2p } from './shapes.js'

/** The failure kind of a handshake error: its stable `DUNE_*` code, else its class name. */
export function failureCause(error: Error): string {
  return error instanceof DuneP2pError ? error.code : error.name || 'Error'
}

/** A node's metrics; create it before the node starts so that every handshake is counted. */
export class NodeMetrics {
  readonly registry = new Registry()
  readonly #p2p: AnyP2p
  readonly #handshakes: Counter<'direction'>
  readonly #failures: Counter<'cause' | 'direction'>
  readonly #onConnection: (e: { incoming: boolean }) => void
  readonly #onFailure: (e: { incoming: boolean; error: Error }) => void

  constructor(p2p: AnyP2p, gossip?: GossipService) {
    this.#p2p = p2p
    const registers = [this.registry]
    const direction = (incoming: boolean) => (incoming ? 'incoming' : 'outgoing')
    this.#handshakes = new Counter({
      name: 'dune_p2p_handshakes_total',
      help: 'Handshakes completed (connections established), by direction',
      labelNames: ['direction'],
      registers,
    })
    this.#failures = new Counter({
      name: 'dune_p2p_handshake_failures_total',
      help: 'Handshakes that failed or were refused, by cause (the error code) and direction',
      labelNames: ['cause', 'direction'],
      registers,
    })
    this.#onConnection = (e) => this.#handshakes.inc({ direction: direction(e.incoming) })
    this.#onFailure = (e) =>
      this.#failures.inc({ cause: failureCause(e.error), direction: direction(e.incoming) })
    p2p.on('connection', this.#onConnection)
    p2p.on('handshake-failed', this.#onFailure)

    new Gauge({
      name: 'dune_p2p_connections',
      help: 'Active connections, by direction',
      labelNames: ['direction'],
      registers,
      collect() {
        let incoming = 0
        let outgoing = 0
        for (const c of p2p.connections()) {
          if (c.incoming) incoming++
          else outgoing++
        }
        this.set({ direction: 'incoming' }, incoming)
        this.set({ direction: 'outgoing' }, outgoing)
      },
    })
    const seenBytes = { sent: 0, recv: 0 }
    new Counter({
      name: 'dune_p2p_bytes_total',
      help: 'Bytes sent and received on every connection since the start',
      labelNames: ['direction'],
      registers,
      collect() {
        const io = p2p.stats().io
        this.inc({ direction: 'sent' }, Math.max(0, io.bytesOut - seenBytes.sent))
        this.inc({ direction: 'recv' }, Math.max(0, io.bytesIn - seenBytes.recv))
        seenBytes.sent = Math.max(seenBytes.sent, io.bytesOut)
        seenBytes.recv = Math.max(seenBytes.recv, io.bytesIn)
      },
    })
    new Gauge({
      name: 'dune_p2p_flow_bytes_per_second',
      help: 'Current flow (moving average) over all connections, by direction',
      labelNames: ['direction'],
      registers,
      collect() {
        const io = p2p.stats().io
        this.set({ direction: 'in' }, io.flowIn)
        this.set({ direction: 'out' }, io.flowOut)
      },
    })
    new Gauge({
      name: 'dune_p2p_greylist_size',
      help: 'Active greylist entries, by kind',
      labelNames: ['kind'],
      registers,
      collect() {
        const g = p2p.acl.greylist()
        this.set({ kind: 'ip' }, g.ips.length)
        this.set({ kind: 'peer' }, g.peers.length)
      },
    })
    new Gauge({
      name: 'dune_p2p_queue_bytes',
      help: "Bytes waiting in the connections' queues (sum over connections), by direction",
      labelNames: ['direction'],
      registers,
      collect() {
        let queuedIn = 0
        let queuedOut = 0
        for (const c of p2p.connections()) {
          queuedIn += c.stats.incomingQueueBytes
          queuedOut += c.stats.outgoingQueueBytes
        }
        this.set({ direction: 'in' }, queuedIn)
        this.set({ direction: 'out' }, queuedOut)
      },
    })
    new Gauge({
      name: 'dune_p2p_incoming_handshakes',
      help: 'Incoming handshakes in progress',
      registers,
      collect() {
        this.set(p2p.stats().incomingHandshakes)
      },
    })
    new Gauge({
      name: 'dune_p2p_known_points',
      help: 'Points in the table of known points',
      registers,
      collect() {
        this.set(p2p.stats().knownPoints)
      },
    })
    new Gauge({
      name: 'dune_p2p_known_peers',
      help: 'Peers in the table of known peers',
      registers,
      collect() {
        this.set(p2p.stats().knownPeers)
      },
    })
    if (gossip) {
      const seen = { published: 0, received: 0, duplicates: 0 }
      new Counter({
        name: 'dune_p2p_gossip_messages_total',
        help: 'Demo gossip messages: published here, received new, received again (dropped)',
        labelNames: ['kind'],
        registers,
        collect() {
          const counts = gossip.counts()
          this.inc({ kind: 'published' }, counts.published - seen.published)
          this.inc({ kind: 'received' }, counts.received - seen.received)
          this.inc({ kind: 'duplicate' }, counts.duplicates - seen.duplicates)
          seen.published = counts.published
          seen.received = counts.received
          seen.duplicates = counts.duplicates
        },
      })
    }
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() }
  }

  /** Stops counting (removes the event listeners). */
  close(): void {
    this.#p2p.off('connection', this.#onConnection)
    this.#p2p.off('handshake-failed', this.#onFailure)
  }
}
