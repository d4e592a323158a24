// read_buffer_size in the pool: dialed and accepted sockets both read into the one shared
// buffer; with 7-byte reads every chunk is cut, and every message still arrives whole, both ways.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { chat, nodeFixture, pointOf } from '../../support/p2p-nodes.js'
import { waitUntil } from '../../support/wait.js'

describe('read_buffer_size', () => {
  const start = nodeFixture()

  test('7-byte reads on both sides of two connections: every message arrives whole, in order', async () => {
    const hub = await start('127.0.0.71', { readBufferSize: 7 })
    const a = await start('127.0.0.72', { readBufferSize: 7 })
    const b = await start('127.0.0.73', { readBufferSize: 7 })
    await a.connect(pointOf(hub))
    await b.connect(pointOf(hub))
    await waitUntil(() => hub.connections().length === 2, { message: 'the hub to register both connections' })
    const texts = (from: string) =>
      Array.from({ length: 40 }, (_, i) => `${from}-${i}-${'x'.repeat((i * 37) % 900)}`)
    const got = new Map<string, string[]>()
    const collect = async (node: typeof hub, count: number) => {
      for (let n = 0; n < count; n++) {
        const { peer, message } = await node.receive()
        const list = got.get(`${node.peerId}<-${peer}`) ?? []
        list.push(message.value)
        got.set(`${node.peerId}<-${peer}`, list)
      }
    }
    const received = Promise.all([collect(hub, 80), collect(a, 40), collect(b, 40)])
    for (const [from, to] of [
      [a, hub],
      [b, hub],
      [hub, a],
      [hub, b],
    ] as const) {
      for (const text of texts(from.peerId)) await from.send(to.peerId, chat(text))
    }
    await received
    for (const [from, to] of [
      [a, hub],
      [b, hub],
      [hub, a],
      [hub, b],
    ] as const)
      assert.deepEqual(got.get(`${to.peerId}<-${from.peerId}`), texts(from.peerId))
    assert.equal(hub.connections().length, 2, 'no connection closed on a cut chunk')
  })
})
