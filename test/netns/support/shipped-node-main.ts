// A shipped dune-node (test/support/shipped-node.ts: default config) in its own process, for
// netns hosts: argv[2] is {"host", "bootstrapPeers"}; events and replies as JSON lines (child-node.ts).
import { createInterface } from 'node:readline'
import { describeCloseReason } from '../../../src/socket/errors.js'
import { defined } from '../../support/defined.js'
import { startShippedNode } from '../../support/shipped-node.js'

const { host, bootstrapPeers } = JSON.parse(process.argv[2] ?? '{}') as {
  host: string
  bootstrapPeers?: string[]
}
const say = (line: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(line)}\n`)
}
const node = await startShippedNode(host, {
  bootstrapPeers: bootstrapPeers ?? [],
  node: {
    beforeStart: (p2p) => {
      p2p.on('connection', (e) => say({ event: 'connection', peerId: e.peerId, at: Date.now() }))
      p2p.on('disconnection', (e) =>
        say({
          event: 'disconnection',
          peerId: e.peerId,
          reason: e.reason.kind,
          detail: describeCloseReason(e.reason),
          at: Date.now(),
        }),
      )
    },
  },
})

const commands: Record<string, () => Promise<unknown> | unknown> = {
  connections: () =>
    node.p2p.connections().map((c) => ({ peerId: c.peerId, remoteAddress: c.remoteAddress })),
  stop: async () => {
    await node.stop()
    setImmediate(() => process.exit(0))
  },
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const { id, command } = JSON.parse(line) as { id: number; command: string }
  Promise.resolve()
    .then(() => defined(commands[command])())
    .then(
      (result) => say({ id, result: result ?? null }),
      (err: Error) => say({ id, error: `${err.name}: ${err.message}` }),
    )
})
say({ event: 'ready', peerId: node.peerId, port: node.netPort })
