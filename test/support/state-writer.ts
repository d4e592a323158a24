// Saves large states in a tight loop, for the kill -9 test (args: DATA_DIR SIZE). Prints "ready",
// waits for a line "go FIRST_GENERATION" on stdin, then prints each generation once saved.
import { createInterface } from 'node:readline'
import { stateFileText } from '../../src/pool/persistence/state-schema.js'
import { StateStore } from '../../src/pool/persistence/state-store.js'
import { generationState, testPeerId } from './generation-state.js'

const [dataDir, sizeText] = process.argv.slice(2)
if (dataDir === undefined) throw new Error('usage: state-writer DATA_DIR SIZE')
const size = Number(sizeText)
const peerIds = Array.from({ length: 64 }, (_, i) => testPeerId(i))
const store = new StateStore(dataDir)
// Warm up building and serializing, so that the kill lands in the writes rather than in the first compile.
stateFileText(generationState(0, size, peerIds))
const lines = createInterface({ input: process.stdin })
process.stdout.write('ready\n')
const go = await new Promise<string>((resolve) => lines.once('line', resolve))
const first = Number(go.split(' ')[1])
if (!Number.isSafeInteger(first)) throw new Error(`expected "go FIRST_GENERATION", got ${JSON.stringify(go)}`)
for (let generation = first; ; generation++) {
  await store.save(generationState(generation, size, peerIds))
  process.stdout.write(`${generation}\n`)
}
