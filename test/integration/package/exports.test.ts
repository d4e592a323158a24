// The package's entry points as package.json declares them: the root is the P2p API (at most
// 60 runtime exports, no internals), each subpath a layer's public API, and src/ never imports the root.
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { describe, test } from 'node:test'
import { fileURLToPath, pathToFileURL } from 'node:url'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const MAX_ROOT_EXPORTS = 60

/** The source module of a package entry point: `./dist/wire/index.js` -> src/wire/index.ts. */
function sourceOf(distPath: string): string {
  return join(repoRoot, distPath.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'))
}

const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  exports: Record<string, { types: string; default: string }>
}

async function entry(subpath: string): Promise<Record<string, unknown>> {
  const target = manifest.exports[subpath]
  assert.ok(target, `package.json exports ${subpath}`)
  return (await import(pathToFileURL(sourceOf(target.default)).href)) as Record<string, unknown>
}

/** What each entry point must offer and must not: a user's needs, and internals kept inside. */
const CONTRACT: Record<string, { has: string[]; lacks: string[] }> = {
  '.': {
    has: [
      'createP2p',
      'P2p',
      'parseP2pConfig',
      'P2pConfigError',
      'DuneP2pError',
      'isDuneP2pError',
      'ERROR_CODES',
      'InvalidArgumentError',
      'ConnectionRefusedError',
      'NotConnectedError',
      'defineMessages',
      'obj',
      'int32',
      'string',
      'union',
      'encode',
      'decode',
      'generateIdentity',
      'readIdentityFile',
      'writeIdentityFile',
    ],
    lacks: [
      'runAnswerer',
      'AnswerThrottle',
      'incrementNonce',
      'Reader',
      'Connection',
      'authenticate',
      'dialTcp',
      'IoScheduler',
      'BoundedQueue',
      'FlowMeter',
      'ChunkCipher',
    ],
  },
  './wire': {
    has: [
      'defineMessages',
      'obj',
      'encode',
      'decode',
      'decodePrefix',
      'StreamDecoder',
      'DecodeError',
      'pointEncoding',
    ],
    lacks: ['Reader', 'within', 'nackMotiveEncoding'],
  },
  './crypto': {
    has: [
      'generateIdentity',
      'peerIdOf',
      'peerIdToB58',
      'ChunkCipher',
      'channelKey',
      'deriveNonces',
      'IdentityFileError',
    ],
    lacks: ['incrementNonce', 'assertPowBits', 'meetsTarget', 'MAX_PEEK_BYTES'],
  },
  './socket': {
    has: [
      'dialTcp',
      'authenticate',
      'Connection',
      'IoScheduler',
      'MemoryBudget',
      'readAcceptedIntoSharedBuffer',
    ],
    lacks: ['runAnswerer', 'socketErrorReason', 'negotiateVersion', 'readsIntoSharedBuffer', 'scoreToWeight'],
  },
  './octez': { has: ['octezMessages', 'spokenAt'], lacks: [] },
}

describe('package entry points', () => {
  test(`the root has at most ${MAX_ROOT_EXPORTS} runtime exports`, async () => {
    const count = Object.keys(await entry('.')).length
    assert.ok(
      count <= MAX_ROOT_EXPORTS,
      `the root exports ${count} runtime values (at most ${MAX_ROOT_EXPORTS})`,
    )
  })

  test('package.json exports exactly the root and the wire, crypto, socket and octez subpaths', () => {
    assert.deepEqual(Object.keys(manifest.exports).sort(), ['.', './crypto', './octez', './socket', './wire'])
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      assert.equal(
        target.types,
        target.default.replace(/\.js$/, '.d.ts'),
        `${subpath}: types beside the code`,
      )
      assert.ok(existsSync(sourceOf(target.default)), `${subpath}: ${target.default} is built from src/`)
    }
  })

  for (const [subpath, { has, lacks }] of Object.entries(CONTRACT)) {
    test(`${subpath} offers what its users need and keeps the internals in`, async () => {
      const exports = await entry(subpath)
      assert.deepEqual(
        has.filter((name) => exports[name] === undefined),
        [],
        `missing from ${subpath}`,
      )
      assert.deepEqual(
        lacks.filter((name) => name in exports),
        [],
        `internals exported by ${subpath}`,
      )
    })
  }

  test('no file of src/ imports the root entry point', () => {
    const offenders: string[] = []
    const visit = (dir: string): void => {
      for (const item of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, item.name)
        if (item.isDirectory()) visit(path)
        else if (item.name.endsWith('.ts') && path !== join(repoRoot, 'src', 'index.ts')) {
          for (const [, spec = ''] of readFileSync(path, 'utf8').matchAll(/from '(\.[^']*)'/g)) {
            if (resolve(dirname(path), spec) === join(repoRoot, 'src', 'index.js')) offenders.push(path)
          }
        }
      }
    }
    visit(join(repoRoot, 'src'))
    assert.deepEqual(offenders, [])
  })
})
