// Prometheus metrics of one node, in a registry of its own (several nodes share a process):
// gauges computed at scrape time from the P2p instance, counters fed by its events.
import { Counter, Gauge, Registry } from 'prom-client'
import { DuneP2pError } from '../errors/index.js'
import type { P2pEvents } from '../p2p-application.js'
import type { GossipService } from '../shell/gossip.js'
import type { ObservedHeads } from '../shell/observer.js'
import { type AnyP2p, slotsJson } from './shapes.js'

/** The failure kind of a handshake error: its stable `DUNE_*` code, else its class name. */
export function failureCause(error: Error): string {
  return error instanceof DuneP2pError ? error.code : error.name || 'Error'
}

/** A node's metrics; create it before the node starts so that every handshake is counted. */
export class NodeMetrics {
  readonly registry = new Registry()
  readonly #p2p: AnyP2p
  /** Removes the event listeners that feed the counters. */
  readonly #detach: Array<() => void> = []

  constructor(p2p: AnyP2p, gossip?: GossipService, heads?: ObservedHeads) {
    this.#p2p = p2p
    const registers = [this.registry]
    const direction = (incoming: boolean) => (incoming ? 'incoming' : 'outgoing')
    const handshakes = new Counter({
      name: 'dune_p2p_handshakes_total',
      help: 'Handshakes completed (connections established), by direction',
      labelNames: ['direction'],
      registers,
    })
    const failures = new Counter({
      name: 'dune_p2p_handshake_failures_total',
      help: 'Handshakes that failed or were refused, by cause (the error code) and direction',
      labelNames: ['cause', 'direction'],
      registers,
    })
    const refused = new Counter({
      name: 'dune_p2p_refused_total',
      help: 'Incoming sockets closed before the handshake, by reason (ACL, admission limits, backoff)',
      labelNames: ['reason'],
      registers,
    })
    const evictions = new Counter({
      name: 'dune_p2p_evictions_total',
      help: 'Inbound connections closed to make room for a newcomer (inbound slots full)',
      registers,
    })
    const lowScore = new Counter({
      name: 'dune_p2p_low_score_disconnections_total',
      help: 'Peers whose score fell below score.disconnectBelow (disconnected and greylisted)',
      registers,
    })
    this.#listen('connection', (e) => handshakes.inc({ direction: direction(e.incoming) }))
    this.#listen('handshake-failed', (e) =>
      failures.inc({ cause: failureCause(e.error), direction: direction(e.incoming) }),
    )
    this.#listen('refused', (e) => refused.inc({ reason: e.reason }))
    this.#listen('evicted', () => evictions.inc())
    this.#listen('low-score', () => lowScore.inc())

    new Gauge({
      name: 'dune_p2p_slots',
      help: 'Connections by direction and handshakes in flight, and their limits in effect',
      labelNames: ['kind'],
      registers,
      collect() {
        // The kinds are the fields of `slots` in /network/stat.
        for (const [kind, value] of Object.entries(slotsJson(p2p.stats().slots))) this.set({ kind }, value)
      },
    })

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
    if (heads) {
      new Gauge({
        name: 'dune_p2p_peer_head_level',
        help: 'Levels of the heads peers announced (the latest of each peer): highest, median, lowest',
        labelNames: ['stat'],
        registers,
        collect() {
          this.reset()
          const levels = heads.levels()
          for (const stat of ['highest', 'median', 'lowest'] as const) {
            const value = levels[stat]
            if (value !== undefined) this.set({ stat }, value)
          }
        },
      })
      new Gauge({
        name: 'dune_p2p_peers_with_head',
        help: 'Peers whose announced head the observer holds',
        registers,
        collect() {
          this.set(heads.levels().peers)
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
    for (const detach of this.#detach.splice(0)) detach()
  }

  #listen<K extends keyof P2pEvents>(event: K, listener: (...args: P2pEvents[K]) => void): void {
    this.#p2p.on(event, listener)
    this.#detach.push(() => this.#p2p.off(event, listener))
  }
}
