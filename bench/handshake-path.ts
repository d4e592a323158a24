// Where a handshake's time goes between two processes: timestamps along its critical path (dial,
// the peer's accept, each exchange, close), each socket write's cost and each side's CPU, as JSON.
import { type ChildProcess, fork } from 'node:child_process'
import { connect, createServer, type Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import type { HandshakeConfig } from '../src/socket/index.js'
import type { Metadata } from '../src/wire/index.js'
import { handshakeConfig, registry, scheduler } from './conn/driver-dune.js'
import { EXTRA_NODE_FLAGS } from './conn/ipc.js'
import { median } from './conn/stats.js'
import { listenOnFreePort } from './conn/tcp-connection.js'
import { dune } from './library.js'

const USAGE = `usage: npm run bench -- handshake-path [--handshakes N]
  --handshakes N   handshakes timed, after N/10 untimed (default 3000)
Prints JSON: per step of the dialer's handshake the median microseconds, the listener's steps on
the same monotonic clock, the median cost of one socket write, each process's CPU time per
handshake (user and system), and the same for a plain TCP connect + close.
DUNE_BENCH_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") goes to the listener process.`

const now = (): bigint => process.hrtime.bigint()
const us = (ns: bigint): number => Number(ns) / 1000
/** A median in µs, to 0.1. */
const medianUs = (values: readonly number[]): number => Number(median(values).toFixed(1))

/** Calls `onWrite(start, end)` around each `socket.write` (on loopback, a write also wakes the peer). */
function watchWrites(socket: Socket, onWrite: (start: bigint, end: bigint) => void): void {
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean
  socket.write = ((...args: unknown[]) => {
    const start = now()
    const result = write(...args)
    onWrite(start, now())
    return result
  }) as Socket['write']
}

/** Per accepted connection: when the accept callback ran, when our connection message went out, when the peer's came. */
interface ListenerTimes {
  accepted: string[]
  wrote: string[]
  received: string[]
}

async function runListener(): Promise<void> {
  const times: ListenerTimes = { accepted: [], wrote: [], received: [] }
  let handshake: HandshakeConfig<Metadata> | undefined
  const server = createServer({ pauseOnConnect: true }, (accepted) => {
    times.accepted.push(String(now()))
    const socket = dune.readAcceptedIntoSharedBuffer(accepted, scheduler.readBuffer)
    let first = true
    watchWrites(socket, (start) => {
      if (first) times.wrote.push(String(start))
      first = false
    })
    socket.resume()
    const onMessage = (): void => void times.received.push(String(now()))
    dune
      .authenticate(socket, true, { ...handshake!, onConnectionMessage: onMessage })
      .then((pending) => pending.accept())
      .then((result) => {
        const connection = new dune.Connection(result, registry, scheduler, {})
        void (async () => {
          for await (const _ of connection); // as the pool's answerer reads, until the dialer's close
        })()
      })
      .catch(() => socket.destroy())
  })
  const port = await listenOnFreePort(server, '127.0.0.1')
  handshake = handshakeConfig(port)
  // The floor: a plain listener in the same process, whose sockets only wait for the dialer's end.
  const plainPort = await listenOnFreePort(
    createServer((socket) => socket.resume()),
    '127.0.0.1',
  )
  process.on('message', (message) => {
    if (message === 'times') process.send?.(times)
    if (message === 'cpu') process.send?.(process.cpuUsage())
    if (message === 'exit') process.exit(0)
  })
  process.send?.({ port, plainPort })
}

function ask<T>(child: ChildProcess, message: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (answer) => resolve(answer as T))
    child.send(message)
  })
}

/** Both processes' CPU usage at one moment. */
interface CpuMark {
  dialer: NodeJS.CpuUsage
  listener: NodeJS.CpuUsage
}

async function markCpu(child: ChildProcess): Promise<CpuMark> {
  const listener = await ask<NodeJS.CpuUsage>(child, 'cpu')
  return { dialer: process.cpuUsage(), listener }
}

/** Each process's CPU (user, system, in µs) per operation since `mark`, over `count` operations. */
async function cpuPer(child: ChildProcess, mark: CpuMark, count: number) {
  const dialer = process.cpuUsage(mark.dialer)
  const listener = await ask<NodeJS.CpuUsage>(child, 'cpu')
  const per = (user: number, system: number) => ({
    user: Number((user / count).toFixed(1)),
    system: Number((system / count).toFixed(1)),
  })
  return {
    dialer: per(dialer.user, dialer.system),
    listener: per(listener.user - mark.listener.user, listener.system - mark.listener.system),
  }
}

/** A plain TCP connect, then end and wait for the peer's close: the conn benchmark's floor. */
function tcpCycle(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end())
    socket.on('error', reject)
    socket.on('close', () => resolve())
  })
}

