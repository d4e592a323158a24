// The Octez message set in createP2p over real sockets (127.0.0.x): one node asks another for
// its current head and gets a Current_head back, typed, with Octez's version numbers negotiated.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import {
  BLOCK_HASH,
  CONTEXT_HASH,
  hashToB58,
  OCTEZ_DISTRIBUTED_DB_VERSIONS,
  type OctezMessage,
  OPERATION_LIST_LIST_HASH,
  octezMessages,
} from '../../../src/octez/index.js'
import { createP2p, type P2p } from '../../../src/p2p.js'
import { testIdentity } from '../../support/identities.js'
import { pointOf } from '../../support/p2p-nodes.js'

const chainId = 'NetXdQprcVkpaWU'
const nodes: P2p<OctezMessage>[] = []
after(async () => {
  await Promise.all(nodes.map((n) => n.stop()))
})

async function start(host: string): Promise<P2p<OctezMessage>> {
  const node = await createP2p(
    {
      identity: testIdentity(4),
      chainName: 'TEZOS_MAINNET',
      distributedDbVersions: [...OCTEZ_DISTRIBUTED_DB_VERSIONS],
      expectedProofOfWork: 4,
      listenHost: host,
      listenPort: 0,
      localAddress: host,
      maintenance: { enabled: false },
    },
    { messages: octezMessages },
  )
  nodes.push(node)
  await node.start()
  return node
}

test('Get_current_head answered by Current_head between two nodes of ours', async () => {
  const [asker, holder] = await Promise.all([start('127.0.0.61'), start('127.0.0.62')])
  const head = {
    level: 7_000_000,
    proto: 21,
    predecessor: hashToB58(BLOCK_HASH, Buffer.alloc(32, 7)),
    timestamp: 1_750_000_000n,
    validationPass: 4,
    operationsHash: hashToB58(OPERATION_LIST_LIST_HASH, Buffer.alloc(32, 8)),
    fitness: [Buffer.from('02', 'hex'), Buffer.from('006acfc0', 'hex')],
    context: hashToB58(CONTEXT_HASH, Buffer.alloc(32, 9)),
    protocolData: Buffer.from('00112233', 'hex'),
  }
  // The holder answers every Get_current_head with its head.
  void (async () => {
    for await (const { peer, message } of holder) {
      if (message.name === 'get_current_head') {
        await holder.send(peer, {
          name: 'current_head',
          value: {
            chainId: message.value.chainId,
            currentBlockHeader: head,
            currentMempool: { knownValid: [], pending: [] },
          },
        })
      }
    }
  })()
  const info = await asker.connect(pointOf(holder))
  assert.equal(info.version.distributedDbVersion, 2)
  await asker.send(info.peerId, { name: 'get_current_head', value: { chainId } })
  for await (const { message } of asker) {
    assert.equal(message.name, 'current_head')
    assert.ok(message.name === 'current_head')
    assert.equal(message.value.chainId, chainId)
    assert.deepEqual(message.value.currentBlockHeader, head)
    break
  }
})
