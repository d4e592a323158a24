#!/usr/bin/env node
// Runs the node:test suite through tsx. Node 20 expands no globs, so this lists the test
// files itself. Usage: node scripts/run-tests.mjs [DIR_OR_FILE...] (default: test/).
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

function collect(path, out) {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) collect(join(path, name), out)
  } else if (path.endsWith('.test.ts')) {
    out.push(path)
  }
  return out
}

const roots = process.argv.slice(2)
const files = (roots.length > 0 ? roots : ['test']).flatMap((root) => collect(root, []))
if (files.length === 0) {
  console.error('run-tests: no test files found')
  process.exit(1)
}
// The dial guard (test/support/dial-guard.mjs) in every test file's process (node:test passes
// --import on to each) and, through NODE_OPTIONS, in every node process a test starts.
const guard = pathToFileURL(
  join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'support', 'dial-guard.mjs'),
).href
const nodeOptions = [process.env.NODE_OPTIONS, `--import=${guard}`].filter(Boolean).join(' ')
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--import', guard, '--test', '--test-concurrency=2', ...files],
  { stdio: 'inherit', env: { ...process.env, NODE_OPTIONS: nodeOptions } },
)
process.exit(result.status ?? 1)
