// The benchmark's plain-TCP drivers over real sockets: raw-tcp and the sealed-tcp floor carry
// every message whole and in order, and a sealed chunk that fails its MAC closes the connection.
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { describe, test } from 'node:test'
import type { BenchConnection, Driver } from '../../../bench/conn/driver.js'
import { rawTcpDriver } from '../../../bench/conn/driver-raw-tcp.js'
import { sealedTcpDriver } from '../../../bench/conn/driver-sealed-tcp.js'
import { defined } from '../../support/defined.js'
import { waitUntil } from '../../support/wait.js'

/** Sizes around the framing's and the chunks' edges, and past several chunks. */
const SIZES = [0, 1, 3, 100, 65_513, 65_517, 65_521, 65_536, 200_000, 1_000_000]

function message(size: number, seed: number): Buffer {
  const bytes = Buffer.allocUnsafe(size)
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed) & 0xff
  return bytes
}

async function pair(driver: Driver): Promise<{
  client: BenchConnection
  server: BenchConnection
  received: Buffer[]
  close: () => Promise<void>
}> {
  let accept: (c: BenchConnection) => void = () => {}
  const accepted = new Promise<BenchConnection>((resolve) => {
    accept = resolve
  })
  const listener = await driver.listen({ host: '127.0.0.1', onConnection: (c) => accept(c) })
  const dialer = await driver.createDialer()
  const client = await dialer.dial(listener.address)
  const server = await accepted
  const received: Buffer[] = []
  server.onMessage((m) => received.push(Buffer.from(m)))
  return {
    client,
    server,
    received,
    close: async () => {
      await dialer.close()
      await listener.close()
    },
  }
}

for (const driver of [rawTcpDriver, sealedTcpDriver]) {
  describe(`bench driver ${driver.name}`, () => {
    test('carries messages of every size whole and in order, small ones sent in one tick included', async () => {
      const { client, received, close } = await pair(driver)
      try {
        const sent = [...SIZES.map((size, i) => message(size, i))]
        for (let i = 0; i < 500; i++) sent.push(message(100, i))
        for (const m of sent) {
          const wait = client.send(m)
          if (wait) await wait
        }
        await waitUntil(() => received.length === sent.length, { timeoutMs: 10_000, intervalMs: 5 })
        for (const [i, m] of received.entries()) {
          assert.ok(m.equals(defined(sent[i])), `message ${i} (${defined(sent[i]).length} bytes)`)
        }
      } finally {
        await close()
      }
    })

    test('close flushes what was sent and the peer sees the end', async () => {
      const { client, server, received, close } = await pair(driver)
      try {
        const closed = new Promise<void>((resolve) => server.onClose(() => resolve()))
        // A send still waiting for room settles (rejected) once the connection is closed.
        const waiting = client.send(message(70_000, 7))?.catch(() => {})
        await client.close()
        await waiting
        await closed
        assert.equal(received.length, 1)
        assert.ok(defined(received[0]).equals(message(70_000, 7)))
      } finally {
        await close()
      }
    })
  })
}

test('bench driver sealed-tcp: a chunk that fails its MAC closes the connection with an error', async () => {
  let accept: (c: BenchConnection) => void = () => {}
  const accepted = new Promise<BenchConnection>((resolve) => {
    accept = resolve
  })
  const listener = await sealedTcpDriver.listen({ host: '127.0.0.1', onConnection: (c) => accept(c) })
  const [host, port] = listener.address.split(':') as [string, string]
  const socket = connect({ host, port: Number(port) })
  try {
    const server = await accepted
    const closedWith = new Promise<Error | undefined>((resolve) => server.onClose(resolve))
    server.onMessage(() => assert.fail('no message may come out of a forged chunk'))
    const forged = Buffer.alloc(2 + 16 + 20, 0x33)
    forged.writeUInt16BE(16 + 20, 0)
    socket.write(forged)
    const error = await closedWith
    assert.match(String(error?.message), /MAC/)
  } finally {
    socket.destroy()
    await listener.close()
  }
})
