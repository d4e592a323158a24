// Benchmark of the per-message work of a connection: chunk encryption through ChunkCipher next
// to raw libsodium secretbox, P2P message encoding and decoding, and proof-of-work hash rates.

// Usage: npm run bench -- wire [--quick]; prints one JSON document on stdout. Rounds alternate
// the measured variants and every figure is a median over rounds; --quick (for CI) stays < 15 s.
import { createRequire } from 'node:module'
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os'
import { parseArgs } from 'node:util'
import sodium from 'sodium-native'
import type { MessageRegistry, P2pMessage } from '../src/wire/index.js'
import { median } from './conn/stats.js'
import { dune } from './library.js'

const {
  ChunkCipher,
  defineMessages,
  fixedBytes,
  generateKeyPair,
  MAC_BYTES,
  MAX_CHUNK_PLAINTEXT,
  PowSearchAborted,
  peerIdOf,
  searchProofOfWork,
} = dune

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } })
const quick = values.quick

const settings = quick
  ? { cipherRounds: 101, chunksPerRound: 16, messageRounds: 5, messageRoundMs: 50, powSeconds: 2 }
  : { cipherRounds: 401, chunksPerRound: 16, messageRounds: 11, messageRoundMs: 150, powSeconds: 4 }
/** Progress reports within this time after the first one are left out (workers still starting). */
const POW_SETTLE_MS = 400

const MB = 1e6
const round = (x: number, digits = 1): number => Number(x.toFixed(digits))
const random = (n: number): Buffer => {
  const b = Buffer.alloc(n)
  sodium.randombytes_buf(b)
  return b
}

// ---------------------------------------------------------------------------------------------
// Chunk encryption: ChunkCipher against crypto_secretbox_easy / open_easy on the same buffers

interface CipherTimes {
  sealMs: number
  openMs: number
}

function cipherBench() {
  const key = random(32)
  const nonceA = random(24)
  const nonceB = random(24)
  const plain = random(MAX_CHUNK_PLAINTEXT)
  const boxes = Array.from({ length: settings.chunksPerRound }, () =>
    Buffer.alloc(MAX_CHUNK_PLAINTEXT + MAC_BYTES),
  )
  const opened = Buffer.alloc(MAX_CHUNK_PLAINTEXT)
  const sender = new ChunkCipher(key, nonceA, nonceB)
  const receiver = new ChunkCipher(key, nonceB, nonceA)
  const rawNonce = Buffer.from(nonceA)

  const ours = (): CipherTimes => {
    const t0 = performance.now()
    for (const box of boxes) sender.seal(plain, box)
    const t1 = performance.now()
    for (const box of boxes) receiver.open(box, opened)
    return { sealMs: t1 - t0, openMs: performance.now() - t1 }
  }
  const raw = (): CipherTimes => {
    const t0 = performance.now()
    for (const box of boxes) sodium.crypto_secretbox_easy(box, plain, rawNonce, key)
    const t1 = performance.now()
    for (const box of boxes) {
      if (!sodium.crypto_secretbox_open_easy(opened, box, rawNonce, key)) throw new Error('raw open failed')
    }
    return { sealMs: t1 - t0, openMs: performance.now() - t1 }
  }

  // Warm-up, and a check that both paths really decrypt what they encrypted.
  for (const run of [ours, raw]) {
    opened.fill(0)
    run()
    if (!opened.equals(plain)) throw new Error('a chunk did not decrypt to its plaintext')
  }

  const samples = { ours: [] as CipherTimes[], raw: [] as CipherTimes[] }
  for (let i = 0; i < settings.cipherRounds; i++) {
    // Many short rounds (about 1 MB each), alternating which one goes first: a burst of load
    // from elsewhere spoils a few rounds, which the medians ignore.
    if (i % 2 === 0) {
      samples.ours.push(ours())
      samples.raw.push(raw())
    } else {
      samples.raw.push(raw())
      samples.ours.push(ours())
    }
  }

  const bytesPerRound = settings.chunksPerRound * MAX_CHUNK_PLAINTEXT
  const rate = (ms: number) => bytesPerRound / MB / (ms / 1000)
  const figures = (times: CipherTimes[]) => ({
    seal_mb_per_s: round(median(times.map((t) => rate(t.sealMs)))),
    open_mb_per_s: round(median(times.map((t) => rate(t.openMs)))),
    seal_and_open_mb_per_s: round(median(times.map((t) => rate(t.sealMs + t.openMs)))),
  })
  // Paired ratios (same round), so slow phases of a shared machine hit both sides alike.
  const ratio = (part: (t: CipherTimes) => number) =>
    round(
      median(
        samples.ours.map((t, i) => {
          const raw = samples.raw[i]
          if (raw === undefined) throw new Error(`round ${i} has no raw-libsodium time`)
          return part(raw) / part(t)
        }),
      ),
      3,
    )
  return {
    plaintext_bytes_per_chunk: MAX_CHUNK_PLAINTEXT,
    note:
      'plaintext of 65517 bytes = the largest chunk (65535 on the wire); MB = 10^6 plaintext bytes; ' +
      'raw = crypto_secretbox_easy/open_easy with a fixed nonce, ours = ChunkCipher (nonce advanced per chunk)',
    chunks_per_round: settings.chunksPerRound,
    rounds: settings.cipherRounds,
    ours: figures(samples.ours),
    raw_libsodium: figures(samples.raw),
    ratio_ours_to_raw: {
      seal: ratio((t) => t.sealMs),
      open: ratio((t) => t.openMs),
      seal_and_open: ratio((t) => t.sealMs + t.openMs),
    },
    target_ratio: 0.9,
  }
}

