// kill -9 while the state is being saved, again and again: every time, loading finds a whole
// state of one generation (the last saved or the one being written) and no leftover temp file.
import assert from 'node:assert/strict'
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { after, test } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { StateStore } from '../../src/pool/persistence/state-store.js'
import { compileForNode } from '../support/compile-for-node.js'
import { generationOf } from '../support/generation-state.js'

const ROUNDS = 30
const SIZE = 1000
const writerSource = fileURLToPath(new URL('../support/state-writer.ts', import.meta.url))

/** A writer process started and waiting for "go"; `saved` fills with the generations it reports saved. */
interface Writer {
  child: ChildProcessWithoutNullStreams
  ready: Promise<void>
  exited: Promise<void>
  saved: number[]
  stderr: string
}

const writers: Writer[] = []
after(() => {
  for (const w of writers)
    if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL')
})

function startWriter(writerScript: string, dataDir: string): Writer {
  const child = spawn(process.execPath, [writerScript, dataDir, String(SIZE)])
  const writer = { child, saved: [] as number[], stderr: '' } as Writer
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    writer.stderr += text
  })
  const lines = createInterface({ input: child.stdout })
  writer.ready = new Promise((resolve, reject) => {
    lines.on('line', (line) => (line === 'ready' ? resolve() : writer.saved.push(Number(line))))
    child.once('exit', () => reject(new Error(`the writer exited before it was ready: ${writer.stderr}`)))
  })
  writer.ready.catch(() => {})
  // 'close' comes after the last stdout line was read.
  writer.exited = new Promise((resolve) => child.once('close', () => resolve()))
  writers.push(writer)
  return writer
}

const isTemp = (name: string) => name.endsWith('.tmp')

test(`kill -9 during saves of ${SIZE} points and peers, ${ROUNDS} times: the file is always whole`, async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'dune-state-crash-'))
  t.after(() => rm(root, { recursive: true, force: true }))
  const writerScript = await compileForNode(writerSource, join(root, 'compiled'))
  const dir = join(root, 'data')
  // A node's data directory exists before any save (it holds the identity); a writer killed
  // before its first save must not leave the test without one to read.
  await mkdir(dir, { recursive: true })
  const store = new StateStore(dir)
  let onDisk: number | undefined
  let next = 1
  let tempsLeft = 0
  let roundsWithoutSave = 0
  let batch: Writer[] = []
  for (let round = 0; round < ROUNDS; round++) {
    // Starting a writer costs far more than a round: start them two at a time (one per core),
    // and never while one is writing, so that writers run at full speed when killed.
    if (batch.length === 0) {
      batch = Array.from({ length: Math.min(2, ROUNDS - round) }, () => startWriter(writerScript, dir))
      await Promise.all(batch.map((w) => w.ready))
    }
    const writer = batch.shift()!
    writer.child.stdin.write(`go ${next}\n`)
    await delay(5 + Math.floor(Math.random() * 76))
    assert.equal(writer.child.exitCode, null, `the writer died by itself: ${writer.stderr}`)
    writer.child.kill('SIGKILL')
    await writer.exited

    const names = await readdir(dir)
    tempsLeft += names.filter(isTemp).length
    const result = await store.load()
    assert.notEqual(result.status, 'corrupt', `round ${round}: ${result.error?.message}`)
    const lastSaved = writer.saved.at(-1)
    if (lastSaved === undefined) roundsWithoutSave++
    // Either the last generation reported saved (or the one on disk before, if none was), or the one in flight.
    const inFlight = lastSaved === undefined ? next : lastSaved + 1
    const allowed = [lastSaved ?? onDisk, inFlight]
    if (result.status === 'missing') {
      assert.equal(lastSaved ?? onDisk, undefined, `round ${round}: a saved state vanished`)
    } else {
      const generation = generationOf(result.state, SIZE)
      assert.ok(
        allowed.includes(generation),
        `round ${round}: generation ${generation}, expected one of ${allowed}`,
      )
      onDisk = generation
      next = generation + 1
    }
    assert.deepEqual(
      (await readdir(dir)).filter((name) => name !== 'peers.json'),
      [],
      `round ${round}: only peers.json is left after load`,
    )
  }
  t.diagnostic(
    `last generation ${onDisk}; temp files cleaned by load: ${tempsLeft}; rounds killed before a save completed: ${roundsWithoutSave}`,
  )
  assert.notEqual(onDisk, undefined, 'some state was saved')
})
