// The one union of DUNE_* codes against what uses it: the table of docs/ERRORS.md (same codes,
// same meanings), the DUNE_* strings of src/ (each a code of the union or a listed non-code).
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { ERROR_CODES } from '../../../src/errors/index.js'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

/** DUNE_* names in src/ that are not error codes: chain names and environment variables. */
const NOT_ERROR_CODES = new Set([
  'DUNE_MAINNET', // the default chain name of dune-node
  'DUNE_SANDBOX', // the chain name of the sandbox
  'DUNE_SIM', // the chain name of the simulator
  'DUNE_SOAK', // the chain name of the soak test
  'DUNE_NODE_DATA_DIR', // environment: the data dir of dune-node and dune-admin-client
  'DUNE_ADMIN_ENDPOINT', // environment: the admin RPC endpoint of dune-admin-client
])

/** The rows of the table in docs/ERRORS.md, by code: [class, layer, meaning, what to do]. */
function docTable(): Map<string, string[]> {
  const rows = new Map<string, string[]>()
  for (const line of readFileSync(join(repoRoot, 'docs', 'ERRORS.md'), 'utf8').split('\n')) {
    const [, code, cells] = /^\| `(DUNE_[A-Z0-9_]+)` \|(.*)\|$/.exec(line) ?? []
    if (code === undefined || cells === undefined) continue
    assert.ok(!rows.has(code), `${code} has two rows in docs/ERRORS.md`)
    rows.set(
      code,
      cells.split(' | ').map((cell) => cell.trim()),
    )
  }
  return rows
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) sourceFiles(path, out)
    else if (entry.name.endsWith('.ts')) out.push(path)
  }
  return out
}

describe('DUNE_* codes', () => {
  const codes = Object.keys(ERROR_CODES)

  test('every code of the union has a row in docs/ERRORS.md with its meaning, and every row a code', () => {
    const table = docTable()
    const sources = sourceFiles(join(repoRoot, 'src')).map((file) => readFileSync(file, 'utf8'))
    assert.ok(table.size > 40, `docs/ERRORS.md has its table (${table.size} rows)`)
    assert.deepEqual(
      codes.filter((code) => !table.has(code)),
      [],
      'codes of src/errors/codes.ts missing from docs/ERRORS.md',
    )
    assert.deepEqual(
      [...table.keys()].filter((code) => !(code in ERROR_CODES)),
      [],
      'rows of docs/ERRORS.md that are not codes of src/errors/codes.ts',
    )
    for (const [code, cells] of table) {
      assert.equal(cells.length, 4, `${code}: class, layer, meaning, what to do`)
      assert.equal(
        cells[2],
        ERROR_CODES[code as keyof typeof ERROR_CODES],
        `${code}: the meaning of the table`,
      )
      // The class is defined in src/, in a file that raises (or names) the code.
      const className = /^`([A-Z]\w+)`$/.exec(cells[0] ?? '')?.[1]
      assert.ok(className, `${code}: a class name in backquotes`)
      assert.ok(
        sources.some((text) => text.includes(`class ${className} `) && text.includes(`'${code}'`)),
        `${code}: no file of src/ defines ${className} and raises ${code}`,
      )
      assert.ok((cells[3] ?? '').length > 0, `${code}: what to do`)
    }
  })

  test('every DUNE_* string in src/ is a code of the union or a listed non-code', () => {
    const unknown: string[] = []
    const seen = new Set<string>()
    for (const file of sourceFiles(join(repoRoot, 'src'))) {
      for (const [name] of readFileSync(file, 'utf8').matchAll(/\bDUNE_[A-Z0-9_]*[A-Z0-9]\b/g)) {
        seen.add(name)
        if (!(name in ERROR_CODES) && !NOT_ERROR_CODES.has(name)) unknown.push(`${file}: ${name}`)
      }
    }
    assert.deepEqual(unknown, [])
    // Every code is raised (or named) somewhere besides its definition, and the list of non-codes is not stale.
    const codesFile = join('src', 'errors', 'codes.ts')
    const outside = new Set<string>()
    for (const file of sourceFiles(join(repoRoot, 'src'))) {
      if (file.endsWith(codesFile)) continue
      for (const [name] of readFileSync(file, 'utf8').matchAll(/\bDUNE_[A-Z0-9_]*[A-Z0-9]\b/g))
        outside.add(name)
    }
    assert.deepEqual(
      codes.filter((code) => !outside.has(code)),
      [],
      'codes no file of src/ raises',
    )
    assert.deepEqual(
      [...NOT_ERROR_CODES].filter((name) => !seen.has(name)),
      [],
      'non-codes src/ no longer uses',
    )
  })
})