// ---------------------------------------------------------------------------------------------
// P2P messages: sizeOf + writeFrame (what a connection does to send) and decodeBody

const registry = defineMessages({ blob: { tag: 0x10, encoding: fixedBytes(100), maxSize: 100 } })
type Message = typeof registry extends MessageRegistry<infer A> ? P2pMessage<A> : never

function advertisePoints(n: number): string[] {
  return Array.from({ length: n }, (_, i) =>
    i % 5 === 4 ? `[2001:db8::${i.toString(16)}:1]:9732` : `192.168.${i >> 8}.${i & 0xff}:${9732 + i}`,
  )
}

const messageCases: { name: string; message: Message }[] = [
  {
    name: 'application_100_bytes',
    message: { kind: 'application', message: { name: 'blob', value: random(100) } },
  },
  { name: 'advertise_50_points', message: { kind: 'advertise', points: advertisePoints(50) } },
  {
    name: 'swap_request',
    message: { kind: 'swap_request', point: '10.0.0.2:9732', peerId: peerIdOf(generateKeyPair().publicKey) },
  },
]

/** Runs `op` in batches until `ms` elapsed; operations per second. */
function opsPerSecond(op: () => void, ms: number): number {
  const batch = 1000
  let done = 0
  const start = performance.now()
  let elapsed = 0
  while (elapsed < ms) {
    for (let i = 0; i < batch; i++) op()
    done += batch
    elapsed = performance.now() - start
  }
  return (done * 1000) / elapsed
}

function messageBench() {
  let sink = 0
  const prepared = messageCases.map(({ name, message }) => {
    const frame = Buffer.alloc(registry.sizeOf(message))
    registry.writeFrame(message, frame, 0)
    const out = Buffer.alloc(registry.maxFrameSize + 4)
    const encodeOp = () => {
      const size = registry.sizeOf(message)
      sink += registry.writeFrame(message, out, 0) - size
    }
    const decodeOp = () => {
      sink += registry.decodeBody(frame, 4, frame.length).kind.length
    }
    return {
      name,
      frameBytes: frame.length,
      encodeOp,
      decodeOp,
      encode: [] as number[],
      decode: [] as number[],
    }
  })
  for (const p of prepared) {
    opsPerSecond(p.encodeOp, 20)
    opsPerSecond(p.decodeOp, 20)
  }
  for (let i = 0; i < settings.messageRounds; i++) {
    for (const p of prepared) {
      p.encode.push(opsPerSecond(p.encodeOp, settings.messageRoundMs))
      p.decode.push(opsPerSecond(p.decodeOp, settings.messageRoundMs))
    }
  }
  if (Number.isNaN(sink)) throw new Error('unreachable')
  return {
    note: 'encode = sizeOf + writeFrame into a reused buffer; decode = decodeBody of one frame (no copy)',
    rounds: settings.messageRounds,
    round_ms: settings.messageRoundMs,
    messages: Object.fromEntries(
      prepared.map((p) => {
        const enc = median(p.encode)
        const dec = median(p.decode)
        return [
          p.name,
          {
            frame_bytes: p.frameBytes,
            encoded_per_s: Math.round(enc),
            decoded_per_s: Math.round(dec),
            encode_ns: round(1e9 / enc),
            decode_ns: round(1e9 / dec),
          },
        ]
      }),
    ),
  }
}

