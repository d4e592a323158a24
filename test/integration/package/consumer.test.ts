// The package as a TypeScript consumer gets it: `npm pack`, the tarball unpacked into a fresh
// project, the README's examples type-checked strict with no "types" setting, then two run: the
// createP2p one from the root, and one connection over the wire, crypto and socket subpaths.
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { only } from '../../support/defined.js'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const repoModules = join(repoRoot, 'node_modules')
/** The compiler the consumer checks with: this repository's, or DUNE_CONSUMER_TSC (e.g. TypeScript 7's bin/tsc). */
const tscPath = process.env.DUNE_CONSUMER_TSC ?? join(repoModules, 'typescript', 'bin', 'tsc')

/** The first ```ts block after `heading` in the README, after `prelude` (what it leaves to the reader). */
function readmeBlock(heading: string, prelude: string): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8')
  const at = readme.indexOf(heading)
  assert.ok(at >= 0, `the README has the heading ${heading}`)
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(at))
  assert.ok(block, `the README has a ts block under ${heading}`)
  return `${prelude}\n${block[1]}`
}

/** The README's examples, by file name, each with the declarations it leaves to the reader. */
function readmeExamples(): Record<string, string> {
  return {
    'readme-p2p.ts': readmeBlock('## The library: `createP2p`', 'declare const dataDir: string'),
    'readme-octez.ts': readmeBlock(
      "### Octez's shell messages: `dune-p2p/octez`",
      "import type { Identity } from 'dune-p2p'\ndeclare const identity: Identity\ndeclare const peerId: string",
    ),
    'readme-connection.ts': readmeBlock(
      '### Lower level: one authenticated connection',
      "import type { Identity } from 'dune-p2p/crypto'\ndeclare const identity: Identity",
    ),
  }
}

/** The README's example made runnable on 127.0.0.1: two nodes, one ping, then both stop. */
const RUNNABLE = `import { mkdtempSync } from 'node:fs'
import {
  createP2p, defineMessages, generateIdentityInline, int32, obj, readIdentityFile, string, writeIdentityFile,
} from 'dune-p2p'

const messages = defineMessages({
  ping: { tag: 0x10, encoding: obj('ping', { seq: int32, text: string({ max: 256 }) }), maxSize: 264 },
  pong: { tag: 0x11, encoding: obj('pong', { seq: int32 }), maxSize: 4 },
})

async function node(name: string) {
  const dataDir = mkdtempSync(\`data-\${name}-\`) // in the project folder
  await writeIdentityFile(dataDir, generateIdentityInline(4))
  const p2p = await createP2p(
    {
      identity: await readIdentityFile(dataDir), chainName: 'DUNE_MAINNET', dataDir,
      listenHost: '127.0.0.1', listenPort: 0, expectedProofOfWork: 4,
    },
    {
      messages,
      peerMetadata: { encoding: obj('stats', { pongs: int32 }), initial: () => ({ pongs: 0 }), score: (m) => m.pongs },
    },
  )
  await p2p.start()
  return p2p
}

const a = await node('a')
const b = await node('b')
a.on('connection', (c) => console.log('connected', c.peerId === b.peerId))
await a.connect(\`127.0.0.1:\${b.port}\`)
a.broadcast({ name: 'ping', value: { seq: 1, text: 'hi' } })
for await (const { peer, message } of b) {
  if (message.name === 'ping') {
    console.log(\`ping \${message.value.seq} \${message.value.text} from a: \${peer === a.peerId}\`)
    break
  }
}
await a.stop()
await b.stop()
`

/**
 * The lower levels from their subpaths: one authenticated connection on 127.0.0.1 (the README's
 * lower-level example, both ends), the wire and crypto entry points, and what is kept internal.
 */
