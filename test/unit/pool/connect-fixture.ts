// A connect handler on fakes: a scripted network (dial and authenticate without sockets), a
// host whose connections are fakes closed by the test, and the pool's real tables and slots.

import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import type { Socket } from 'node:net'
import { AccessControl } from '../../../src/acl/index.js'
import { peerIdToB58 } from '../../../src/crypto/index.js'
import { AdmissionLimiter } from '../../../src/pool/admission.js'
import { type P2pConfig, type P2pConfigInput, parseP2pConfig, slotLimits } from '../../../src/pool/config.js'
import type { ConnectDependencies, DialRequest, HandshakeInProgress } from '../../../src/pool/connect-deps.js'
import { ConnectHandler } from '../../../src/pool/connect-handler.js'
import { Misbehaviour } from '../../../src/pool/misbehaviour.js'
import { PeerScores } from '../../../src/pool/peer-score.js'
import type { PointAddress } from '../../../src/pool/point-address.js'
import type { ActiveConnection, PoolEvents } from '../../../src/pool/pool-types.js'
import { Slots } from '../../../src/pool/slots.js'
import { PoolTables } from '../../../src/pool/tables.js'
import { AbortedError } from '../../../src/socket/abort.js'
import type { CloseReason, HandshakeResult, VersionRejection } from '../../../src/socket/index.js'
import type { NackMotive } from '../../../src/wire/index.js'
import { FakeClock } from '../../support/fake-clock.js'
import { testIdentity } from '../../support/identities.js'

export type Meta = { readonly private?: boolean }
export type Active = ActiveConnection<string, Meta>

/** A fresh peer id in base58. */
export const newPeerId = (): string => peerIdToB58(randomBytes(16))

/** What the remote end of a fake socket does: `hang` waits for an abort; an Error rejects. */
export interface PeerScript {
  readonly peerId?: string
  /** The listening port it announces (0: none; default the dialed port, or 0 when incoming). */
  readonly port?: number
  readonly version?: VersionRejection
  readonly metadata?: Meta
  readonly authenticate?: 'ok' | 'hang' | Error
  /** Its answer to our Ack. */
  readonly accept?: 'ack' | 'hang' | Error
}

/** A socket without a wire: remote end, destroyed flag, 'close' once destroyed. */
export class FakeSocket extends EventEmitter {
  destroyed = false
  constructor(
    readonly remoteAddress: string,
    readonly remotePort: number,
    readonly script: PeerScript,
  ) {
    super()
  }
  destroy(): this {
    if (!this.destroyed) {
      this.destroyed = true
      queueMicrotask(() => this.emit('close'))
    }
    return this
  }
  asSocket(): Socket {
    return this as unknown as Socket
  }
}

export interface Nack {
  readonly peerId: string
  readonly motive: NackMotive
  readonly alternatives: readonly string[]
}

/** Waits for `signal` to abort, then rejects as the real steps do (socket destroyed, AbortedError). */
function untilAborted<T>(signal: AbortSignal | undefined, socket?: FakeSocket): Promise<T> {
  return new Promise<T>((_, reject) => {
    const abort = () => {
      socket?.destroy()
      reject(new AbortedError('fake step', signal?.reason))
    }
    if (signal?.aborted) abort()
    else signal?.addEventListener('abort', abort, { once: true })
  })
}

/** The scripted network: dials by point, peers by script; records what the handler did. */
export class FakeNetwork {
  readonly dials: Array<{ readonly point: string; readonly request: DialRequest }> = []
  readonly sockets: FakeSocket[] = []
  readonly nacks: Nack[] = []
  readonly authSignals: AbortSignal[] = []
  readonly #dialScripts = new Map<string, 'ok' | 'hang' | 'ignore-abort' | Error>()
  readonly #peerScripts = new Map<string, PeerScript>()
  /** Resolves the dials scripted 'ignore-abort' (they resolve whatever the signal). */
  readonly #lateDials: Array<() => void> = []

  /** How the dial of `point` ends (default ok). */
  dialing(point: string, outcome: 'ok' | 'hang' | 'ignore-abort' | Error): this {
    this.#dialScripts.set(point, outcome)
    return this
  }

  /** Who answers at `point` (default a fresh peer that accepts). */
  peer(point: string, script: PeerScript): this {
    this.#peerScripts.set(point, script)
    return this
  }

