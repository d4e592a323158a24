// The dune-p2p driver: the project's own encrypted, Octez-compatible connections (handshake
// with proof of work, NaCl chunks, bounded queues) adapted to the benchmark's Driver interface.
import { createServer, type Server, type Socket } from 'node:net'
import type { Connection, HandshakeConfig } from '../../src/socket/index.js'
import type { ApplicationMessage, Metadata, P2pMessage } from '../../src/wire/index.js'
import { dune } from '../library.js'
import type { BenchConnection, Dialer, Driver, Listener, ListenOptions } from './driver.js'
import { BenchConnectionError } from './errors.js'
import { listenOnFreePort } from './tcp-connection.js'

const MAX_MESSAGE = 16 * 1024 * 1024
const { authenticate, bytes, defineMessages, dialTcp, generateIdentityInline, metadataEncoding } = dune

const definitions = { bench: { tag: 0x10, encoding: bytes({ max: MAX_MESSAGE }), maxSize: MAX_MESSAGE + 4 } }
/** The benchmark's application messages: one tag of raw bytes up to 16 MiB. */
export const registry = defineMessages(definitions)
type BenchMessage = ApplicationMessage<typeof definitions>

/** One scheduler per process, unlimited: the cost of scheduling is part of what is measured. */
export const scheduler = new dune.IoScheduler()
/** Bytes the outgoing queue holds before `send` asks the caller to wait. */
const OUTGOING_QUEUE_BYTES = 4 * 1024 * 1024
const POW_BITS = 4

/** A fresh identity (4 bits of proof of work) and the benchmark's versions and metadata. */
export function handshakeConfig(listeningPort: number | undefined): HandshakeConfig<Metadata> {
  return {
    identity: generateIdentityInline(POW_BITS),
    expectedProofOfWork: POW_BITS,
    versions: { chainName: 'DUNE_BENCH', distributedDbVersions: [0], p2pVersions: [1] },
    listeningPort,
    metadataEncoding,
    localMetadata: { disableMempool: false, privateNode: false },
    authenticationTimeoutMs: 30_000,
  }
}

class DuneBenchConnection implements BenchConnection {
  constructor(private readonly connection: Connection<BenchMessage, Metadata>) {}

  send(message: Buffer): Promise<void> | undefined {
    const msg: P2pMessage<BenchMessage> = { kind: 'application', message: { name: 'bench', value: message } }
    if (this.connection.trySend(msg)) return undefined
    return this.connection.send(msg)
  }

  onMessage(callback: (message: Buffer) => void): void {
    const connection = this.connection
    // Ready messages are taken synchronously (a `for await` would cost a microtask hop each).
    void (async () => {
      for (;;) {
        let msg = connection.tryReceive()
        if (msg === undefined) {
          try {
            msg = await connection.receive()
          } catch {
            return // closed: onClose reports it
          }
        }
        if (msg.kind === 'application') callback(msg.message.value)
      }
    })()
  }

  onClose(callback: (error?: Error) => void): void {
    void this.connection.closed.then((reason) => {
      callback(
        reason.kind === 'local' || reason.kind === 'peer_disconnect'
          ? undefined
          : new BenchConnectionError(reason.kind),
      )
    })
  }

  close(): Promise<void> {
    return this.connection.close()
  }
}

async function upgrade(
  socket: Socket,
  incoming: boolean,
  config: HandshakeConfig<Metadata>,
): Promise<DuneBenchConnection> {
  const pending = await authenticate(socket, incoming, config)
  const result = await pending.accept()
  return new DuneBenchConnection(
    new dune.Connection(result, registry, scheduler, { outgoingQueueBytes: OUTGOING_QUEUE_BYTES }),
  )
}

async function listen({ host, onConnection }: ListenOptions): Promise<Listener> {
  const open = new Set<DuneBenchConnection>()
  let config: HandshakeConfig<Metadata> | undefined
  const server: Server = createServer({ pauseOnConnect: true }, (accepted) => {
    const socket = dune.readAcceptedIntoSharedBuffer(accepted, scheduler.readBuffer)
    socket.resume()
    upgrade(socket, true, config!).then(
      (connection) => {
        open.add(connection)
        connection.onClose(() => open.delete(connection))
        onConnection(connection)
      },
      () => socket.destroy(),
    )
  })
  const port = await listenOnFreePort(server, host)
  config = handshakeConfig(port)
  return {
    address: `${host}:${port}`,
    close: async () => {
      await Promise.all([...open].map((c) => c.close()))
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

async function createDialer(): Promise<Dialer> {
  const config = handshakeConfig(undefined)
  const open = new Set<DuneBenchConnection>()
  return {
    async dial(address: string): Promise<BenchConnection> {
      const colon = address.lastIndexOf(':')
      const socket = await dialTcp(address.slice(0, colon), Number(address.slice(colon + 1)), {
        readBuffer: scheduler.readBuffer,
      })
      const connection = await upgrade(socket, false, config)
      open.add(connection)
      connection.onClose(() => open.delete(connection))
      return connection
    },
    close: async () => {
      await Promise.all([...open].map((c) => c.close()))
    },
  }
}

export const duneDriver: Driver = { name: 'dune', listen, createDialer }

/** Kept for the driver table: the dune driver is always available now. */
export async function loadDuneDriver(): Promise<Driver> {
  return duneDriver
}