const SUBPATHS = `import { createServer, type AddressInfo } from 'node:net'
import * as root from 'dune-p2p'
import { bytes, defineMessages, isDuneP2pError, metadataEncoding } from 'dune-p2p'
import * as crypto from 'dune-p2p/crypto'
import { generateIdentityInline, generateKeyPair, peerIdFromB58, peerIdOf, peerIdToB58 } from 'dune-p2p/crypto'
import { spokenAt } from 'dune-p2p/octez'
import {
  authenticate, Connection, dialTcp, type HandshakeConfig, IoScheduler, readAcceptedIntoSharedBuffer,
} from 'dune-p2p/socket'
import { decode, encode, type Metadata, obj, StreamDecoder, uint16 } from 'dune-p2p/wire'

console.log(\`root exports \${Object.keys(root).length}\`)
const internals = [
  // @ts-expect-error: the answerer is internal
  root.runAnswerer,
  // @ts-expect-error: the lower levels are not at the root
  root.Connection,
  // @ts-expect-error: nonces are incremented inside the chunk cipher
  crypto.incrementNonce,
]
console.log(\`internals \${internals.filter((value) => value !== undefined).length}\`)
const unexported = 'dune-p2p/pool'
await import(unexported).then(
  () => console.log('pool exported'),
  (err: { code?: string }) => console.log(\`pool \${err.code}\`),
)

const pair = obj('pair', { a: uint16, b: uint16 })
const decoder = new StreamDecoder(pair)
decoder.push(encode(pair, { a: 1, b: 2 }))
console.log(\`wire \${decoder.next()?.b} \${decode(pair, Buffer.from([0, 3, 0, 4])).a}\`)
const id = peerIdToB58(peerIdOf(generateKeyPair().publicKey))
console.log(\`crypto \${peerIdToB58(peerIdFromB58(id)) === id}\`)
console.log(\`octez \${spokenAt('get_checkpoint', 0)} \${spokenAt('get_checkpoint', 1)}\`)
try {
  peerIdFromB58('not a peer id')
} catch (err) {
  if (isDuneP2pError(err, 'DUNE_PEER_ID')) console.log(\`error \${err.code}\`)
}

const messages = defineMessages({ gossip: { tag: 0x10, encoding: bytes({ max: 1024 }), maxSize: 1028 } })
const scheduler = new IoScheduler()
const config = (listeningPort: number | undefined): HandshakeConfig<Metadata> => ({
  identity: generateIdentityInline(4),
  expectedProofOfWork: 4,
  versions: { chainName: 'DUNE_MAINNET', distributedDbVersions: [0], p2pVersions: [0, 1] },
  listeningPort,
  metadataEncoding,
  localMetadata: { disableMempool: false, privateNode: false },
  authenticationTimeoutMs: 5000,
})
let listening: HandshakeConfig<Metadata> | undefined
const server = createServer({ pauseOnConnect: true }, async (accepted) => {
  const socket = readAcceptedIntoSharedBuffer(accepted, scheduler.readBuffer)
  socket.resume()
  const pending = await authenticate(socket, true, listening!)
  const connection = new Connection(await pending.accept(), messages, scheduler)
  const message = await connection.receive()
  if (message.kind === 'application') {
    const value = Buffer.concat([message.message.value, Buffer.from('!')])
    await connection.send({ kind: 'application', message: { name: 'gossip', value } })
  }
  await connection.closed
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const port = (server.address() as AddressInfo).port
listening = config(port)
const socket = await dialTcp('127.0.0.1', port, { timeoutMs: 10_000, readBuffer: scheduler.readBuffer })
const pending = await authenticate(socket, false, config(undefined))
const connection = new Connection(await pending.accept(), messages, scheduler, { outgoingQueueBytes: 1 << 20 })
await connection.send({ kind: 'application', message: { name: 'gossip', value: Buffer.from('hi') } })
const reply = await connection.receive()
console.log(\`reply \${reply.kind === 'application' ? reply.message.value.toString() : reply.kind}\`)
await connection.close()
await new Promise<void>((resolve) => server.close(() => resolve()))
scheduler.close()
`

