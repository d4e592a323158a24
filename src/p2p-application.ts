// What an application gives the P2p entry point (messages, metadata, logger, resolver, clock)
// and what the layer reports back (its counters and events), with the default metadata.
import type { Clock } from './io/clock.js'
import type { SchedulerStats } from './io/scheduler.js'
import type { StateStoreLogger } from './pool/persistence/state-store.js'
import type { ConnectionMetadataConfig, PeerMetadataConfig, PoolEvents, SlotCounts } from './pool/pool.js'
import type { Resolver } from './pool/resolver.js'
import { constant, type MessageRegistry, type Metadata, metadataEncoding } from './wire/index.js'
import type { StepReason, StepReport } from './workers/maintenance.js'

/** What the application brings: its messages, and optionally its peer and connection metadata. */
export interface P2pApplication<A, P, C> {
  /** The application's messages (tags >= 0x10), e.g. from defineMessages. */
  readonly messages: MessageRegistry<A>
  /** Per-peer metadata and its score; default: none (null), score 0. */
  readonly peerMetadata?: PeerMetadataConfig<P>
  /** Handshake metadata; default: the shell's `{disableMempool, privateNode}` with privateNode = privateMode. */
  readonly connectionMetadata?: ConnectionMetadataConfig<C>
  /** Where warnings go (unusable state file, failed save); pino's logger fits. */
  readonly logger?: StateStoreLogger
  /**
   * Resolves the DNS names of points (`boot.example.net:9732`) at each dial, to IPv4 and IPv6
   * addresses tried in turn; default: the system's (`dns.promises.lookup(name, { all: true })`).
   */
  readonly resolver?: Resolver | undefined
  /**
   * The time source of the whole layer: point and peer histories, greylist expiries, scores,
   * rate limits and every timer (default systemClock; tests drive a fake clock).
   */
  readonly clock?: Clock
}

/** Counters of the whole layer. */
export interface P2pStats {
  readonly activeConnections: number
  /** Inbound and outbound connections, handshakes in flight, and their limits. */
  readonly slots: SlotCounts
  readonly incomingHandshakes: number
  readonly knownPoints: number
  readonly knownPeers: number
  readonly io: SchedulerStats
  /** Bytes queued by the whole layer (queues and unsent socket bytes), their peak, and the budget. */
  readonly memory: { readonly queuedBytes: number; readonly peakBytes: number; readonly budgetBytes: number }
}

/** The events of a P2p instance: the pool's, and the maintenance worker's step reports. */
export interface P2pEvents extends PoolEvents {
  /** A maintenance step ended (whatever triggered it). */
  maintenance: [StepReport]
  /** A maintenance step failed because an operation threw (a bug: dials never throw). */
  'maintenance-failed': [{ readonly reason: StepReason; readonly error: unknown }]
  /** No IPv6 for `::`: the layer listens on 0.0.0.0 instead. */
  'listen-fallback': [{ readonly from: string; readonly to: string; readonly error: Error }]
  /** Local discovery: a socket error, or a port its datagram cannot carry (it carries on). */
  'local-discovery-error': [{ readonly error: Error }]
}

/** A listener of the P2p event `K`. */
export type P2pListener<K extends keyof P2pEvents> = (...args: P2pEvents[K]) => void

/** The peer metadata when the application keeps none: null, of score 0. */
export const NO_PEER_METADATA: PeerMetadataConfig<null> = {
  encoding: constant(null),
  initial: () => null,
  score: () => 0,
}

/** The shell's handshake metadata, announcing private mode. */
export function defaultConnectionMetadata(privateNode: boolean): ConnectionMetadataConfig<Metadata> {
  return {
    encoding: metadataEncoding,
    local: { disableMempool: false, privateNode },
    isPrivate: (m) => m.privateNode,
  }
}
