// Reads a V8 .cpuprofile (node --cpu-prof) and prints where the time went: the top functions by
// self time, and by category (idle, GC, sodium, our source by folder, node internals), as shares.
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

function category(node: ProfileNode): string {
  const { functionName, url } = node.callFrame
  if (functionName === '(idle)') return 'idle'
  if (functionName === '(garbage collector)') return 'gc'
  if (functionName === '(program)') return 'program (native, outside JS)'
  const src = /\/(?:src|dist)\/([^/]+)\//.exec(url)
  if (src) return `src/${src[1]}`
  if (url.includes('/bench/')) return 'bench'
  if (url.includes('sodium')) return 'sodium'
  if (url.includes('node_modules')) return 'node_modules'
  if (url.startsWith('node:')) return url
  return url === '' ? `native ${functionName}` : 'other'
}

function summarize(file: string, top: number, window: { fromMs: number; toMs: number }): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<number, number>()
  let total = 0
  let at = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0
    at += dt
    if (at < window.fromMs * 1000 || at > window.toMs * 1000) continue
    self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + dt)
    total += dt
  }
  const byFunction = new Map<string, number>()
  const byCategory = new Map<string, number>()
  for (const [id, us] of self) {
    const node = byId.get(id)!
    const { functionName, url, lineNumber } = node.callFrame
    const where = url.replace(/^.*\/(src|dist|bench|node_modules)\//, '$1/')
    const key = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`
    byFunction.set(key, (byFunction.get(key) ?? 0) + us)
    byCategory.set(category(node), (byCategory.get(category(node)) ?? 0) + us)
  }
  const busy = total - (byCategory.get('idle') ?? 0)
  const pct = (us: number): string => `${((100 * us) / busy).toFixed(1).padStart(5)}%`
  console.log(
    `${file}: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy (shares below are of busy time)`,
  )
  console.log('  by category:')
  for (const [name, us] of [...byCategory].sort((a, b) => b[1] - a[1]).filter(([n]) => n !== 'idle'))
    console.log(`    ${pct(us)}  ${name}`)
  // Inclusive time: a sample counts once for every distinct function on its stack.
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const inclusive = new Map<string, number>()
  for (const [id, us] of self) {
    const seen = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const { functionName, url, lineNumber } = byId.get(at)!.callFrame
      if (!/\/(src|dist|bench)\//.test(url)) continue
      const key = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(src|dist|bench)\//, '$1/')}:${lineNumber + 1}`
      if (seen.has(key)) continue
      seen.add(key)
      inclusive.set(key, (inclusive.get(key) ?? 0) + us)
    }
  }
  console.log(`  top ${top} of our functions (src, dist, bench) by inclusive time:`)
  for (const [name, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`    ${pct(us)}  ${name}`)
  console.log(`  top ${top} functions by self time:`)
  for (const [name, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top))
    if (!name.startsWith('(idle)')) console.log(`    ${pct(us)}  ${name}`)
}

const args = process.argv.slice(2)
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(name)
  return at >= 0 ? Number(args.splice(at, 2)[1]) : fallback
}
const top = option('--top', 25)
/** Only the samples between these times from the profile's start (skip start-up, keep one phase). */
const window = { fromMs: option('--from-ms', 0), toMs: option('--to-ms', Number.POSITIVE_INFINITY) }
if (args.length === 0) {
  console.error(
    'usage: node --import tsx bench/conn/profile-summary.ts [--top N] [--from-ms T] [--to-ms T] FILE.cpuprofile...',
  )
  process.exit(2)
}
for (const file of args) summarize(file, top, window)
