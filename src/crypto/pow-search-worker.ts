// Worker thread of the proof-of-work search: hashes public_key ++ stamp for successive stamps
// from a random start until one meets the target or the shared stop flag is raised.
import { parentPort, workerData } from 'node:worker_threads'
import sodium from 'sodium-native'
import { incrementNonce } from './nonce.js'
import type { PowWorkerData, PowWorkerMessage } from './pow-search.js'
import { meetsTarget, POW_HASH_BYTES, STAMP_BYTES } from './proof-of-work.js'

/** Hashes between two looks at the stop flag and the clock. */
const BATCH = 4096
/** Least time between two progress reports. */
const REPORT_INTERVAL_MS = 100

function search(port: NonNullable<typeof parentPort>, { publicKey, target, stop }: PowWorkerData): void {
  const input = Buffer.alloc(publicKey.length + STAMP_BYTES)
  input.set(publicKey, 0)
  const stamp = input.subarray(publicKey.length)
  sodium.randombytes_buf(stamp)
  const hash = Buffer.alloc(POW_HASH_BYTES)
  const stopFlag = new Int32Array(stop)
  let unreported = 0
  let lastReport = Date.now()
  while (Atomics.load(stopFlag, 0) === 0) {
    for (let i = 0; i < BATCH; i++) {
      sodium.crypto_generichash(hash, input)
      if (meetsTarget(hash, target)) {
        const found: PowWorkerMessage = {
          kind: 'found',
          hashes: unreported + i + 1,
          stamp: Buffer.from(stamp),
        }
        port.postMessage(found)
        return
      }
      incrementNonce(stamp)
    }
    unreported += BATCH
    const now = Date.now()
    if (now - lastReport >= REPORT_INTERVAL_MS) {
      const progress: PowWorkerMessage = { kind: 'progress', hashes: unreported }
      port.postMessage(progress)
      unreported = 0
      lastReport = now
    }
  }
}

if (parentPort) search(parentPort, workerData as PowWorkerData)
