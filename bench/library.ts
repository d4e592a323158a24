// The library under benchmark: the compiled dist/ that users run (`npm run bench` builds it),
// with the types of src/. Not src/ through tsx, whose keepNames transform gives named closures a property dictionary.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type * as Library from '../src/index.js'

const DIST_INDEX = new URL('../dist/index.js', import.meta.url)

if (!existsSync(fileURLToPath(DIST_INDEX)))
  throw new Error(`${fileURLToPath(DIST_INDEX)} is missing: run \`npm run build\` (npm run bench does it)`)

/** Every export of the package, as built. */
export const dune = (await import(DIST_INDEX.href)) as typeof Library
