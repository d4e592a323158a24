// Where the bulk ceiling comes from: secretbox chunks streamed over TCP between two processes,
// opened on the receiver's main thread or handed to a worker thread. Prints JSON.
//
// `npm run bench -- decrypt-threads [--mb N] [--runs N] [--quick]`. No framing, queues or
// allocation per chunk: what is left is the cipher and the sockets, in the two shapes a
// receiver can take.
import { type ChildProcess, fork } from 'node:child_process'
import { createRequire } from 'node:module'
import { createServer, type Socket, connect as tcpConnect } from 'node:net'
import { cpus } from 'node:os'
import { parseArgs } from 'node:util'
import { Worker } from 'node:worker_threads'
import sodium from 'sodium-native'
import { MAC_BYTES, MAX_CHUNK_PLAINTEXT } from '../src/crypto/chunk-cipher.js'
import { chunkBodies } from './conn/chunk-stream.js'
import { summarize } from './conn/stats.js'

const BOX = MAC_BYTES + MAX_CHUNK_PLAINTEXT
const WIRE = 2 + BOX
/** Chunks the receiver's main thread may hand over before it waits for the worker. */
const RING_SLOTS = 32
const KEY = Buffer.alloc(32, 0x42)
const NONCE = Buffer.alloc(24)
type Mode = 'main-thread' | 'worker-thread'
interface RunResult {
  MBps: number
  /** CPU time of the receiving process (all its threads) over the transfer, in cores. */
  receiverCpuCores: number
  /** CPU time of the sending process over the same span, in cores. */
  senderCpuCores?: number
}

function open(out: Buffer, box: Buffer): void {
  if (!sodium.crypto_secretbox_open_easy(out, box, NONCE, KEY)) throw new Error('MAC verification failed')
}

/**
 * The worker of the worker-thread mode, which opens the chunks the main thread puts in the ring.
 * Plain JavaScript evaluated in the thread: Node 20 gives workers no tsx loader.
 */
