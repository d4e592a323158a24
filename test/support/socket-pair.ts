// Two ends of a real TCP connection on loopback (listener on 127.0.0.1, dialer bound to
// another 127.x address), and handshake configurations for tests of the socket layer.
import './dial-guard.mjs' // no test dials outside loopback
import net from 'node:net'
import type { Identity } from '../../src/crypto/index.js'
import { IoScheduler } from '../../src/io/scheduler.js'
import {
  authenticate,
  Connection,
  type ConnectionOptions,
  dialTcp,
  type HandshakeConfig,
  type PendingHandshake,
} from '../../src/socket/index.js'
import {
  type ApplicationMessage,
  bytes,
  defineMessages,
  type Metadata,
  metadataEncoding,
  type P2pMessage,
} from '../../src/wire/index.js'
import { testIdentity } from './identities.js'

const blobDefinitions = {
  blob: { tag: 0x10, encoding: bytes({ max: 4 * 1024 * 1024 }), maxSize: 4 * 1024 * 1024 + 4 },
}
/** A test application: one message kind carrying raw bytes (up to 4 MiB). */
export const testMessages = defineMessages(blobDefinitions)
export type TestMessage = ApplicationMessage<typeof blobDefinitions>
export type TestConnection = Connection<TestMessage, Metadata>

/** The P2P message carrying `data` as a blob. */
export const blob = (data: Buffer): P2pMessage<TestMessage> => ({
  kind: 'application',
  message: { name: 'blob', value: data },
})

export function handshakeConfig(
  overrides: Partial<HandshakeConfig<Metadata>> = {},
): HandshakeConfig<Metadata> {
  const identity: Identity = overrides.identity ?? testIdentity()
  return {
    identity,
    expectedProofOfWork: 4,
    versions: { chainName: 'DUNE_TEST', distributedDbVersions: [0, 1], p2pVersions: [0, 1] },
    listeningPort: 9732,
    metadataEncoding,
    localMetadata: { disableMempool: false, privateNode: false },
    authenticationTimeoutMs: 2000,
    ...overrides,
  }
}

/** A listener on 127.0.0.1 whose accepted sockets are handed to `onSocket`. */
export async function listen(
  onSocket: (socket: net.Socket) => void,
): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    onSocket(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

/** Runs both handshakes to the metadata exchange; the caller decides Ack or Nack on each side. */
export async function pendingPair(
  dialer: HandshakeConfig<Metadata>,
  acceptor: HandshakeConfig<Metadata>,
  localAddress = '127.0.0.2',
  readBuffer?: Buffer,
): Promise<{
  dialed: Promise<PendingHandshake<Metadata>>
  accepted: Promise<PendingHandshake<Metadata>>
  close: () => Promise<void>
}> {
  let resolveAccepted!: (p: Promise<PendingHandshake<Metadata>>) => void
  const acceptedOuter = new Promise<Promise<PendingHandshake<Metadata>>>((r) => {
    resolveAccepted = r
  })
  const server = await listen((socket) => resolveAccepted(authenticate(socket, true, acceptor)))
  const socket = await dialTcp('127.0.0.1', server.port, {
    localAddress,
    readBuffer,
  })
  const dialed = authenticate(socket, false, dialer)
  const accepted = acceptedOuter.then((p) => p)
  dialed.catch(() => {})
  accepted.catch(() => {})
  return { dialed, accepted, close: server.close }
}

/** Two live connections, both sides having accepted, sharing one scheduler unless given two. */
export async function connectedPair(
  options: {
    dialer?: ConnectionOptions
    acceptor?: ConnectionOptions
    scheduler?: IoScheduler
    acceptorScheduler?: IoScheduler
    localAddress?: string
    /** The dialer reads into this shared buffer (read_buffer_size). */
    readBuffer?: Buffer
  } = {},
): Promise<{ dialer: TestConnection; acceptor: TestConnection; close: () => Promise<void> }> {
  const scheduler = options.scheduler ?? new IoScheduler()
  const pending = await pendingPair(
    handshakeConfig(),
    handshakeConfig(),
    options.localAddress,
    options.readBuffer,
  )
  const [d, a] = await Promise.all([pending.dialed, pending.accepted])
  const [dr, ar] = await Promise.all([d.accept(), a.accept()])
  const dialer = new Connection(dr, testMessages, scheduler, options.dialer)
  const acceptor = new Connection(ar, testMessages, options.acceptorScheduler ?? scheduler, options.acceptor)
  return {
    dialer,
    acceptor,
    close: async () => {
      dialer.destroy()
      acceptor.destroy()
      await pending.close()
    },
  }
}