async function runDialer(count: number): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), ['--listener'], {
    // DUNE_BENCH_NODE_FLAGS as for the conn benchmark's peers (e.g. --cpu-prof); the listener then exits on 'exit'.
    execArgv: ['--import', 'tsx', ...EXTRA_NODE_FLAGS],
  })
  const { port, plainPort } = await new Promise<{ port: number; plainPort: number }>((resolve) =>
    child.once('message', (ports) => resolve(ports as { port: number; plainPort: number })),
  )
  let received = 0n
  const handshake: HandshakeConfig<Metadata> = {
    ...handshakeConfig(undefined),
    onConnectionMessage: () => {
      received = now()
    },
  }
  const warmup = Math.ceil(count / 10)
  const steps = {
    dial: [],
    untilPeerConnectionMessage: [],
    authenticate: [],
    accept: [],
    connection: [],
    close: [],
  } as Record<string, number[]>
  const starts: bigint[] = []
  const connected: bigint[] = []
  const peerMessage: bigint[] = []
  const writes: number[] = []
  let cpu: CpuMark | undefined
  for (let i = 0; i < warmup + count; i++) {
    if (i === warmup) cpu = await markCpu(child)
    const t0 = now()
    const socket = await dune.dialTcp('127.0.0.1', port, { readBuffer: scheduler.readBuffer })
    const t1 = now()
    if (i >= warmup) watchWrites(socket, (start, end) => writes.push(us(end - start)))
    const pending = await dune.authenticate(socket, false, handshake)
    const t2 = now()
    const result = await pending.accept()
    const t3 = now()
    const connection = new dune.Connection(result, registry, scheduler, {})
    const t4 = now()
    await connection.close()
    const t5 = now()
    if (i < warmup) continue
    starts.push(t0)
    connected.push(t1)
    peerMessage.push(received)
    steps.dial!.push(us(t1 - t0))
    steps.untilPeerConnectionMessage!.push(us(received - t1))
    steps.authenticate!.push(us(t2 - t1))
    steps.accept!.push(us(t3 - t2))
    steps.connection!.push(us(t4 - t3))
    steps.close!.push(us(t5 - t4))
  }
  const handshakeCpu = await cpuPer(child, cpu!, count)
  const times = await ask<ListenerTimes>(child, 'times')
  const at = (list: string[], i: number): bigint => BigInt(list[warmup + i] ?? '0')
  const listener = {
    connectToAccept: [] as number[],
    acceptToWrite: [] as number[],
    writeToDialerReceives: [] as number[],
  }
  const dialerToListener: number[] = []
  for (let i = 0; i < count; i++) {
    listener.connectToAccept.push(us(at(times.accepted, i) - connected[i]!))
    listener.acceptToWrite.push(us(at(times.wrote, i) - at(times.accepted, i)))
    listener.writeToDialerReceives.push(us(peerMessage[i]! - at(times.wrote, i)))
    dialerToListener.push(us(at(times.received, i) - connected[i]!))
  }
  const floor: number[] = []
  let floorMark: CpuMark | undefined
  for (let i = 0; i < warmup + count; i++) {
    if (i === warmup) floorMark = await markCpu(child)
    const start = now()
    await tcpCycle(plainPort)
    if (i >= warmup) floor.push(us(now() - start))
  }
  const floorCpu = await cpuPer(child, floorMark!, count)
  const totals = steps.dial!.map((_, i) =>
    ['dial', 'authenticate', 'accept', 'connection', 'close'].reduce((sum, k) => sum + steps[k]![i]!, 0),
  )
  const report = {
    benchmark: 'handshake-path',
    handshakes: count,
    note: 'medians in microseconds; the two processes share the monotonic clock',
    dialer: Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, medianUs(v)])),
    handshakeTotal: medianUs(totals),
    listener: {
      ...Object.fromEntries(Object.entries(listener).map(([k, v]) => [k, medianUs(v)])),
      dialerConnectedToOurMessageIn: medianUs(dialerToListener),
    },
    writes: { perHandshake: writes.length / count, medianUs: medianUs(writes) },
    cpuPerHandshakeUs: handshakeCpu,
    tcpConnectCloseUs: medianUs(floor),
    cpuPerTcpConnectCloseUs: floorCpu,
    ratioTcpToHandshake: Number((median(floor) / median(totals)).toFixed(3)),
  }
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.send('exit')
  await exited
}

const args = process.argv.slice(2)
if (args[0] === '--listener') await runListener()
else {
  let count = 3000
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--handshakes' && /^[1-9][0-9]*$/.test(args[i + 1] ?? '')) count = Number(args[++i])
    else {
      process.stderr.write(`${USAGE}\n`)
      process.exit(args[i] === '--help' ? 0 : 1)
    }
  }
  await runDialer(count)
}
