// The measurements a dialing peer runs against a listener: a one-way stream of messages,
// ping-pong round trips, handshake rates, and a crowd of idle connections held open.
import { decodeReport, encodeCommand, type SinkReport } from './control.js'
import type { BenchConnection, Dialer, Driver } from './driver.js'
import { BenchConnectionError } from './errors.js'
import { type MemoryFigures, measureMemory } from './memory.js'
import { percentile } from './stats.js'

const FILL_BYTE = 0x5a

/** The messages of one connection, awaited one at a time. */
class Inbox {
  private readonly queued: Buffer[] = []
  private waiting: { resolve: (m: Buffer) => void; reject: (e: Error) => void } | undefined
  private closedBy: Error | undefined

  constructor(connection: BenchConnection) {
    connection.onMessage((message) => {
      if (this.waiting === undefined) this.queued.push(message)
      else {
        this.waiting.resolve(message)
        this.waiting = undefined
      }
    })
    connection.onClose((error) => {
      this.closedBy = new BenchConnectionError('connection closed while awaiting a message', { cause: error })
      this.waiting?.reject(this.closedBy)
      this.waiting = undefined
    })
  }

  next(): Promise<Buffer> {
    const message = this.queued.shift()
    if (message !== undefined) return Promise.resolve(message)
    if (this.closedBy !== undefined) return Promise.reject(this.closedBy)
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject }
    })
  }
}

/** Runs `use` on a connection of a fresh dialer; closes both afterwards. */
async function withConnection<T>(
  driver: Driver,
  address: string,
  use: (connection: BenchConnection, inbox: Inbox) => Promise<T>,
): Promise<T> {
  const dialer = await driver.createDialer()
  try {
    const connection = await dialer.dial(address)
    try {
      return await use(connection, new Inbox(connection))
    } finally {
      await connection.close()
    }
  } finally {
    await dialer.close()
  }
}

export interface StreamResult extends SinkReport {
  /** From the first send to the arrival of the receiver's report, on the sender's clock. */
  endToEndNs: number
  /** CPU time (user and system, every thread) of the sending process over endToEndNs. */
  senderCpuNs: number
}

/** Sends `count` messages of `size` bytes as fast as backpressure allows; the listener sinks them. */
export function streamMessages(
  driver: Driver,
  address: string,
  size: number,
  count: number,
): Promise<StreamResult> {
  return withConnection(driver, address, async (connection, inbox) => {
    const message = Buffer.alloc(size, FILL_BYTE)
    await connection.send(encodeCommand({ mode: 'sink', messages: count }))
    const start = process.hrtime.bigint()
    const cpuAtStart = process.cpuUsage()
    for (let i = 0; i < count; i++) {
      const accepted = connection.send(message)
      if (accepted !== undefined) await accepted
    }
    const report = decodeReport(await inbox.next())
    const endToEndNs = Number(process.hrtime.bigint() - start)
    const cpu = process.cpuUsage(cpuAtStart)
    return { ...report, endToEndNs, senderCpuNs: (cpu.user + cpu.system) * 1000 }
  })
}

export interface PingPongResult {
  medianUs: number
  p99Us: number
}

/** `warmup` unrecorded round trips, then `roundTrips` recorded ones, one message in flight. */
export function pingPong(
  driver: Driver,
  address: string,
  size: number,
  roundTrips: number,
  warmup: number,
): Promise<PingPongResult> {
  return withConnection(driver, address, async (connection, inbox) => {
    const message = Buffer.alloc(size, FILL_BYTE)
    const micros = new Float64Array(roundTrips)
    await connection.send(encodeCommand({ mode: 'echo' }))
    for (let i = -warmup; i < roundTrips; i++) {
      const start = process.hrtime.bigint()
      const accepted = connection.send(message)
      if (accepted !== undefined) await accepted
      const echoed = await inbox.next()
      if (i >= 0) micros[i] = Number(process.hrtime.bigint() - start) / 1000
      if (echoed.length !== size)
        throw new BenchConnectionError(`echo of ${echoed.length} bytes, sent ${size}`)
    }
    micros.sort()
    return { medianUs: percentile(micros, 50), p99Us: percentile(micros, 99) }
  })
}

async function createDialers(driver: Driver, count: number): Promise<Dialer[]> {
  return Promise.all(Array.from({ length: count }, () => driver.createDialer()))
}

/** Runs `task` `count` times spread over the lanes, each lane one call at a time. */
async function spread(lanes: readonly Dialer[], count: number, task: (dialer: Dialer) => Promise<void>) {
  let started = 0
  await Promise.all(
    lanes.map(async (dialer) => {
      while (started < count) {
        started += 1
        await task(dialer)
      }
    }),
  )
}

/**
 * Time to set up and close `count` connections, `concurrency` at a time (one dialer each),
 * after `warmup` untimed ones.
 */
export async function handshakes(
  driver: Driver,
  address: string,
  count: number,
  concurrency: number,
  warmup: number,
): Promise<{ elapsedNs: number }> {
  const dialers = await createDialers(driver, concurrency)
  const handshake = async (dialer: Dialer): Promise<void> => {
    const connection = await dialer.dial(address)
    await connection.close()
  }
  try {
    await spread(dialers, warmup, handshake)
    const start = process.hrtime.bigint()
    await spread(dialers, count, handshake)
    return { elapsedNs: Number(process.hrtime.bigint() - start) }
  } finally {
    await Promise.all(dialers.map((d) => d.close()))
  }
}

export interface IdleResult {
  before: MemoryFigures
  after: MemoryFigures
  /** Connections still open at the second reading. */
  open: number
}

/** Connections and dialers that must outlive the command that opened them. */
const held: { dialers: Dialer[]; connections: BenchConnection[] } = { dialers: [], connections: [] }

/**
 * Opens `count` connections over `lanes` dialers and keeps them open (with a reader attached,
 * as a live connection has), then waits `settleMs` and reads memory again.
 */
export async function openIdle(
  driver: Driver,
  address: string,
  count: number,
  lanes: number,
  settleMs: number,
): Promise<IdleResult> {
  const dialers = await createDialers(driver, lanes)
  held.dialers.push(...dialers)
  const before = await measureMemory()
  let open = 0
  await spread(dialers, count, async (dialer) => {
    const connection = await dialer.dial(address)
    held.connections.push(connection)
    open += 1
    connection.onMessage(() => {})
    connection.onClose(() => {
      open -= 1
    })
  })
  await new Promise((resolve) => setTimeout(resolve, settleMs))
  const after = await measureMemory()
  return { before, after, open }
}
