// Benchmark of slow clients against a shipped node's admin RPC: N sockets trickle a request body a
// byte a second; how many the node admits, how long they stay open, and whether P2P still accepts.

// Usage: node --import tsx bench/rpc-slow.ts [--clients 200]; prints one JSON document on stdout.
import { connect, type Socket } from 'node:net'
import { parseArgs } from 'node:util'
import { startShippedNode } from '../test/support/shipped-node.js'

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '200' },
    host: { type: 'string', default: '127.0.0.185' },
  },
})
const clients = Number(values.clients)
const node = await startShippedNode(values.host, { rpc: true })
const url = new URL(node.rpcUrl!)

interface Slow {
  socket: Socket
  closedAfterMs: Promise<number>
  answer: () => string
}

function slowClient(started: number): Promise<Slow> {
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) })
    let received = ''
    socket.on('data', (d: Buffer) => {
      if (received.length < 64) received += d.toString('latin1')
    })
    socket.on('error', () => {})
    const closedAfterMs = new Promise<number>((r) => socket.once('close', () => r(Date.now() - started)))
    socket.once('connect', () => {
      socket.write(
        `PATCH /network/points/192.0.2.40 HTTP/1.1\r\nHost: ${url.host}\r\nauthorization: Bearer ${node.rpcToken}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{`,
      )
      const timer = setInterval(() => socket.writable && socket.write(' '), 1000)
      socket.once('close', () => clearInterval(timer))
      resolve({ socket, closedAfterMs, answer: () => received.split('\r\n')[0] ?? '' })
    })
  })
}

const started = Date.now()
const slow = await Promise.all(Array.from({ length: clients }, () => slowClient(started)))
// While they are held: does the P2P port accept, does the RPC answer a normal client?
await new Promise((resolve) => setTimeout(resolve, 1000))
const p2pAccepts = await new Promise<boolean>((resolve) => {
  const s = connect({ host: values.host, port: node.netPort! })
  s.once('connect', () => {
    s.destroy()
    resolve(true)
  })
  s.once('error', () => resolve(false))
})
const closed = await Promise.all(slow.map((s) => s.closedAfterMs))
const sorted = [...closed].sort((a, b) => a - b)
const atAccept = closed.filter((ms) => ms < 1000).length
const answers = new Map<string, number>()
for (const s of slow) answers.set(s.answer() || '(none)', (answers.get(s.answer() || '(none)') ?? 0) + 1)
await node.stop()

console.log(
  JSON.stringify(
    {
      bench: 'rpc-slow',
      command: `node --import tsx bench/rpc-slow.ts --clients ${clients}`,
      clients,
      closed_at_accept: atAccept,
      admitted: clients - atAccept,
      admitted_closed_after_ms: { min: sorted[atAccept] ?? null, max: sorted.at(-1) ?? null },
      first_lines: Object.fromEntries(answers),
      p2p_accepts_while_held: p2pAccepts,
    },
    null,
    2,
  ),
)
