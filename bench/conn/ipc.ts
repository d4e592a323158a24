// The two-process set-up of the benchmark: the parent spawns peer processes (bench/conn/peer.ts)
// for a driver and a role and talks to them by request and answer over the Node IPC channel.
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { DriverName } from './drivers.js'
import { BenchPeerError, DriverUnavailableError } from './errors.js'
import type { PacedReceiverReport, PacedRequest, PacedSenderResult } from './many.js'
import type { MemoryFigures } from './memory.js'
import type { IdleResult, PingPongResult, StreamResult } from './workloads.js'

export type Role = 'listener' | 'dialer'

/** What the parent may ask a peer, and what each request answers. */
export type PeerRequest =
  | { cmd: 'memory' }
  | { cmd: 'connections' }
  | { cmd: 'stream'; address: string; size: number; count: number }
  | { cmd: 'pingpong'; address: string; size: number; roundTrips: number; warmup: number }
  | { cmd: 'handshakes'; address: string; count: number; concurrency: number; warmup: number }
  | { cmd: 'idle'; address: string; count: number; lanes: number; settleMs: number }
  | ({ cmd: 'paced' } & PacedRequest)
  | { cmd: 'pacedClose' }
  | { cmd: 'pacedExpect'; messages: number }
  | { cmd: 'pacedReport' }

export interface PeerAnswers {
  memory: MemoryFigures
  connections: number
  stream: StreamResult
  pingpong: PingPongResult
  handshakes: { elapsedNs: number }
  idle: IdleResult
  paced: PacedSenderResult
  pacedClose: null
  pacedExpect: null
  /** Undefined until every expected message arrived; then the figures. */
  pacedReport: { received: number; report: PacedReceiverReport | undefined }
}

export interface ErrorInfo {
  code?: string
  message: string
}

/** Peer to parent: first a hello, then one answer per request. */
export type PeerHello = { type: 'ready'; address?: string } | { type: 'failed'; error: ErrorInfo }
export type PeerAnswer =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: ErrorInfo }
export type ParentMessage = PeerRequest & { id: number }

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
const PEER_SCRIPT = fileURLToPath(new URL('./peer.ts', import.meta.url))
const READY_TIMEOUT_MS = 60_000
/**
 * Node flags for every peer process, from DUNE_BENCH_NODE_FLAGS (space-separated), e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the peers (written when they exit).
 */
export const EXTRA_NODE_FLAGS = (process.env.DUNE_BENCH_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '')
/** How long a peer may take to exit once its IPC channel closes (to write a profile) before SIGKILL. */
const EXIT_GRACE_MS = EXTRA_NODE_FLAGS.length > 0 ? 10_000 : 0

const running = new Set<ChildProcess>()

/** Kills every peer process still running (for exit and signal handlers). */
export function killAllPeers(): void {
  for (const child of running) child.kill('SIGKILL')
}

function errorFrom(info: ErrorInfo): Error {
  return info.code === 'DUNE_BENCH_DRIVER_UNAVAILABLE'
    ? new DriverUnavailableError(info.message)
    : new BenchPeerError(`peer failed: ${info.message}`)
}

interface Pending {
  resolve: (result: unknown) => void
  reject: (error: Error) => void
  timer: NodeJS.Timeout
}

/** One peer process. Its stdout goes to our stderr, so our stdout stays one JSON document. */
export class PeerProcess {
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private exited: Error | undefined

  private constructor(
    private readonly child: ChildProcess,
    readonly name: string,
    /** The listening address (listeners only). */
    readonly address: string,
  ) {
    child.on('message', (message: PeerAnswer) => this.settle(message))
    child.once('exit', (code, signal) => {
      this.exited = new BenchPeerError(`${name} exited (${signal ?? `code ${code}`})`)
      for (const { reject, timer } of this.pending.values()) {
        clearTimeout(timer)
        reject(this.exited)
      }
      this.pending.clear()
    })
  }

  /** Starts a peer and waits for its hello; rejects with DriverUnavailableError when the driver cannot run. */
  static spawn(driver: DriverName, role: Role, nodeFlags: readonly string[] = []): Promise<PeerProcess> {
    const name = `${driver} ${role}`
    const child = spawn(
      process.execPath,
      [
        ...EXTRA_NODE_FLAGS,
        ...nodeFlags,
        '--expose-gc',
        '--import',
        'tsx',
        PEER_SCRIPT,
        '--driver',
        driver,
        '--role',
        role,
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 2, 'inherit', 'ipc'] },
    )
    running.add(child)
    child.once('exit', () => running.delete(child))
    return new Promise((resolve, reject) => {
      const fail = (error: Error): void => {
        clearTimeout(timer)
        child.off('message', onHello)
        child.off('exit', onExit)
        child.kill('SIGKILL')
        reject(error)
      }
      const timer = setTimeout(
        () => fail(new BenchPeerError(`${name} not ready in ${READY_TIMEOUT_MS} ms`)),
        READY_TIMEOUT_MS,
      )
      const onExit = (code: number | null, signal: string | null): void =>
        fail(new BenchPeerError(`${name} exited before ready (${signal ?? `code ${code}`})`))
      const onHello = (hello: PeerHello): void => {
        if (hello.type === 'failed') {
          fail(errorFrom(hello.error))
          return
        }
        clearTimeout(timer)
        child.off('message', onHello)
        child.off('exit', onExit)
        resolve(new PeerProcess(child, name, hello.address ?? ''))
      }
      child.on('message', onHello)
      child.once('exit', onExit)
    })
  }

  /** Sends a request; rejects if the peer answers with an error, exits, or takes over `timeoutMs`. */
  request<C extends PeerRequest['cmd']>(
    request: Extract<PeerRequest, { cmd: C }>,
    timeoutMs: number,
  ): Promise<PeerAnswers[C]> {
    if (this.exited !== undefined) return Promise.reject(this.exited)
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new BenchPeerError(`${this.name}: no answer to ${request.cmd} in ${timeoutMs} ms`))
        void this.kill()
      }, timeoutMs)
      this.pending.set(id, { resolve: resolve as (result: unknown) => void, reject, timer })
      this.child.send({ ...request, id } satisfies ParentMessage)
    })
  }

  private settle(answer: PeerAnswer): void {
    const pending = this.pending.get(answer.id)
    if (pending === undefined) return
    this.pending.delete(answer.id)
    clearTimeout(pending.timer)
    if (answer.ok) pending.resolve(answer.result)
    else pending.reject(errorFrom(answer.error))
  }

  /** Kills the process (closing its connections) and waits for it to be gone. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const gone = new Promise((resolve) => this.child.once('exit', resolve))
    if (EXIT_GRACE_MS > 0 && this.child.connected) {
      // The peer exits on its own when the channel closes, writing what its flags ask (a profile).
      this.child.disconnect()
      const timer = setTimeout(() => this.child.kill('SIGKILL'), EXIT_GRACE_MS)
      await gone
      clearTimeout(timer)
      return
    }
    this.child.kill('SIGKILL')
    await gone
  }
}