// ---------------------------------------------------------------------------------------------
// Proof of work: hashes per second over a fixed time of a search that cannot succeed

/** A search can take this long to report at all (workers compile under tsx) before the run fails. */
const POW_START_TIMEOUT_MS = 30_000

const cpuMs = (): number => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

async function powRate(threads: number) {
  const publicKey = generateKeyPair().publicKey
  const progress: { hashes: number; elapsedMs: number; cpuMs: number }[] = []
  const abort = new AbortController()
  let timer = setTimeout(() => abort.abort(new Error('no progress report')), POW_START_TIMEOUT_MS)
  const onProgress = ({ hashes, elapsedMs }: { hashes: number; elapsedMs: number }): void => {
    // The measured time counts from the first report, so a slow start-up does not shorten it.
    if (progress.length === 0) {
      clearTimeout(timer)
      timer = setTimeout(() => abort.abort(), POW_SETTLE_MS + settings.powSeconds * 1000)
    }
    progress.push({ hashes, elapsedMs, cpuMs: cpuMs() })
  }
  try {
    // 256 bits: the target is 0, no stamp meets it; the search runs until aborted.
    await searchProofOfWork(publicKey, 256, { threads, signal: abort.signal, onProgress })
    throw new Error('a 256-bit proof of work was found')
  } catch (err) {
    if (!(err instanceof PowSearchAborted)) throw err
  } finally {
    clearTimeout(timer)
  }
  // From the first report after the workers settled to the last, leaving out their start-up.
  const settled = (progress[0]?.elapsedMs ?? 0) + POW_SETTLE_MS
  const first = progress.find((p) => p.elapsedMs >= settled)
  const last = progress.at(-1)
  if (first === undefined || last === undefined || last === first)
    throw new Error('too few progress reports to measure')
  const hashes = last.hashes - first.hashes
  const wallMs = last.elapsedMs - first.elapsedMs
  const usedMs = last.cpuMs - first.cpuMs
  return {
    threads,
    hashes_per_s: Math.round((hashes * 1000) / wallMs),
    measured_ms: Math.round(wallMs),
    // On a machine shared with other work: the cores the search really got (CPU time of this
    // process over wall time), and its rate per CPU-second, which does not depend on that share.
    cores_used: round(usedMs / wallMs, 2),
    hashes_per_cpu_s: Math.round((hashes * 1000) / usedMs),
  }
}

async function powBench() {
  const single = await powRate(1)
  const all = await powRate(availableParallelism())
  return {
    note:
      'searchProofOfWork at 256 bits (never met), aborted after the duration; rate between progress ' +
      'reports, from 0.4 s after the first one',
    seconds_per_run: settings.powSeconds,
    single_core: single,
    all_cores: { ...all, speedup: round(all.hashes_per_s / single.hashes_per_s, 2) },
  }
}

// ---------------------------------------------------------------------------------------------

const started = performance.now()
const machine = {
  cpus: cpus().length,
  available_parallelism: availableParallelism(),
  cpu_model: cpus()[0]?.model ?? 'unknown',
  memory_gb: round(totalmem() / 2 ** 30),
  load_average_1m_at_start: round(loadavg()[0] ?? 0, 2),
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
  sodium_native: (createRequire(import.meta.url)('sodium-native/package.json') as { version: string })
    .version,
}
const chunkCipher = cipherBench()
const p2pMessages = messageBench()
const proofOfWork = await powBench()

const document = {
  benchmark: 'wire',
  quick,
  machine,
  chunk_cipher: chunkCipher,
  p2p_messages: p2pMessages,
  proof_of_work: proofOfWork,
  duration_s: round((performance.now() - started) / 1000, 2),
}
process.stdout.write(`${JSON.stringify(document, null, 2)}\n`)
