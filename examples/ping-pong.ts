// An application embedding dune-p2p: two nodes on 127.0.0.1 with their own message types
// (ping and pong) and a peer score, exchanging a few rounds before stopping. Exits 0 on success.
import {
  type ApplicationMessage,
  createP2p,
  defineMessages,
  generateIdentity,
  int32,
  obj,
  string,
} from '../src/index.js'

// 1. The application's messages: tags from 0x10, each with its encoding and largest body.
const definitions = {
  ping: { tag: 0x10, encoding: obj('ping', { seq: int32, text: string({ max: 256 }) }), maxSize: 264 },
  pong: { tag: 0x11, encoding: obj('pong', { seq: int32 }), maxSize: 4 },
}
const messages = defineMessages(definitions)
type Message = ApplicationMessage<typeof definitions>

// 2. What the application keeps per peer (here: pongs received) and how it scores peers.
const peerMetadata = {
  encoding: obj('stats', { pongs: int32 }),
  initial: () => ({ pongs: 0 }),
  score: (m: { pongs: number }) => Math.min(m.pongs, 4),
}

async function startNode(name: string) {
  const identity = await generateIdentity(4, { threads: 1 })
  const node = await createP2p(
    {
      identity,
      chainName: 'PING_PONG_EXAMPLE',
      expectedProofOfWork: 4,
      listenHost: '127.0.0.1',
      listenPort: 0,
    },
    { messages, peerMetadata },
  )
  await node.start()
  node.on('connection', (c) =>
    console.log(`${name}: connected to ${c.peerId} (${c.incoming ? 'in' : 'out'})`),
  )
  return node
}

const alice = await startNode('alice')
const bob = await startNode('bob')

// Bob answers every ping with a pong.
const bobLoop = (async () => {
  for await (const { peer, message } of bob) {
    if (message.name === 'ping') await bob.send(peer, { name: 'pong', value: { seq: message.value.seq } })
  }
})()

const rounds = 3
await alice.connect(`127.0.0.1:${bob.port}`)
for (let seq = 1; seq <= rounds; seq++) {
  await alice.send(bob.peerId, { name: 'ping', value: { seq, text: `ping #${seq}` } })
  const { peer, message }: { peer: string; message: Message } = await alice.receive()
  if (message.name !== 'pong' || message.value.seq !== seq)
    throw new Error(`unexpected answer ${JSON.stringify(message)}`)
  const pongs = (alice.peer(peer)?.metadata.pongs ?? 0) + 1
  alice.setPeerMetadata(peer, { pongs })
  console.log(`alice: pong #${seq} from ${peer}, score now ${alice.peer(peer)?.score}`)
}

await alice.stop()
await bob.stop()
await bobLoop
console.log(`done: ${rounds} rounds`)
