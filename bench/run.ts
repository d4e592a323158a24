// Benchmark entry point: `npm run bench -- NAME [options]` runs bench/NAME.ts, which prints
// one JSON document on stdout. With no name it lists the benchmarks.
import { readdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3))
const [name, ...rest] = process.argv.slice(2)
if (name === undefined || !available.includes(name)) {
  console.error(`usage: npm run bench -- <${available.join('|')}> [options]`)
  process.exit(name === undefined ? 0 : 1)
}
process.argv = [process.argv[0] ?? process.execPath, `${here}/${name}.ts`, ...rest]
await import(pathToFileURL(`${here}/${name}.ts`).href)
