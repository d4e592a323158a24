// The package as a TypeScript consumer gets it: `npm pack`, the tarball unpacked into a fresh
// project, the README's createP2p example type-checked strict with no "types" setting, then run.
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const repoModules = join(repoRoot, 'node_modules')
/** The compiler the consumer checks with: this repository's, or DUNE_CONSUMER_TSC (e.g. TypeScript 7's bin/tsc). */
const tscPath = process.env.DUNE_CONSUMER_TSC ?? join(repoModules, 'typescript', 'bin', 'tsc')

/** The first ```ts block after the README's library heading, with the `dataDir` it leaves to the reader. */
function readmeExample(): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('## The library: `createP2p`'))
  const block = /```ts\n([\s\S]*?)```/.exec(section)
  assert.ok(block, 'the README has a ts block under "The library: `createP2p`"')
  return `declare const dataDir: string\n${block[1]}`
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
    join(project, packed[0].filename),
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
  writeFileSync(join(project, 'readme-example.ts'), readmeExample())
  writeFileSync(join(project, 'consumer.ts'), RUNNABLE)
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
    files: ['readme-example.ts', 'consumer.ts'],
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
})
