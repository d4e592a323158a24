// The I/O scheduler measured over real dune connections on loopback: achieved rate against a
// configured limit, Jain's fairness index over equal-score peers, shares against score weights.
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import type { IoScheduler } from '../../src/io/scheduler.js'
import type { Connection, HandshakeConfig } from '../../src/socket/index.js'
import type { Metadata } from '../../src/wire/index.js'
import { dune } from '../library.js'

const {
  authenticate,
  bytes,
  defineMessages,
  dialTcp,
  generateIdentityInline,
  metadataEncoding,
  scoreToWeight,
} = dune

const messages = defineMessages({
  bench: { tag: 0x10, encoding: bytes({ max: 1 << 20 }), maxSize: (1 << 20) + 4 },
})
type BenchConnection = Connection<{ name: 'bench'; value: Buffer }, Metadata>

const config = (): HandshakeConfig<Metadata> => ({
  identity: generateIdentityInline(0),
  expectedProofOfWork: 0,
  versions: { chainName: 'DUNE_BENCH', distributedDbVersions: [0], p2pVersions: [1] },
  listeningPort: undefined,
  metadataEncoding,
  localMetadata: { disableMempool: false, privateNode: false },
  authenticationTimeoutMs: 10_000,
})

/** One sending connection per score, all through `sending`, received through `receiving`. */
async function pairs(scores: readonly number[], sending: IoScheduler, receiving: IoScheduler) {
  const accepted: BenchConnection[] = []
  const server = net.createServer((socket) => {
    void authenticate(socket, true, config())
      .then((p) => p.accept())
      .then((r) => accepted.push(new dune.Connection(r, messages, receiving)))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  const senders: BenchConnection[] = []
  for (const score of scores) {
    const socket = await dialTcp('127.0.0.1', port)
    const result = await (await authenticate(socket, false, config())).accept()
    senders.push(
      new dune.Connection(result, messages, sending, { score: () => score, outgoingQueueBytes: 256 * 1024 }),
    )
    while (accepted.length < senders.length) await new Promise((r) => setImmediate(r))
  }
  return { senders, receivers: accepted, close: () => new Promise<void>((r) => server.close(() => r())) }
}

/** Saturates every sender for `seconds` after `warmup`; returns the bytes each receiver got in the window. */
async function measure(
  senders: BenchConnection[],
  receivers: BenchConnection[],
  warmup: number,
  seconds: number,
): Promise<number[]> {
  let running = true
  const counts = receivers.map(() => 0)
  const payload = randomBytes(16 * 1024)
  const message = { kind: 'application', message: { name: 'bench', value: payload } } as const
  for (const sender of senders) {
    void (async () => {
      while (running) await sender.send(message).catch(() => {})
    })()
  }
  receivers.forEach((receiver, i) => {
    void (async () => {
      for await (const m of receiver) if (m.kind === 'application') counts[i]! += m.message.value.length
    })()
  })
  await new Promise((r) => setTimeout(r, warmup * 1000))
  const before = [...counts]
  await new Promise((r) => setTimeout(r, seconds * 1000))
  const window = counts.map((c, i) => c - before[i]!)
  running = false
  for (const c of [...senders, ...receivers]) c.destroy()
  return window
}

const jain = (xs: number[]): number =>
  xs.reduce((a, b) => a + b, 0) ** 2 / (xs.length * xs.reduce((a, b) => a + b * b, 0))
const round = (x: number, digits = 3): number => Number(x.toFixed(digits))

export async function benchScheduler(quick: boolean, progress: (line: string) => void) {
  const limit = 8 * 1024 * 1024
  const warmup = quick ? 0.5 : 1
  const seconds = quick ? 1.5 : 4
  const report: Record<string, unknown> = { limitBytesPerSecond: limit, windowSeconds: seconds }

  /** 8 equal-score connections through a limited scheduler on one side: rate and fairness. */
  const equalShares = async (direction: 'upload' | 'download') => {
    progress(`scheduler: ${direction} limit ${limit} B/s, 8 equal-score connections`)
    const limited = new dune.IoScheduler(
      direction === 'upload' ? { maxUploadSpeed: limit } : { maxDownloadSpeed: limit },
    )
    const p =
      direction === 'upload'
        ? await pairs(Array(8).fill(0), limited, new dune.IoScheduler())
        : await pairs(Array(8).fill(0), new dune.IoScheduler(), limited)
    const got = await measure(p.senders, p.receivers, warmup, seconds)
    const rate = got.reduce((a, b) => a + b, 0) / seconds
    await p.close()
    limited.close()
    return {
      achievedBytesPerSecond: Math.round(rate),
      achievedOverLimit: round(rate / limit),
      jainIndex: round(jain(got), 4),
    }
  }
  report.upload = await equalShares('upload')
  report.download = await equalShares('download')
  progress('scheduler: upload limit shared by scores 0, 1, 2, 3')
  {
    const scores = [0, 1, 2, 3]
    const up = new dune.IoScheduler({ maxUploadSpeed: limit })
    const p = await pairs(scores, up, new dune.IoScheduler())
    const got = await measure(p.senders, p.receivers, warmup, seconds)
    const total = got.reduce((a, b) => a + b, 0)
    const weights = scores.map(scoreToWeight)
    const weightSum = weights.reduce((a, b) => a + b, 0)
    report.weighted = scores.map((score, i) => ({
      score,
      expectedShare: round(weights[i]! / weightSum),
      achievedShare: round(got[i]! / total),
    }))
    await p.close()
    up.close()
  }
  return report
}
