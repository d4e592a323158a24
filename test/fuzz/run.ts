// The long fuzzing run: `npm run fuzz -- --minutes N` cycles through every property with fresh
// seeds until the time is up, prints each failure's seed and counterexample, exits 1 on failure.
import fc from 'fast-check'
import { describeFailure, properties } from './properties.js'

function minutesArg(argv: readonly string[]): number {
  const at = argv.indexOf('--minutes')
  const minutes = at === -1 ? 1 : Number(argv[at + 1])
  if (!(minutes > 0)) {
    process.stderr.write('usage: npm run fuzz -- --minutes N (N > 0)\n')
    process.exit(2)
  }
  return minutes
}

const deadline = Date.now() + minutesArg(process.argv.slice(2)) * 60_000
const runs = new Map<string, number>()
let failures = 0
while (Date.now() < deadline) {
  for (const p of properties) {
    if (Date.now() >= deadline) break
    const { property, close } = await p.open()
    const seed = (Math.random() * 2 ** 31) | 0
    try {
      const details = await fc.check(property, { numRuns: p.runs * 10, seed })
      runs.set(p.name, (runs.get(p.name) ?? 0) + details.numRuns)
      if (details.failed) {
        failures++
        process.stdout.write(`${describeFailure(p.name, details)}\n`)
      }
    } finally {
      await close()
    }
  }
  process.stdout.write(
    `${new Date().toISOString()} ${[...runs.values()].reduce((a, b) => a + b, 0)} runs, ${failures} failures\n`,
  )
}
for (const [name, n] of runs) process.stdout.write(`${String(n).padStart(9)}  ${name}\n`)
process.stdout.write(failures === 0 ? 'no failure\n' : `${failures} failures\n`)
process.exit(failures === 0 ? 0 : 1)