const OPENER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads')
const sodium = require(${JSON.stringify(createRequire(import.meta.url).resolve('sodium-native'))})
const { ring, control, chunks, slotCount, box, key, nonce } = workerData
const slots = Buffer.from(ring)
const counters = new Int32Array(control)
const out = Buffer.allocUnsafe(box - 16)
for (let read = 0; read < chunks; read++) {
  while (Atomics.load(counters, 0) === read) Atomics.wait(counters, 0, read)
  const at = (read % slotCount) * box
  if (!sodium.crypto_secretbox_open_easy(out, slots.subarray(at, at + box), nonce, key)) throw new Error('MAC verification failed')
  Atomics.store(counters, 1, read + 1)
  Atomics.notify(counters, 1)
}
parentPort.postMessage('done')
`

/** The receiving process: listens, opens `chunks` chunks, reports its rate and CPU. */
function receiver(mode: Mode, chunks: number): void {
  const server = createServer((socket: Socket) => {
    let started = 0
    let cpuAtStart = process.cpuUsage()
    const finish = (): void => {
      const seconds = (performance.now() - started) / 1000
      const cpu = process.cpuUsage(cpuAtStart)
      const result: RunResult = {
        MBps: (chunks * MAX_CHUNK_PLAINTEXT) / seconds / 1e6,
        receiverCpuCores: (cpu.user + cpu.system) / 1e6 / seconds,
      }
      process.send?.(result, undefined, {}, () => process.exit(0))
    }
    const start = (): void => {
      if (started === 0) {
        started = performance.now()
        cpuAtStart = process.cpuUsage()
      }
    }
    if (mode === 'main-thread') {
      const out = Buffer.allocUnsafe(MAX_CHUNK_PLAINTEXT)
      let opened = 0
      const read = chunkBodies((box) => {
        open(out, box)
        if (++opened === chunks) finish()
      })
      socket.on('data', (data: Buffer) => {
        start()
        read(data)
      })
      return
    }
    const ring = new SharedArrayBuffer(RING_SLOTS * BOX)
    const control = new SharedArrayBuffer(8)
    const slots = Buffer.from(ring)
    const counters = new Int32Array(control)
    const worker = new Worker(OPENER_SOURCE, {
      eval: true,
      workerData: { ring, control, chunks, slotCount: RING_SLOTS, box: BOX, key: KEY, nonce: NONCE },
    })
    worker.once('message', finish)
    worker.once('error', (err) => {
      console.error(err)
      process.exit(1)
    })
    let written = 0
    const read = chunkBodies((box) => {
      for (
        let done = Atomics.load(counters, 1);
        written - done >= RING_SLOTS;
        done = Atomics.load(counters, 1)
      ) {
        Atomics.wait(counters, 1, done)
      }
      box.copy(slots, (written % RING_SLOTS) * BOX)
      written += 1
      Atomics.store(counters, 0, written)
      Atomics.notify(counters, 0)
    })
    socket.on('data', (data: Buffer) => {
      start()
      read(data)
    })
  })
  server.listen(0, '127.0.0.1', () => {
    const address = server.address()
    if (address !== null && typeof address === 'object') process.send?.({ port: address.port })
  })
}

/** One run: a receiver process, and this process sealing and sending `chunks` chunks. */
async function run(mode: Mode, chunks: number): Promise<RunResult> {
  const child: ChildProcess = fork(new URL(import.meta.url), [
    '--role',
    'receiver',
    '--mode',
    mode,
    '--chunks',
    String(chunks),
  ])
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (m) => resolve((m as { port: number }).port))
      child.once('exit', (code) => reject(new Error(`receiver exited with ${code}`)))
    })
    const result = new Promise<RunResult>((resolve) => child.once('message', (m) => resolve(m as RunResult)))
    const socket = tcpConnect({ port, host: '127.0.0.1', noDelay: true })
    socket.on('error', () => {})
    await new Promise((resolve) => socket.once('connect', resolve))
    const plain = Buffer.alloc(MAX_CHUNK_PLAINTEXT, 7)
    const startedAt = performance.now()
    const cpuAtStart = process.cpuUsage()
    const perBatch = 4
    for (let sent = 0; sent < chunks; sent += perBatch) {
      const batch = Buffer.allocUnsafe(WIRE * perBatch)
      for (let i = 0; i < perBatch; i++) {
        batch.writeUInt16BE(BOX, i * WIRE)
        sodium.crypto_secretbox_easy(batch.subarray(i * WIRE + 2, (i + 1) * WIRE), plain, NONCE, KEY)
      }
      if (!socket.write(batch)) await new Promise((resolve) => socket.once('drain', resolve))
    }
    const figures = await result
    const cpu = process.cpuUsage(cpuAtStart)
    figures.senderCpuCores = (cpu.user + cpu.system) / 1e3 / (performance.now() - startedAt)
    socket.destroy()
    return figures
  } finally {
    child.kill()
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      role: { type: 'string' },
      mode: { type: 'string' },
      chunks: { type: 'string' },
      mb: { type: 'string' },
      runs: { type: 'string' },
      quick: { type: 'boolean', default: false },
    },
  })
  if (values.role === 'receiver') return receiver(values.mode as Mode, Number(values.chunks))
  const mb = Number(values.mb ?? (values.quick ? 32 : 1024))
  const runs = Number(values.runs ?? (values.quick ? 1 : 3))
  if (!(mb > 0) || !Number.isInteger(runs) || runs < 1) {
    console.error('usage: npm run bench -- decrypt-threads [--mb N (1024)] [--runs N (3)] [--quick]')
    process.exit(2)
  }
  const chunks = Math.ceil((mb * 2 ** 20) / MAX_CHUNK_PLAINTEXT / 4) * 4
  const modes: Record<string, unknown> = {}
  for (const mode of ['main-thread', 'worker-thread'] as const) {
    const results: RunResult[] = []
    for (let i = 0; i < runs; i++) {
      results.push(await run(mode, chunks))
      const last = results.at(-1)!
      console.error(
        `[decrypt-threads] ${mode} run ${i + 1}/${runs}: ${last.MBps.toFixed(0)} MB/s, receiver ${last.receiverCpuCores.toFixed(2)} cores, sender ${last.senderCpuCores?.toFixed(2)} cores`,
      )
    }
    modes[mode] = {
      MBps: summarize(
        results.map((r) => r.MBps),
        0,
      ),
      receiverCpuCores: summarize(
        results.map((r) => r.receiverCpuCores),
        2,
      ),
      senderCpuCores: summarize(
        results.map((r) => r.senderCpuCores ?? Number.NaN),
        2,
      ),
    }
  }
  const document = {
    benchmark: 'decrypt-threads',
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    bytes: chunks * MAX_CHUNK_PLAINTEXT,
    chunkPlaintextBytes: MAX_CHUNK_PLAINTEXT,
    modes,
  }
  process.stdout.write(`${JSON.stringify(document, null, 2)}\n`)
}

await main()
