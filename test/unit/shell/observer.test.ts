// The observer's rules over a fake layer (unit): what it asks and when, heads recorded per peer
// (block hash as Octez), other chains ignored, a mempool despite disable_mempool invalid, bounds.
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { test } from 'node:test'
import {
  BLOCK_HASH,
  type BlockHeader,
  CONTEXT_HASH,
  hashToB58,
  type OctezMessage,
  OPERATION_HASH,
  OPERATION_LIST_LIST_HASH,
} from '../../../src/octez/index.js'
import type { P2p } from '../../../src/p2p.js'
import { blockHashOf, HEADS_PER_WINDOW, ObserverService } from '../../../src/shell/observer.js'
import type { Metadata } from '../../../src/wire/index.js'
import { FakeClock } from '../../support/fake-clock.js'

const CHAIN = 'NetXdQprcVkpaWU'
const OTHER = 'NetXnHfVqm9iesp'

function header(level: number): BlockHeader {
  return {
    level,
    proto: 1,
    predecessor: hashToB58(BLOCK_HASH, Buffer.alloc(32, 1)),
    timestamp: 1_700_000_000n,
    validationPass: 4,
    operationsHash: hashToB58(OPERATION_LIST_LIST_HASH, Buffer.alloc(32, 2)),
    fitness: [Buffer.from('02', 'hex')],
    context: hashToB58(CONTEXT_HASH, Buffer.alloc(32, 3)),
    protocolData: Buffer.alloc(0),
  }
}

/** A layer with connected peers, whose application messages the test pushes. */
class FakeLayer extends EventEmitter {
  readonly sent: Array<{ peer: string; message: OctezMessage }> = []
  readonly invalid: string[] = []
  readonly connected = new Set<string>()
  #queue: Array<{ peer: string; message: OctezMessage }> = []
  #wake: (() => void) | undefined
  #closed = false
  trySend(peer: string, message: OctezMessage): boolean {
    this.sent.push({ peer, message })
    return true
  }
  reportInvalid(peer: string): void {
    this.invalid.push(peer)
  }
  connections() {
    return [...this.connected].map((peerId) => ({ peerId }))
  }
  connection(peerId: string) {
    return this.connected.has(peerId)
      ? { version: { chainName: 'TEZOS_MAINNET', distributedDbVersion: 2, p2pVersion: 1 } }
      : undefined
  }
  connect(peerId: string): void {
    this.connected.add(peerId)
    this.emit('connection', { peerId })
  }
  deliver(peer: string, message: OctezMessage): void {
    this.#queue.push({ peer, message })
    this.#wake?.()
  }
  close(): void {
    this.#closed = true
    this.#wake?.()
  }
  async *[Symbol.asyncIterator]() {
    for (;;) {
      const next = this.#queue.shift()
      if (next) {
        yield next
        continue
      }
      if (this.#closed) return
      await new Promise<void>((resolve) => {
        this.#wake = resolve
      })
    }
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve))
const head = (chainId: string, level: number, pending: string[] = []): OctezMessage => ({
  name: 'current_head',
  value: { chainId, currentBlockHeader: header(level), currentMempool: { knownValid: [], pending } },
})

test('asks at connection and periodically, records heads, ignores other chains, claims nothing', async () => {
  const clock = new FakeClock(1234)
  const layer = new FakeLayer()
  const observer = new ObserverService(layer as unknown as P2p<OctezMessage, null, Metadata>, {
    chainId: CHAIN,
    headEveryMs: 30_000,
    maxHeads: 2,
    clock,
  })
  observer.attach()
  observer.start()
  layer.connect('a')
  assert.deepEqual(
    layer.sent.map((s) => [s.peer, s.message.name]),
    [
      ['a', 'get_current_branch'],
      ['a', 'get_current_head'],
    ],
  )
  assert.ok(layer.sent.every((s) => 'chainId' in s.message.value && s.message.value.chainId === CHAIN))
  layer.connect('b')
  layer.sent.length = 0
  clock.advance(30_000)
  assert.deepEqual(
    layer.sent.map((s) => [s.peer, s.message.name]),
    [
      ['a', 'get_current_head'],
      ['b', 'get_current_head'],
    ],
  )

  layer.deliver('a', head(CHAIN, 10))
  layer.deliver('b', head(OTHER, 99))
  layer.deliver('b', {
    name: 'current_branch',
    value: { chainId: CHAIN, currentBranch: { currentHead: header(13), history: [] } },
  })
  layer.deliver('a', { name: 'get_current_head', value: { chainId: CHAIN } })
  await tick()
  assert.equal(observer.head('a')?.level, 10)
  assert.equal(observer.head('a')?.blockHash, blockHashOf(header(10)))
  assert.equal(observer.head('a')?.distributedDbVersion, 2)
  assert.equal(observer.head('a')?.receivedAt, 1234 + 30_000)
  assert.equal(observer.head('b')?.level, 13)
  assert.equal(observer.head('b')?.source, 'current_branch')
  assert.deepEqual(observer.levels(), { peers: 2, highest: 13, median: 11, lowest: 10 })
  assert.deepEqual(observer.counts(), { asked: 4, heads: 2, otherChain: 1, ignored: 1, throttled: 0 })

  // A mempool despite disable_mempool: invalid, not recorded.
  layer.deliver('a', head(CHAIN, 11, [hashToB58(OPERATION_HASH, Buffer.alloc(32, 5))]))
  await tick()
  assert.deepEqual(layer.invalid, ['a'])
  assert.equal(observer.head('a')?.level, 10)
  // Bounded: a third peer forgets the least recently updated.
  layer.connect('c')
  layer.deliver('c', head(CHAIN, 12))
  await tick()
  assert.equal(observer.head('a'), undefined)
  assert.equal(observer.levels().peers, 2)
  // Deactivate: the peer's head is dropped.
  layer.deliver('b', { name: 'deactivate', value: { chainId: CHAIN } })
  await tick()
  assert.equal(observer.head('b'), undefined)
  // A flood of heads: HEADS_PER_WINDOW taken per window, the rest dropped, the peer scored once.
  layer.connect('d')
  layer.invalid.length = 0
  for (let i = 0; i < HEADS_PER_WINDOW + 5; i++) layer.deliver('d', head(CHAIN, 100 + i))
  await tick()
  assert.equal(observer.head('d')?.level, 100 + HEADS_PER_WINDOW - 1)
  assert.equal(observer.counts().throttled, 5)
  assert.deepEqual(layer.invalid, ['d'])
  // Never a claim of ours.
  assert.ok(layer.sent.every((s) => s.message.name.startsWith('get_')))
  observer.stop()
  layer.close()
  await observer.ended()
})