  releaseLateDials(): void {
    for (const release of this.#lateDials.splice(0)) release()
  }

  /** An incoming socket from `ip`, its remote end behaving as `script`. */
  incoming(ip: string, script: PeerScript = {}): FakeSocket {
    const socket = new FakeSocket(ip, 40_000 + this.sockets.length, script)
    this.sockets.push(socket)
    return socket
  }

  readonly dependencies: ConnectDependencies<Meta> = {
    dial: (address: PointAddress, request: DialRequest) => {
      this.dials.push({ point: address.point, request })
      const outcome = this.#dialScripts.get(address.point) ?? 'ok'
      if (outcome instanceof Error) return Promise.reject(outcome)
      if (outcome === 'hang') return untilAborted(request.signal)
      const socket = new FakeSocket(address.host, address.port, {
        port: address.port,
        ...this.#peerScripts.get(address.point),
      })
      this.sockets.push(socket)
      if (outcome === 'ignore-abort')
        return new Promise((resolve) => this.#lateDials.push(() => resolve(socket.asSocket())))
      return Promise.resolve(socket.asSocket())
    },
    authenticate: (raw, incoming, _config, options) => {
      const socket = raw as unknown as FakeSocket
      const { signal } = options
      if (signal) this.authSignals.push(signal)
      const script = socket.script
      if (script.authenticate === 'hang') return untilAborted(signal, socket)
      if (script.authenticate instanceof Error) {
        socket.destroy()
        return Promise.reject(script.authenticate)
      }
      return Promise.resolve(this.#pending(socket, incoming, script, signal))
    },
  }

  #pending(
    socket: FakeSocket,
    incoming: boolean,
    script: PeerScript,
    signal: AbortSignal | undefined,
  ): HandshakeInProgress<Meta> {
    const peerIdB58 = script.peerId ?? newPeerId()
    const version = { chainName: 'TEST', distributedDbVersion: 0, p2pVersion: 1 }
    const peer = {
      incoming,
      remoteAddress: socket.remoteAddress,
      remotePort: socket.remotePort,
      peerId: Buffer.alloc(16),
      peerIdB58,
      remoteConnectionMessage: { port: script.port ?? 0, p2pVersion: 1 } as never,
      remoteMetadata: script.metadata ?? {},
      version:
        script.version === undefined
          ? { ok: true as const, version }
          : { ok: false as const, motive: script.version },
    }
    return {
      peer,
      accept: async (): Promise<HandshakeResult<Meta>> => {
        if (script.accept === 'hang') return untilAborted(signal, socket)
        if (script.accept instanceof Error) {
          socket.destroy()
          throw script.accept
        }
        return {
          peer,
          socket: socket.asSocket(),
          cipher: undefined as never,
          leftover: Buffer.alloc(0),
          version,
        }
      },
      nack: async (motive, alternatives) => {
        this.nacks.push({ peerId: peerIdB58, motive, alternatives: [...alternatives] })
        socket.destroy()
      },
    }
  }
}

/** A live connection's fake: closed by close/destroy, which resolve `closed`. */
export class FakeConnection {
  closeReason: CloseReason | undefined
  readonly closed: Promise<CloseReason>
  #resolve!: (reason: CloseReason) => void
  constructor(readonly peer: HandshakeResult<Meta>['peer']) {
    this.closed = new Promise((resolve) => {
      this.#resolve = resolve
    })
  }
  close(reason: CloseReason): Promise<CloseReason> {
    if (this.closeReason === undefined) {
      this.closeReason = reason
      this.#resolve(reason)
    }
    return this.closed
  }
  destroy(reason: CloseReason): void {
    void this.close(reason)
  }
}

export interface Harness {
  readonly config: P2pConfig
  readonly acl: AccessControl
  readonly events: EventEmitter<PoolEvents>
  readonly tables: PoolTables<string, number, Meta>
  readonly scores: PeerScores
  readonly slots: Slots<Active>
  readonly lifetime: AbortController
  readonly net: FakeNetwork
  readonly handler: ConnectHandler<string, number, Meta>
  /** The connections the handler adopted, in order. */
  readonly adopted: Active[]
  /** Every event the handler emitted, by name. */
  readonly emitted: Array<{ readonly name: keyof PoolEvents; readonly args: unknown[] }>
  /** How many times an event was emitted. */
  count(name: keyof PoolEvents): number
}

const identity = testIdentity()

/** A handler on fakes; maintenance off so that the ceiling is maxConnections. */
export function harness(input: Partial<P2pConfigInput> = {}): Harness {
  const config = parseP2pConfig({
    identity,
    chainName: 'TEST',
    expectedProofOfWork: 0,
    maintenance: { enabled: false },
    ...input,
  })
  const acl = new AccessControl({ greylistTimeoutMs: config.greylistTimeoutMs })
  const events = new EventEmitter<PoolEvents>()
  const emitted: Harness['emitted'] = []
  const originalEmit = events.emit.bind(events)
  events.emit = ((name: keyof PoolEvents, ...args: unknown[]) => {
    emitted.push({ name, args })
    return (originalEmit as (n: string, ...a: unknown[]) => boolean)(name, ...args)
  }) as typeof events.emit
  const clock = new FakeClock(1_000_000)
  const tables = new PoolTables<string, number, Meta>({
    config,
    acl,
    initialPeerMetadata: () => 0,
    events,
    clock,
  })
  const scores = new PeerScores(
    {
      components: config.score,
      retainMs: config.score.retainMs,
      disconnectBelow: config.score.disconnectBelow,
      maxRecords: config.score.maxRecords,
    },
    clock,
  )
  const admission = new AdmissionLimiter(config.admission, clock)
  const slots = new Slots<Active>(slotLimits(config))
  const lifetime = new AbortController()
  const net = new FakeNetwork()
  const adopted: Active[] = []
  const misbehaviour = new Misbehaviour({ acl, tables, scores, admission, events, clock })
  const handler = new ConnectHandler<string, number, Meta>({
    config,
    acl,
    tables,
    scores,
    admission,
    slots,
    connectionMetadata: { encoding: undefined as never, local: {}, isPrivate: (m) => m.private === true },
    announcedPort: () => 9732,
    lifetime: lifetime.signal,
    events,
    clock,
    misbehaviour,
    dependencies: net.dependencies,
    host: {
      open: (result, _record, where) => {
        const active = {
          connection: new FakeConnection(result.peer),
          peerId: result.peer.peerIdB58,
          ...where,
          private: result.peer.remoteMetadata.private === true,
          connectedAt: clock.now(),
          sentSwapRequest: undefined,
        } as unknown as Active
        adopted.push(active)
        return active
      },
      run: () => {},
      totalScore: (peerId) => scores.behaviour(peerId),
      penalize: (peerId, component, amount) => scores.add(peerId, component, amount),
    },
  })
  return {
    config,
    acl,
    events,
    tables,
    scores,
    slots,
    lifetime,
    net,
    handler,
    adopted,
    emitted,
    count: (name) => emitted.filter((e) => e.name === name).length,
  }
}

/** Lets pending callbacks (closes, microtasks) run. */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
