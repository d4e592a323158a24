// `npm run bench -- memory [--flood-seconds S] [--flooders N]`: issue 14's memory attack on a
// shipped dune-node (a non-reader during a unique-gossip flood); prints the figures as JSON.
import { parseArgs } from 'node:util'
import { runNonReaderFlood } from '../test/adversarial/support/non-reader-flood.js'
import { startShippedNode } from '../test/support/shipped-node.js'

const { values } = parseArgs({
  options: {
    'flood-seconds': { type: 'string', default: '20' },
    flooders: { type: 'string', default: '4' },
  },
})
const nodes: Array<{ stop(): Promise<void> }> = []
const figures = await runNonReaderFlood({
  start: async (host, options) => {
    const node = await startShippedNode(host, options)
    nodes.push(node)
    return node
  },
  subnet: 39,
  floodSeconds: Number(values['flood-seconds']),
  flooders: Number(values.flooders),
})
await Promise.all(nodes.map((n) => n.stop()))
console.log(JSON.stringify({ bench: 'memory', node: process.version, ...figures }, null, 2))
