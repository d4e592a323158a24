// A test node in its own process (for network namespaces and kill -9): starts createP2p from the
// JSON config in argv[2], answers JSON commands on stdin, reports events as JSON lines on stdout.
import net from 'node:net'
import { createInterface } from 'node:readline'
import { createP2p } from '../../../src/p2p.js'
import { defineMessages, string } from '../../../src/wire/index.js'
import { defined } from '../../support/defined.js'
import { testIdentity } from '../../support/identities.js'

/** argv[2]: the P2p config without its identity, plus `chatEveryMs` (broadcast a chat that often). */
const { chatEveryMs, ...config } = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown> & {
  chatEveryMs?: number
}
const messages = defineMessages({ chat: { tag: 0x10, encoding: string({ max: 1024 }), maxSize: 1028 } })
const p2p = await createP2p(
  { identity: testIdentity(4), chainName: 'DUNE_TEST', expectedProofOfWork: 4, ...config },
  { messages },
)
const say = (line: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(line)}\n`)
}
p2p.on('connection', (e) => say({ event: 'connection', peerId: e.peerId, remoteAddress: e.remoteAddress }))
p2p.on('disconnection', (e) =>
  say({ event: 'disconnection', peerId: e.peerId, remoteAddress: e.remoteAddress, reason: e.reason.kind }),
)
p2p.on('greylisted', (e) => say({ event: 'greylisted', kind: e.kind, reason: e.reason }))
p2p.on('refused', (e) => say({ event: 'refused', remoteAddress: e.remoteAddress, reason: e.reason }))
await p2p.start()
void (async () => {
  for await (const _ of p2p) {
    // messages are only counted by the peer's traffic; nothing to do with them here
  }
})()
if (chatEveryMs) setInterval(() => p2p.broadcast({ name: 'chat', value: 'tick' }), chatEveryMs).unref()

/** Sends garbage from this process to `point` (a misbehaving host). */
function garbage(point: string): Promise<void> {
  const [host, port] = [
    point.slice(0, point.lastIndexOf(':')),
    Number(point.slice(point.lastIndexOf(':') + 1)),
  ]
  return new Promise((resolve) => {
    const socket = net.connect({ host, port })
    socket.on('error', () => resolve())
    socket.on('close', () => resolve())
    socket.on('connect', () => socket.end(Buffer.concat([Buffer.from([0, 10]), Buffer.alloc(10, 0xee)])))
    socket.resume() // read (and drop) the node's bytes, so that its close is seen
  })
}

const commands: Record<string, (args: Record<string, string>) => Promise<unknown> | unknown> = {
  connect: async ({ point }) => (await p2p.connect(point!)).peerId,
  connections: () => p2p.connections().map((c) => ({ peerId: c.peerId, remoteAddress: c.remoteAddress })),
  banIp: ({ ip }) => p2p.acl.banIp(ip!),
  isIpGreylisted: ({ ip }) => p2p.acl.isIpGreylisted(ip!),
  garbage: ({ point }) => garbage(point!),
  maintain: async () => (await p2p.maintain()).reason,
  /** Bans 10.0.0.1, 10.0.0.2, ... one more per save, forever, reporting each count saved (kill -9 tests). */
  saveLoop: async () => {
    for (let n = p2p.acl.toJSON().bannedIps.length; ; ) {
      n++
      p2p.acl.banIp(`10.0.${n >> 8}.${n & 255}`)
      await p2p.save()
      say({ event: 'saved', bans: n })
    }
  },
  stop: async () => {
    await p2p.stop()
    setImmediate(() => process.exit(0))
  },
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const { id, command, ...args } = JSON.parse(line) as { id: number; command: string } & Record<
    string,
    string
  >
  Promise.resolve()
    .then(() => defined(commands[command])(args))
    .then(
      (result) => say({ id, result: result ?? null }),
      (err: Error) => say({ id, error: `${err.name}: ${err.message}` }),
    )
})
say({ event: 'ready', peerId: p2p.peerId, port: p2p.port })
