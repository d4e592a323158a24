// A local network of nodes on 127.0.0.1 for the quick start: fresh identities, a ring of
// authenticated connections, a chat message every few seconds, and a status line per node.
import { mkdir } from 'node:fs/promises'
import net from 'node:net'
import { join } from 'node:path'
import { generateIdentity, type Identity, peerIdToB58 } from '../crypto/index.js'
import { IoScheduler } from '../io/scheduler.js'
import {
  authenticate,
  type Connection,
  Connection as ConnectionClass,
  describeCloseReason,
  dialTcp,
  type HandshakeConfig,
} from '../socket/index.js'
import {
  type ApplicationMessage,
  defineMessages,
  type Metadata,
  metadataEncoding,
  string,
} from '../wire/index.js'
import { writeIdentityFile } from './identity-file.js'

const chatDefinitions = { chat: { tag: 0x10, encoding: string({ max: 1024 }), maxSize: 1028 } }
const chatMessages = defineMessages(chatDefinitions)
type ChatMessage = ApplicationMessage<typeof chatDefinitions>
type ChatConnection = Connection<ChatMessage, Metadata>

export interface SandboxOptions {
  readonly nodes: number
  readonly baseDir: string
  readonly powBits: number
  /** Seconds between two chat messages of a node; 0: none. */
  readonly chatEverySeconds: number
  /** Seconds before it stops by itself; 0: until the signal aborts. */
  readonly durationSeconds: number
  readonly chainName?: string
}

interface SandboxNode {
  readonly index: number
  readonly identity: Identity
  readonly name: string
  readonly server: net.Server
  port: number
  readonly connections: Set<ChatConnection>
  received: number
  sent: number
}

/** Runs the sandbox until `signal` aborts or the duration ends; then closes every connection with Disconnect. */
export async function runSandbox(
  options: SandboxOptions,
  out: { write(text: string): unknown },
  signal: AbortSignal,
): Promise<{ connections: number; messages: number }> {
  const scheduler = new IoScheduler()
  const nodes: SandboxNode[] = []
  out.write(`Starting ${options.nodes} nodes in ${options.baseDir} (proof of work ${options.powBits} bits)\n`)
  for (let index = 0; index < options.nodes; index++) {
    const identity = await generateIdentity(options.powBits, { threads: 1 })
    const dataDir = join(options.baseDir, `node-${index + 1}`)
    await mkdir(dataDir, { recursive: true, mode: 0o700 })
    await writeIdentityFile(dataDir, identity)
    nodes.push({
      index,
      identity,
      name: `node-${index + 1}`,
      server: net.createServer(),
      port: 0,
      connections: new Set(),
      received: 0,
      sent: 0,
    })
  }
  const config = (node: SandboxNode): HandshakeConfig<Metadata> => ({
    identity: node.identity,
    expectedProofOfWork: options.powBits,
    versions: {
      chainName: options.chainName ?? 'DUNE_SANDBOX',
      distributedDbVersions: [0],
      p2pVersions: [1],
    },
    listeningPort: node.port,
    metadataEncoding,
    localMetadata: { disableMempool: false, privateNode: false },
    authenticationTimeoutMs: 5000,
  })
  const adopt = (node: SandboxNode, connection: ChatConnection): void => {
    node.connections.add(connection)
    out.write(
      `${node.name}: connected to ${connection.peer.peerIdB58} (${connection.peer.incoming ? 'in' : 'out'})\n`,
    )
    void connection.closed.then((reason) => {
      node.connections.delete(connection)
      out.write(`${node.name}: connection to ${connection.peerId} closed: ${describeCloseReason(reason)}\n`)
    })
    void (async () => {
      for await (const msg of connection) if (msg.kind === 'application') node.received++
    })()
  }
  const upgrade = async (node: SandboxNode, socket: net.Socket, incoming: boolean): Promise<void> => {
    const pending = await authenticate(socket, incoming, config(node))
    const result = await pending.accept()
    adopt(node, new ConnectionClass(result, chatMessages, scheduler, { outgoingQueueBytes: 1024 * 1024 }))
  }
  for (const node of nodes) {
    node.server.on('connection', (socket) => {
      upgrade(node, socket, true).catch((err: Error) =>
        out.write(`${node.name}: handshake failed: ${err.message}\n`),
      )
    })
    await new Promise<void>((resolve) => node.server.listen(0, '127.0.0.1', resolve))
    node.port = (node.server.address() as net.AddressInfo).port
    out.write(`${node.name}: ${peerIdToB58(node.identity.peerId)} listening on 127.0.0.1:${node.port}\n`)
  }
  // A ring, plus a chord to the node halfway round when there are enough nodes.
  for (const node of nodes) {
    const targets = new Set([(node.index + 1) % nodes.length])
    const half = Math.floor(nodes.length / 2)
    if (nodes.length >= 6 && node.index < half) targets.add(node.index + half) // dialed from one end only
    for (const t of targets) {
      if (t === node.index || (nodes.length === 2 && node.index === 1)) continue
      const socket = await dialTcp('127.0.0.1', nodes[t]!.port, { readBuffer: scheduler.readBuffer })
      await upgrade(node, socket, false)
    }
  }
  let seq = 0
  const chat =
    options.chatEverySeconds > 0
      ? setInterval(() => {
          for (const node of nodes) {
            const text = `hello #${++seq} from ${node.name}`
            for (const c of node.connections) {
              if (c.writeNow({ kind: 'application', message: { name: 'chat', value: text } })) node.sent++
            }
          }
        }, options.chatEverySeconds * 1000)
      : undefined
  const status = setInterval(() => {
    const lines = nodes.map((n) => {
      const bytes = [...n.connections].reduce(
        (sum, c) => sum + c.stats().bytesSent + c.stats().bytesReceived,
        0,
      )
      return `  ${n.name} :${n.port}  connections ${n.connections.size}  messages sent ${n.sent} received ${n.received}  bytes ${bytes}`
    })
    out.write(`status:\n${lines.join('\n')}\n`)
  }, 5000)
  await new Promise<void>((resolve) => {
    if (signal.aborted) return resolve()
    signal.addEventListener('abort', () => resolve(), { once: true })
    if (options.durationSeconds > 0) setTimeout(resolve, options.durationSeconds * 1000).unref()
  })
  if (chat) clearInterval(chat)
  clearInterval(status)
  out.write('Stopping: Disconnect to every peer\n')
  const total = nodes.reduce((n, node) => n + node.connections.size, 0)
  const messages = nodes.reduce((n, node) => n + node.received, 0)
  await Promise.all(nodes.flatMap((node) => [...node.connections].map((c) => c.close())))
  await Promise.all(nodes.map((node) => new Promise<void>((resolve) => node.server.close(() => resolve()))))
  scheduler.close()
  return { connections: total, messages }
}
