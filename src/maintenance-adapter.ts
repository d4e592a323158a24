// The maintenance worker's view of a P2p instance: its MaintenancePool interface implemented
// with the instance's public operations, tables and events.
import type { AbortOptions } from './socket/abort.js'
import type { MaintenancePool } from './workers/maintenance.js'
import type { ConnectionView, KnownPointView } from './workers/maintenance-policy.js'

/** The events the worker follows. */
type MaintainedEvent = 'connection' | 'disconnection' | 'new-point' | 'new-peer'

/** The part of a P2p instance the maintenance uses (P2p implements it; no import of p2p.ts). */
export interface MaintainedNode {
  readonly running: boolean
  connections(): readonly ConnectionView[]
  points(): readonly KnownPointView[]
  connect(point: string, options: AbortOptions): Promise<unknown>
  disconnect(peerId: string, detail?: string): Promise<void>
  bootstrap(): number
  wakeLocalDiscovery(): void
  swapRequest(): boolean
  gc(): { greylist: number; scores: number; points: number; peers: number }
  enforceScores(): number
  stats(): { readonly activeConnections: number }
  on(event: MaintainedEvent, listener: () => void): this
  off(event: MaintainedEvent, listener: () => void): this
}

/**
 * What the worker needs, over `p2p`: dials resolve true or false (never reject), the known
 * points and connections as listed by `points()` and `connections()` (their fields are those of
 * KnownPointView and ConnectionView; remoteAddress is the socket's IP), Bootstrap and swap
 * requests, the GC (greylist, score records, tables), and the connection and discovery events.
 */
export function maintenancePoolOf(p2p: MaintainedNode): MaintenancePool {
  return {
    activeConnections: () => p2p.connections(),
    knownPoints: () => p2p.points(),
    connect(point, signal) {
      // An aborted worker starts no dial, and its abort ends the dials in progress.
      if (signal.aborted || !p2p.running) return Promise.resolve(false)
      return p2p.connect(point, { signal }).then(
        () => true,
        () => false,
      )
    },
    disconnect: (peerId, reason) => p2p.disconnect(peerId, reason),
    broadcastBootstrap() {
      p2p.bootstrap()
      p2p.wakeLocalDiscovery() // Octez wakes its discovery when it looks for peers
    },
    requestSwap() {
      p2p.swapRequest()
    },
    gc() {
      const { greylist, scores, points, peers } = p2p.gc()
      return greylist + scores + points + peers
    },
    enforceScores: () => p2p.enforceScores(),
    onConnectionCountChange(listener) {
      const changed = () => listener(p2p.stats().activeConnections)
      p2p.on('connection', changed).on('disconnection', changed)
      return () => {
        p2p.off('connection', changed).off('disconnection', changed)
      }
    },
    onNewPeerOrPoint(listener) {
      const learnt = () => listener()
      p2p.on('new-point', learnt).on('new-peer', learnt)
      return () => {
        p2p.off('new-point', learnt).off('new-peer', learnt)
      }
    },
  }
}
