// Searches a proof-of-work stamp for a public key on worker threads (one per core by
// default), reporting progress and stopping all workers on success or abort.
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { DuneP2pError } from '../errors/index.js'
import { assertLength, CryptoInputError } from './errors.js'
import { PUBLIC_KEY_BYTES } from './keys.js'
import { checkProofOfWork, expectedPowHashes, powTargetBytes } from './proof-of-work.js'

/** The search was cancelled through its AbortSignal (code `DUNE_POW_ABORTED`). */
export class PowSearchAborted extends DuneP2pError {
  constructor(options?: { cause?: unknown }) {
    super('DUNE_POW_ABORTED', 'proof-of-work search aborted', options)
  }
}

/** A worker of the search crashed or misbehaved (code `DUNE_POW_FAILED`). */
export class PowSearchFailed extends DuneP2pError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DUNE_POW_FAILED', message, options)
  }
}

export interface PowProgress {
  /** Hashes computed so far by all workers. */
  hashes: number
  elapsedMs: number
  hashesPerSecond: number
  /** Mean number of hashes a search of this difficulty takes. */
  expectedHashes: number
}

export interface PowSearchOptions {
  /** Worker threads to run (default, also when undefined: one per core). */
  threads?: number | undefined
  signal?: AbortSignal
  onProgress?: (progress: PowProgress) => void
}

/** What a search worker is started with. */
export interface PowWorkerData {
  publicKey: Uint8Array
  /** The target as 32 little-endian bytes. */
  target: Uint8Array
  /** One Int32; a worker stops when it becomes non-zero. */
  stop: SharedArrayBuffer
}

/** What a search worker posts: hashes done since its last message, and the stamp if found. */
export type PowWorkerMessage =
  | { kind: 'progress'; hashes: number }
  | { kind: 'found'; hashes: number; stamp: Uint8Array }

/**
 * Starts one search worker. From compiled JavaScript that is the sibling worker file; from
 * TypeScript source (under tsx) a bootstrap registers tsx in the thread first, because Node 20
 * ignores loaders passed in a Worker's execArgv (nodejs/node#47747, fixed in Node 22.2).
 */
function startWorker(workerData: PowWorkerData): Worker {
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('./pow-search-worker.js', import.meta.url), { workerData })
  }
  const tsxApi = JSON.stringify(import.meta.resolve('tsx/esm/api'))
  const entry = JSON.stringify(new URL('./pow-search-worker.ts', import.meta.url).href)
  const bootstrap = `import(${tsxApi}).then(({ register }) => { register(); return import(${entry}) })`
  return new Worker(bootstrap, { eval: true, workerData })
}

/**
 * Finds a 24-byte stamp that gives `publicKey` `bits` of proof of work. Rejects with
 * PowSearchAborted when `signal` aborts, with CryptoInputError on bad arguments; all workers
 * have exited when the promise settles.
 */
export async function searchProofOfWork(
  publicKey: Uint8Array,
  bits: number,
  { threads = availableParallelism(), signal, onProgress }: PowSearchOptions = {},
): Promise<Buffer> {
  assertLength(publicKey, PUBLIC_KEY_BYTES, 'public key')
  const target = powTargetBytes(bits)
  if (!Number.isInteger(threads) || threads < 1) {
    throw new CryptoInputError(`threads must be a positive integer, got ${threads}`)
  }
  if (signal?.aborted) throw new PowSearchAborted({ cause: signal.reason })
  const expectedHashes = expectedPowHashes(bits)

  return new Promise((resolve, reject) => {
    const stop = new SharedArrayBuffer(4)
    const workers: Worker[] = []
    const startedAt = performance.now()
    let hashes = 0
    let settled = false

    const finish = (settle: () => void): void => {
      if (settled) return
      settled = true
      Atomics.store(new Int32Array(stop), 0, 1)
      signal?.removeEventListener('abort', onAbort)
      Promise.all(workers.map((worker) => worker.terminate())).then(settle, settle)
    }
    const fail = (error: Error): void => finish(() => reject(error))
    function onAbort(): void {
      fail(new PowSearchAborted({ cause: signal?.reason }))
    }
    const report = (): void => {
      if (!onProgress) return
      const elapsedMs = performance.now() - startedAt
      const hashesPerSecond = elapsedMs > 0 ? (hashes * 1000) / elapsedMs : 0
      try {
        onProgress({ hashes, elapsedMs, hashesPerSecond, expectedHashes })
      } catch (err) {
        fail(err instanceof Error ? err : new PowSearchFailed(String(err)))
      }
    }
    const onMessage = (message: PowWorkerMessage): void => {
      if (settled) return
      hashes += message.hashes
      report()
      if (message.kind !== 'found') return
      const stamp = Buffer.from(message.stamp)
      if (checkProofOfWork(publicKey, stamp, bits)) finish(() => resolve(stamp))
      else fail(new PowSearchFailed('a worker returned a stamp that does not meet the target'))
    }

    const workerData: PowWorkerData = { publicKey: Uint8Array.from(publicKey), target, stop }
    for (let i = 0; i < threads; i++) {
      const worker = startWorker(workerData)
      worker.on('message', onMessage)
      worker.on('error', (err) =>
        fail(new PowSearchFailed(`proof-of-work worker failed: ${err.message}`, { cause: err })),
      )
      worker.on('exit', (code) =>
        fail(new PowSearchFailed(`proof-of-work worker exited early (code ${code})`)),
      )
      workers.push(worker)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
