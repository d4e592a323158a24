// What one received 100-byte message costs below the socket (chunk cut, decryption, frame, decode,
// incoming queue), against the secretbox open alone on the same chunks: the floor SPEC §4 sets.
import { createRequire } from 'node:module'
import { registry } from './conn/driver-dune.js'
import { dune } from './library.js'

/** sodium-native's native binding, which the chunk cipher calls (no JavaScript wrapper). */
const secretbox = createRequire(import.meta.url)('sodium-native/binding.js') as {
  crypto_secretbox_open_easy(m: Uint8Array, c: Uint8Array, n: Uint8Array, k: Uint8Array): boolean
}

const USAGE = `usage: npm run bench -- receive-path [--messages N] [--runs N] [--bytes N]
  --messages N   messages per run (default 200000)
  --runs N       runs of each figure, alternating; the fastest is reported (default 12)
  --bytes N      application bytes per message (default 100)
Prints JSON: nanoseconds per message for the whole read path and for crypto_secretbox_open_easy
alone, and the share of the path the decryption takes.`

interface Options {
  messages: number
  runs: number
  bytes: number
}

function parse(args: string[]): Options {
  const options: Options = { messages: 200_000, runs: 12, bytes: 100 }
  for (let i = 0; i < args.length; i++) {
    const name = args[i]?.replace(/^--/, '')
    const value = Number(args[i + 1])
    if (
      (name === 'messages' || name === 'runs' || name === 'bytes') &&
      Number.isInteger(value) &&
      value > 0
    ) {
      options[name] = value
      i++
    } else {
      process.stderr.write(`${USAGE}\n`)
      process.exit(args[i] === '--help' ? 0 : 1)
    }
  }
  return options
}

const options = parse(process.argv.slice(2))
const key = Buffer.alloc(32, 7)
const dialerNonce = Buffer.alloc(24, 1)
const listenerNonce = Buffer.alloc(24, 2)
const message = {
  kind: 'application' as const,
  message: { name: 'bench' as const, value: Buffer.alloc(options.bytes, 3) },
}
const frameSize = registry.sizeOf(message)
const chunkBytes = 2 + 16 + frameSize

/** The stream a dialer sends: one chunk per message (SPEC §4: a message starts a chunk). */
function sealedStream(count: number): Buffer {
  const sender = new dune.ChunkCipher(key, dialerNonce, listenerNonce)
  const wire = Buffer.alloc(count * chunkBytes)
  const plain = Buffer.alloc(frameSize)
  for (let i = 0, pos = 0; i < count; i++, pos += chunkBytes) {
    registry.writeFrame(message, plain, 0)
    wire.writeUInt16BE(frameSize + 16, pos)
    sender.seal(plain, wire, pos + 2)
  }
  return wire
}

const wire = sealedStream(options.messages)
const pool = new dune.BufferPool()
const read = Buffer.allocUnsafe(64 * 1024)

/** The connection's read path over the stream, in 64 KiB reads: ns per message. */
function readPath(): number {
  const cipher = new dune.ChunkCipher(key, listenerNonce, dialerNonce)
  const incoming = new dune.BoundedQueue<object>({ capacity: 1 << 30 })
  let delivered = 0
  const frames = new dune.FrameReader(
    cipher,
    registry.maxFrameSize,
    pool,
    (_owner, frame) => {
      incoming.tryPush(registry.decodeBody(frame, 4, frame.length), frame.length)
      if (incoming.tryShift() !== undefined) delivered++
      return true
    },
    undefined,
  )
  const chunks = new dune.ChunkReader(
    (_owner, body) => {
      frames.open(body)
      return true
    },
    undefined,
    pool,
  )
  const start = process.hrtime.bigint()
  for (let off = 0; off < wire.length; off += read.length) {
    const n = wire.copy(read, 0, off, Math.min(wire.length, off + read.length))
    chunks.feed(read.subarray(0, n))
  }
  const ns = Number(process.hrtime.bigint() - start)
  if (delivered !== options.messages) throw new Error(`delivered ${delivered} of ${options.messages}`)
  return ns / options.messages
}

/** crypto_secretbox_open_easy alone on the same chunks (plain views), into one buffer: ns per message. */
function openOnly(): number {
  const nonce = Buffer.from(dialerNonce)
  const out = Buffer.allocUnsafe(frameSize)
  const start = process.hrtime.bigint()
  for (let pos = 0; pos < wire.length; pos += chunkBytes) {
    const boxed = new Uint8Array(wire.buffer, wire.byteOffset + pos + 2, chunkBytes - 2)
    if (!secretbox.crypto_secretbox_open_easy(out, boxed, nonce, key)) throw new Error('a chunk did not open')
    dune.incrementNonce(nonce) // big-endian, as the wire's (SPEC §3)
  }
  return Number(process.hrtime.bigint() - start) / options.messages
}

// Alternate the two so that a slow moment of the machine touches both.
const path: number[] = []
const open: number[] = []
for (let i = 0; i < options.runs; i++) {
  path.push(readPath())
  open.push(openOnly())
}
const best = (values: number[]): number => Math.round(Math.min(...values))
process.stdout.write(
  `${JSON.stringify(
    {
      benchmark: 'receive-path',
      messages: options.messages,
      messageBytes: options.bytes,
      nsPerMessage: { readPath: best(path), secretboxOpenOnly: best(open) },
      decryptionShare: Number((best(open) / best(path)).toFixed(3)),
      ceilingMessagesPerSecond: {
        readPath: Math.round(1e9 / best(path)),
        secretboxOpenOnly: Math.round(1e9 / best(open)),
      },
    },
    null,
    2,
  )}\n`,
)
