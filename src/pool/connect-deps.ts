// The connect handler's contract (Octez's P2p_connect_handler.dependencies): its injected I/O,
// dial and authenticate, with the real ones over named-dial/dialTcp and the socket handshake.

import type { Socket } from 'node:net'
import type { Clock } from '../io/clock.js'
import type { IoScheduler } from '../io/scheduler.js'
import type { AbortOptions } from '../socket/abort.js'
import {
  type AuthenticatedPeer,
  authenticate,
  type HandshakeConfig,
  type HandshakeResult,
  type TcpKeepaliveOptions,
} from '../socket/index.js'
import type { NackMotive } from '../wire/index.js'
import type { PeerRecord } from './known-peers.js'
import { dialPointAddress } from './named-dial.js'
import type { ScoreComponent } from './peer-score.js'
import type { PointAddress } from './point-address.js'
import type { ActiveConnection } from './pool-types.js'
import type { Resolver } from './resolver.js'

/** A handshake past the metadata exchange (socket/handshake.ts's PendingHandshake): Ack or Nack it. */
export interface HandshakeInProgress<C> {
  readonly peer: AuthenticatedPeer<C>
  accept(): Promise<HandshakeResult<C>>
  nack(motive: NackMotive, alternativePoints: readonly string[]): Promise<void>
}

/** What a dial is told besides its signal: its timeout and the addresses it must skip. */
export interface DialRequest extends AbortOptions {
  /** Bounds the dial (and a name's lookup): connection_timeout, or the caller's. */
  readonly timeoutMs: number
  /** Whether an address may not be dialed: our own point, or banned (untrusted points). */
  readonly refused: (ipPoint: string) => 'own_point' | 'point_banned' | undefined
  /** Told of each address about to be dialed (a named point's lastAddress). */
  readonly dialing: (ip: string) => void
}

/** The handler's I/O (Octez's Internal_for_tests.dependencies): named-dial/dialTcp and authenticate by default. */
export interface ConnectDependencies<C> {
  /** Opens the TCP connection; rejects (DialError, ResolveError, ...) and leaves no socket when aborted. */
  dial(address: PointAddress, request: DialRequest): Promise<Socket>
  /** Runs the handshake to the metadata; on abort destroys the socket and rejects. */
  authenticate(
    socket: Socket,
    incoming: boolean,
    config: HandshakeConfig<C>,
    options: AbortOptions,
  ): Promise<HandshakeInProgress<C>>
}

/** What the handler asks of the pool that composes it. */
export interface ConnectHost<A, P, C> {
  /** Makes the live connection of a finished handshake (its Connection, throttle, violation counter). */
  open(
    result: HandshakeResult<C>,
    peerRecord: PeerRecord<P>,
    where: { ip: string; point: string | undefined; incoming: boolean; latencyMs: number },
  ): ActiveConnection<A, C>
  /** Starts answering on a connection just adopted (the answerer with discovery's handlers). */
  run(active: ActiveConnection<A, C>): void
  /** The peer's total score (behaviour plus the application's score of its metadata). */
  totalScore(peerId: string): number
  /** Counts on the peer's score; may disconnect it. */
  penalize(peerId: string, component: ScoreComponent, amount?: number): void
}

/** Options of one connect: the caller's signal, and the dial's timeout (default connection_timeout). */
export interface ConnectOptions extends AbortOptions {
  readonly timeoutMs?: number | undefined
}

/** How the real dial opens its sockets. */
export interface SocketDialSettings {
  readonly resolver: Resolver
  /** The clock of the name resolution's and the dial's timeouts. */
  readonly clock: Clock
  readonly scheduler: IoScheduler
  readonly keepalive: TcpKeepaliveOptions | undefined
  readonly localAddress: string | undefined
}

/** The real dependencies: a named point resolved and its addresses tried (named-dial.ts), the socket handshake. */
export function socketDependencies<C>(settings: SocketDialSettings): ConnectDependencies<C> {
  return {
    dial: (address, request) =>
      dialPointAddress(address, {
        resolver: settings.resolver,
        clock: settings.clock,
        options: {
          timeoutMs: request.timeoutMs,
          readBuffer: settings.scheduler.readBuffer,
          keepalive: settings.keepalive,
          localAddress: settings.localAddress,
          clock: settings.clock,
          signal: request.signal,
        },
        refused: request.refused,
        stopped: () => request.signal?.aborted ?? false,
        dialing: request.dialing,
      }),
    authenticate: (socket, incoming, config, options) => authenticate(socket, incoming, config, options),
  }
}
