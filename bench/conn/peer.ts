// A benchmark peer process, spawned by bench/conn.ts: `--role listener` serves benchmark
// connections; `--role dialer` runs the measurements its parent asks for over IPC.
import { parseArgs } from 'node:util'
import { encodeCommand } from './control.js'
import type { BenchConnection, Driver } from './driver.js'
import { isDriverName, loadDriver } from './drivers.js'
import { BenchOptionsError } from './errors.js'
import type { ErrorInfo, ParentMessage, PeerAnswer, PeerHello } from './ipc.js'
import { closePaced, pacedCollector, sendPaced } from './many.js'
import { measureMemory } from './memory.js'
import { respond } from './responder.js'
import { handshakes, openIdle, pingPong, streamMessages } from './workloads.js'

const HOST = '127.0.0.1'

function tell(message: PeerHello | PeerAnswer): void {
  process.send?.(message)
}

function errorInfo(err: unknown): ErrorInfo {
  const code = (err as { code?: unknown }).code
  const message = err instanceof Error ? err.message : String(err)
  return typeof code === 'string' ? { code, message } : { message }
}

/** Counts the listener's open connections and serves each. */
function serve(counter: { open: number }): (connection: BenchConnection) => void {
  return (connection) => {
    counter.open += 1
    connection.onClose(() => {
      counter.open -= 1
    })
    respond(connection)
  }
}

async function answer(driver: Driver, counter: { open: number }, request: ParentMessage): Promise<unknown> {
  switch (request.cmd) {
    case 'memory':
      return measureMemory()
    case 'connections':
      return counter.open
    case 'stream':
      return streamMessages(driver, request.address, request.size, request.count)
    case 'pingpong':
      return pingPong(driver, request.address, request.size, request.roundTrips, request.warmup)
    case 'handshakes':
      return handshakes(driver, request.address, request.count, request.concurrency, request.warmup)
    case 'idle':
      return openIdle(driver, request.address, request.count, request.lanes, request.settleMs)
    case 'paced': {
      const { cmd: _cmd, id: _id, ...paced } = request
      return sendPaced(driver, paced, encodeCommand({ mode: 'stamped' }))
    }
    case 'pacedClose':
      await closePaced()
      return null
    case 'pacedExpect':
      pacedCollector.reset(request.messages)
      return null
    case 'pacedReport':
      return { received: pacedCollector.progress(), report: pacedCollector.report() }
  }
}

async function main(): Promise<void> {
  // Without the parent there is nothing to do: exit when the IPC channel closes.
  process.on('disconnect', () => process.exit(0))
  const { values } = parseArgs({ options: { driver: { type: 'string' }, role: { type: 'string' } } })
  const { driver: name = '', role } = values
  const counter = { open: 0 }
  let driver: Driver
  try {
    if (!isDriverName(name)) throw new BenchOptionsError(`unknown driver: ${name}`)
    if (role !== 'listener' && role !== 'dialer') throw new BenchOptionsError(`unknown role: ${role}`)
    driver = await loadDriver(name)
    if (role === 'listener') {
      const listener = await driver.listen({ host: HOST, onConnection: serve(counter) })
      tell({ type: 'ready', address: listener.address })
    } else {
      tell({ type: 'ready' })
    }
  } catch (err) {
    tell({ type: 'failed', error: errorInfo(err) })
    return
  }
  process.on('message', (request: ParentMessage) => {
    answer(driver, counter, request).then(
      (result) => tell({ id: request.id, ok: true, result }),
      (err: unknown) => tell({ id: request.id, ok: false, error: errorInfo(err) }),
    )
  })
}

await main()