// Bounded: pack 10 s, tsc 35 s, run 15 s (about 12 s in all on a loaded 2-core machine).
test('the packed package type-checks (strict, nodenext, no "types") and runs in a fresh project', {
  timeout: 60_000,
}, (t) => {
  assert.ok(existsSync(join(repoRoot, 'dist', 'index.d.ts')), 'dist is built (npm run build)')
  const project = mkdtempSync(join(tmpdir(), 'dune-consumer-'))
  t.after(() => rmSync(project, { recursive: true, force: true }))
  // What npm publishes (the "files" of package.json), without rebuilding: npm test built dist.
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', project], {
      cwd: repoRoot,
      timeout: 10_000,
      encoding: 'utf8',
    }),
  ) as { filename: string }[]
  const modules = join(project, 'node_modules')
  mkdirSync(join(modules, 'dune-p2p'), { recursive: true })
  execFileSync('tar', [
    '-xzf',
    join(project, only(packed, 'the packed files').filename),
    '-C',
    join(modules, 'dune-p2p'),
    '--strip-components=1',
  ])
  // The package's dependencies and @types/node, linked from this repository's node_modules (no
  // network): only what its package.json declares is reachable from the consumer.
  const manifest = JSON.parse(readFileSync(join(modules, 'dune-p2p', 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>
  }
  for (const name of [...Object.keys(manifest.dependencies), '@types/node']) {
    mkdirSync(dirname(join(modules, name)), { recursive: true })
    symlinkSync(join(repoModules, name), join(modules, name), 'dir')
  }
  writeFileSync(join(project, 'package.json'), '{"name": "consumer", "private": true, "type": "module"}\n')
  const examples = readmeExamples()
  for (const [name, text] of Object.entries(examples)) writeFileSync(join(project, name), text)
  writeFileSync(join(project, 'consumer.ts'), RUNNABLE)
  writeFileSync(join(project, 'subpaths.ts'), SUBPATHS)
  // No "types": TypeScript 6 and later then include no @types package, as a new project does.
  const tsconfig = {
    compilerOptions: {
      strict: true,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      types: [],
      skipLibCheck: false,
      outDir: 'out',
    },
    files: [...Object.keys(examples), 'consumer.ts', 'subpaths.ts'],
  }
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2))

  const tsc = spawnSync(process.execPath, [tscPath, '-p', project], {
    encoding: 'utf8',
    timeout: 35_000,
  })
  assert.equal(tsc.status, 0, `tsc failed:\n${tsc.stdout}${tsc.stderr}`)

  const run = spawnSync(process.execPath, [join(project, 'out', 'consumer.js')], {
    cwd: project,
    encoding: 'utf8',
    timeout: 15_000,
  })
  assert.equal(run.status, 0, `the consumer failed:\n${run.stdout}${run.stderr}`)
  assert.match(run.stdout, /^connected true$/m)
  assert.match(run.stdout, /^ping 1 hi from a: true$/m)

  const low = spawnSync(process.execPath, [join(project, 'out', 'subpaths.js')], {
    cwd: project,
    encoding: 'utf8',
    timeout: 15_000,
  })
  assert.equal(low.status, 0, `the subpath consumer failed:\n${low.stdout}${low.stderr}`)
  const rootExports = Number(/^root exports (\d+)$/m.exec(low.stdout)?.[1])
  assert.ok(
    rootExports > 0 && rootExports <= 60,
    `the packed root exports ${rootExports} runtime values (at most 60)`,
  )
  assert.match(low.stdout, /^internals 0$/m)
  assert.match(low.stdout, /^pool ERR_PACKAGE_PATH_NOT_EXPORTED$/m)
  assert.match(low.stdout, /^wire 2 3$/m)
  assert.match(low.stdout, /^crypto true$/m)
  assert.match(low.stdout, /^octez false true$/m)
  assert.match(low.stdout, /^error DUNE_PEER_ID$/m)
  assert.match(low.stdout, /^reply hi!$/m)
})
