// Benchmark of the I/O scheduler: achieved rate against the limit, fairness between equal
// scores (Jain's index), shares against score weights, and the cost of the free fast path.

// Usage: node --import tsx bench/io-scheduler.ts [--limit BYTES_PER_S] [--seconds S] [--chunk BYTES]
//        [--consumers N]; prints one JSON document on stdout.
import { parseArgs } from 'node:util'
import { FlowRegistry } from '../src/io/flow-meter.js'
import { type IoHandle, IoScheduler, scoreToWeight } from '../src/io/scheduler.js'

const { values } = parseArgs({
  options: {
    limit: { type: 'string', default: String(4 * 1024 * 1024) },
    seconds: { type: 'string', default: '2' },
    chunk: { type: 'string', default: String(16 * 1024) },
    consumers: { type: 'string', default: '8' },
  },
})
const limit = Number(values.limit)
const seconds = Number(values.seconds)
const chunk = Number(values.chunk)
const consumers = Number(values.consumers)
const warmupSeconds = 0.5

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Writers that always have a chunk to send; counts bytes granted after the warm-up. */
async function runWriters(scores: number[]) {
  const scheduler = new IoScheduler({ maxUploadSpeed: limit })
  const counts = scores.map(() => ({ total: 0, steady: 0 }))
  let steady = false
  let stopped = false
  const loops = scores.map(async (score, i) => {
    const handle = scheduler.register({ score: () => score })
    const count = counts[i]
    if (count === undefined) throw new Error(`no counter for score ${score}`)
    while (!stopped) {
      const wait = handle.requestWrite(chunk)
      if (wait !== undefined) await wait.catch(() => undefined)
      if (stopped) return
      count.total += chunk
      if (steady) count.steady += chunk
    }
  })
  const start = performance.now()
  await sleep(warmupSeconds * 1000)
  steady = true
  const steadyStart = performance.now()
  await sleep(seconds * 1000)
  stopped = true
  const end = performance.now()
  scheduler.close()
  await Promise.all(loops)
  return { counts, elapsed: (end - start) / 1000, steadyElapsed: (end - steadyStart) / 1000 }
}

/** Readers on sockets that always have data (a chunk per callback until paused); steady rate. */
async function runReaders(n: number) {
  const scheduler = new IoScheduler({ maxDownloadSpeed: limit })
  let total = 0
  let stopped = false
  const handles: IoHandle[] = []
  const pump = (handle: IoHandle) => {
    for (;;) {
      if (stopped) return
      total += chunk
      if (!handle.consumedRead(chunk)) return
    }
  }
  for (let i = 0; i < n; i++) {
    const handle: IoHandle = scheduler.register({ resumeRead: () => setImmediate(() => pump(handle)) })
    handles.push(handle)
  }
  for (const handle of handles) setImmediate(() => pump(handle))
  await sleep(warmupSeconds * 1000)
  const start = performance.now()
  const before = total
  await sleep(seconds * 1000)
  stopped = true
  const elapsed = (performance.now() - start) / 1000
  scheduler.close()
  return (total - before) / elapsed
}

function jain(xs: number[]): number {
  const sum = xs.reduce((a, b) => a + b, 0)
  const squares = xs.reduce((a, b) => a + b * b, 0)
  return (sum * sum) / (xs.length * squares)
}

/** ns per call of `op` over `n` calls, after a warm-up run. */
function nsPerOp(n: number, op: (i: number) => unknown): number {
  for (let i = 0; i < n / 10; i++) op(i)
  const start = process.hrtime.bigint()
  for (let i = 0; i < n; i++) op(i)
  return Number(process.hrtime.bigint() - start) / n
}

const equal = await runWriters(Array.from({ length: consumers }, () => 0))
const equalTotal = equal.counts.reduce((sum, c) => sum + c.total, 0)
const equalSteady = equal.counts.reduce((sum, c) => sum + c.steady, 0)

const scores = [0, 1, 2, 3]
const weighted = await runWriters(scores)
const weightSum = scores.reduce((sum, s) => sum + scoreToWeight(s), 0)
const steadySum = weighted.counts.reduce((sum, c) => sum + c.steady, 0)

const readRate = await runReaders(consumers)

// The fast paths: a private flow registry so its timer does not matter; 10 M operations each.
const flows = new FlowRegistry()
const unlimited = new IoScheduler({ flowRegistry: flows }).register()
const writeNs = nsPerOp(10_000_000, () => unlimited.requestWrite(chunk))
const readNs = nsPerOp(10_000_000, () => unlimited.consumedRead(chunk))
unlimited.close()
// A limited scheduler granting at once (share left): a limit too high to be reached here.
const roomy = new IoScheduler({ maxUploadSpeed: 1e15, flowRegistry: flows })
const roomyHandle = roomy.register()
await roomyHandle.requestWrite(1)
await sleep(roomy.periodMs * 1.5)
const limitedGrantNs = nsPerOp(1_000_000, () => roomyHandle.requestWrite(chunk))
roomy.close()

const round = (x: number, digits = 3) => Number(x.toFixed(digits))
console.log(
  JSON.stringify(
    {
      config: { limit, seconds, warmupSeconds, chunk, consumers, periodMs: roomy.periodMs },
      rate: {
        limit,
        achievedOverall: Math.round(equalTotal / equal.elapsed),
        achievedSteady: Math.round(equalSteady / equal.steadyElapsed),
        steadyOverLimit: round(equalSteady / equal.steadyElapsed / limit, 4),
        readAchievedSteady: Math.round(readRate),
        readSteadyOverLimit: round(readRate / limit, 4),
        // A window may start on a fresh period budget and end on debt: its rate can exceed the
        // limit by (one period's budget + the overdrawn reads/writes) / window, never more.
        windowBoundOverLimit: round(
          1 + (limit * (roomy.periodMs / 1000) + consumers * chunk) / (limit * seconds),
          4,
        ),
      },
      fairness: {
        consumers,
        jainIndex: round(jain(equal.counts.map((c) => c.steady)), 5),
        minOverMax: round(
          Math.min(...equal.counts.map((c) => c.steady)) / Math.max(...equal.counts.map((c) => c.steady)),
          4,
        ),
      },
      weighted: scores.map((score, i) => ({
        score,
        expectedShare: round(scoreToWeight(score) / weightSum, 4),
        achievedShare: round((weighted.counts[i]?.steady ?? 0) / steadySum, 4),
      })),
      fastPathNsPerOp: {
        unlimitedRequestWrite: round(writeNs, 1),
        unlimitedConsumedRead: round(readNs, 1),
        limitedImmediateGrant: round(limitedGrantNs, 1),
      },
    },
    null,
    2,
  ),
)
