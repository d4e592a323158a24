// Benchmark of /network/log under an event flood with subscribers that never read: the growth of
// a shipped node's process (RSS, heap, buffers) and whether the stalled subscribers were dropped.

// Usage: node --expose-gc --import tsx bench/rpc-log.ts [--subscribers 5] [--seconds 10]
// [--log-buffer-bytes N] (N: the rpc.log_buffer_bytes to run with; default the shipped 1 MiB;
// a huge N shows the growth without the bound). Prints one JSON document on stdout.
import { connect, type Socket } from 'node:net'
import { parseArgs } from 'node:util'
import { startDuneNode } from '../src/node/daemon.js'
import { shippedConfig } from '../test/support/shipped-node.js'

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '10' },
    'log-buffer-bytes': { type: 'string' },
    host: { type: 'string', default: '127.0.0.184' },
  },
})
const subscribers = Number(values.subscribers)
const seconds = Number(values.seconds)
const MiB = 1024 * 1024
const mib = (n: number) => Number((n / MiB).toFixed(1))
const gc = (globalThis as { gc?: () => void }).gc

const config = shippedConfig(values.host, { rpc: true })
const bufferBytes = values['log-buffer-bytes']
const node = await startDuneNode(
  bufferBytes === undefined
    ? config
    : { ...config, rpc: { ...config.rpc, log_buffer_bytes: Number(bufferBytes) } },
)
const url = new URL(node.rpcUrl!)

/** A subscriber that sends its request, then never reads. */
async function stalledSubscriber(): Promise<{ socket: Socket; closed: Promise<void> }> {
  const socket = connect({ host: url.hostname, port: Number(url.port) })
  socket.on('error', () => {})
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  await new Promise<void>((resolve) => socket.once('connect', resolve))
  socket.write(`GET /network/log HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`)
  socket.pause()
  return { socket, closed }
}

gc?.()
await new Promise((resolve) => setTimeout(resolve, 500))
gc?.()
const before = process.memoryUsage()
const stalled = await Promise.all(Array.from({ length: subscribers }, stalledSubscriber))
let peakRss = before.rss
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss)
}, 50)
let events = 0
const started = Date.now()
while (Date.now() - started < seconds * 1000) {
  for (let i = 0; i < 500; i++) node.gossip.publish(`flood ${events++} ${'x'.repeat(230)}`)
  await new Promise((resolve) => setImmediate(resolve))
}
const floodMs = Date.now() - started
peakRss = Math.max(peakRss, process.memoryUsage().rss)
const during = process.memoryUsage()
clearInterval(sampler)
// Reading now shows whether the node ended each stalled stream.
let dropped = 0
for (const { socket, closed } of stalled) {
  socket.resume()
  const ended = await Promise.race([
    closed.then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), 5000)),
  ])
  if (ended) dropped++
  socket.destroy()
}
await node.stop()

console.log(
  JSON.stringify(
    {
      bench: 'rpc-log',
      command: `node --expose-gc --import tsx bench/rpc-log.ts --subscribers ${subscribers} --seconds ${seconds}${bufferBytes === undefined ? '' : ` --log-buffer-bytes ${bufferBytes}`}`,
      log_buffer_bytes: bufferBytes === undefined ? config.rpc.log_buffer_bytes : Number(bufferBytes),
      subscribers,
      flood_ms: floodMs,
      events,
      event_bytes_per_subscriber_mib: mib(events * 450),
      rss_before_mib: mib(before.rss),
      rss_peak_growth_mib: mib(peakRss - before.rss),
      rss_end_growth_mib: mib(during.rss - before.rss),
      heap_growth_mib: mib(during.heapUsed - before.heapUsed),
      external_growth_mib: mib(during.external + during.arrayBuffers - before.external - before.arrayBuffers),
      stalled_subscribers_dropped: dropped,
      target_mib: 64,
      within_target: peakRss - before.rss < 64 * MiB,
    },
    null,
    2,
  ),
)
