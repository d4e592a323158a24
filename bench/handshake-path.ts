// Where a handshake's time goes between two processes: timestamps along its critical path (dial,
// the peer's accept, each exchange, close) and the cost of each socket write, as JSON medians.
import { type ChildProcess, fork } from 'node:child_process'
import { connect, createServer, type Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import type { HandshakeConfig } from '../src/socket/index.js'
import type { Metadata } from '../src/wire/index.js'
import { dune } from './library.js'

const USAGE = `usage: npm run bench -- handshake-path [--handshakes N]
  --handshakes N   handshakes timed, after N/10 untimed (default 3000)
Prints JSON: per step of the dialer's handshake the median microseconds, the listener's steps on
the same monotonic clock, the median cost of one socket write, and a plain TCP connect + close.`

const POW_BITS = 4
const now = (): bigint => process.hrtime.bigint()
const us = (ns: bigint): number => Number(ns) / 1000

function config(
  listeningPort: number | undefined,
  onConnectionMessage?: () => void,
): HandshakeConfig<Metadata> {
  return {
    identity: dune.generateIdentityInline(POW_BITS),
    expectedProofOfWork: POW_BITS,
    versions: { chainName: 'DUNE_BENCH', distributedDbVersions: [0], p2pVersions: [1] },
    listeningPort,
    metadataEncoding: dune.metadataEncoding,
    localMetadata: { disableMempool: false, privateNode: false },
    authenticationTimeoutMs: 30_000,
    onConnectionMessage,
  }
}

const registry = dune.defineMessages({
  bench: { tag: 0x10, encoding: dune.bytes({ max: 100 }), maxSize: 104 },
})

/** Wraps `socket.write` to time each call (a write on loopback also wakes the peer). */
function timeWrites(socket: Socket, into: number[]): void {
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean
  socket.write = ((...args: unknown[]) => {
    const start = now()
    const result = write(...args)
    into.push(us(now() - start))
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
  const scheduler = new dune.IoScheduler()
  const times: ListenerTimes = { accepted: [], wrote: [], received: [] }
  let handshake: HandshakeConfig<Metadata> | undefined
  const server = createServer({ pauseOnConnect: true }, (accepted) => {
    times.accepted.push(String(now()))
    const socket = dune.readAcceptedIntoSharedBuffer(accepted, scheduler.readBuffer)
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean
    let first = true
    socket.write = ((...args: unknown[]) => {
      if (first) times.wrote.push(String(now()))
      first = false
      return write(...args)
    }) as Socket['write']
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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('listener has no TCP address')
  handshake = config(address.port)
  // The floor: a plain listener in the same process, whose sockets only wait for the dialer's end.
  const plain = createServer((socket) => socket.resume())
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve))
  const plainAddress = plain.address()
  if (plainAddress === null || typeof plainAddress === 'string')
    throw new Error('plain listener has no TCP address')
  process.on('message', (message) => {
    if (message === 'times') process.send?.(times)
    if (message === 'exit') process.exit(0)
  })
  process.send?.({ port: address.port, plainPort: plainAddress.port })
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return Number((sorted[Math.floor(sorted.length / 2)] ?? Number.NaN).toFixed(1))
}

function ask<T>(child: ChildProcess, message: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (answer) => resolve(answer as T))
    child.send(message)
  })
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
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.HANDSHAKE_PATH_PROFILE
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.HANDSHAKE_PATH_PROFILE}`]
        : []),
    ],
  })
  const { port, plainPort } = await new Promise<{ port: number; plainPort: number }>((resolve) =>
    child.once('message', (ports) => resolve(ports as { port: number; plainPort: number })),
  )
  const scheduler = new dune.IoScheduler()
  let received = 0n
  const handshake = config(undefined, () => {
    received = now()
  })
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
  for (let i = 0; i < warmup + count; i++) {
    const t0 = now()
    const socket = await dune.dialTcp('127.0.0.1', port, { readBuffer: scheduler.readBuffer })
    const t1 = now()
    if (i >= warmup) timeWrites(socket, writes)
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
  for (let i = 0; i < warmup + count; i++) {
    const start = now()
    await tcpCycle(plainPort)
    if (i >= warmup) floor.push(us(now() - start))
  }
  const totals = steps.dial!.map((_, i) =>
    ['dial', 'authenticate', 'accept', 'connection', 'close'].reduce((sum, k) => sum + steps[k]![i]!, 0),
  )
  const report = {
    benchmark: 'handshake-path',
    handshakes: count,
    note: 'medians in microseconds; the two processes share the monotonic clock',
    dialer: Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, median(v)])),
    handshakeTotal: median(totals),
    listener: {
      ...Object.fromEntries(Object.entries(listener).map(([k, v]) => [k, median(v)])),
      dialerConnectedToOurMessageIn: median(dialerToListener),
    },
    writes: { perHandshake: writes.length / count, medianUs: median(writes) },
    tcpConnectCloseUs: median(floor),
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
