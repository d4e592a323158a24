// Benchmark of the access-control lists: the IP prefix set at 100k entries (insert and lookup
// cost, and lookup cost against the number of prefix lengths in use) and AccessControl queries.

// Usage: npm run bench -- acl [--entries N] [--lookups N] [--rounds N]; prints one JSON
// document on stdout. Every figure is the median over rounds of the process's CPU time (user +
// system) per operation in ns, so that other load on the machine inflates it less than wall time.
import { randomBytes } from 'node:crypto'
import { availableParallelism, cpus, loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { AccessControl, type IpPrefix, IpPrefixSet, parseCidr, parseIp } from '../src/acl/index.js'
import { peerIdToB58 } from '../src/crypto/index.js'
import { median } from './conn/stats.js'

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '100000' },
    lookups: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '5' },
  },
})
const entries = Number(values.entries)
const lookups = Number(values.lookups)
const rounds = Number(values.rounds)

const round = (x: number, digits = 1): number => Number(x.toFixed(digits))
const dotted = (v: number) => `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`

/** CPU time (user + system) of the process since `start` (a process.cpuUsage() value), in ns. */
const cpuNs = (start: NodeJS.CpuUsage) => {
  const { user, system } = process.cpuUsage(start)
  return (user + system) * 1000
}

/** Median CPU ns per operation of `run(i)` over `count` operations, after one warm-up round. */
function nsPerOp(count: number, run: (i: number) => unknown): number {
  let sink = 0
  const samples: number[] = []
  for (let r = 0; r <= rounds; r++) {
    const start = process.cpuUsage()
    for (let i = 0; i < count; i++) if (run(i)) sink++
    if (r > 0) samples.push(cpuNs(start) / count)
  }
  if (sink < 0) console.error(sink)
  return round(median(samples))
}

/** Median CPU ns per item of `run(item)` over `items`, after one warm-up round (as nsPerOp). */
function nsPerItem<T>(items: readonly T[], run: (item: T) => unknown): number {
  let sink = 0
  const samples: number[] = []
  for (let r = 0; r <= rounds; r++) {
    const start = process.cpuUsage()
    for (const item of items) if (run(item)) sink++
    if (r > 0) samples.push(cpuNs(start) / items.length)
  }
  if (sink < 0) console.error(sink)
  return round(median(samples))
}

/** Median CPU ns per insert of `entries` prefixes into a fresh set, after one warm-up build. */
function insertNs(prefixes: readonly (string | IpPrefix)[]): number {
  const samples: number[] = []
  for (let r = 0; r <= Math.min(rounds, 3); r++) {
    const set = new IpPrefixSet()
    const start = process.cpuUsage()
    for (const p of prefixes) set.add(p)
    if (r > 0) samples.push(cpuNs(start) / prefixes.length)
  }
  return round(median(samples))
}

/**
 * The realistic mix: 90% single IPv4 addresses (10.0.0.0/8, every other one), 9.9% IPv4 /24
 * subnets (172.x.y.0/24), 0.1% IPv6 /48 subnets: three prefix lengths.
 */
function mixedPrefixes(n: number): string[] {
  const out: string[] = []
  const singles = Math.floor(n * 0.9)
  const v6 = Math.max(1, Math.floor(n * 0.001))
  for (let i = 0; i < singles; i++) out.push(dotted(0x0a000000 + i * 2))
  for (let i = 0; i < n - singles - v6; i++) out.push(`${dotted(0xac000000 + i * 256)}/24`)
  for (let i = 0; i < v6; i++) out.push(`2001:db8:${i.toString(16)}::/48`)
  return out
}

/** Query texts: half covered (even 10.x addresses), half not (odd ones), a few IPv6. */
function queryTexts(n: number): string[] {
  const out: string[] = []
  for (let i = 0; i < n; i++)
    out.push(i % 64 === 63 ? `2001:db8:${(i & 0xfff).toString(16)}::1` : dotted(0x0a000000 + i))
  return out
}

function prefixSetBench() {
  const texts = mixedPrefixes(entries)
  const parsed = texts.map(parseCidr)
  const set = new IpPrefixSet()
  for (const p of parsed) set.add(p)
  const queries = queryTexts(lookups)
  const addresses = queries.map((q) => parseIp(q))
  let hits = 0
  for (const a of addresses) if (set.matchLength(a) >= 0) hits++

  // Lookup cost against the number of distinct prefix lengths (same entry count, misses and hits).
  const byLengths: Record<string, number> = {}
  for (const count of [1, 4, 16, 33]) {
    const s = new IpPrefixSet()
    for (let i = 0; i < entries; i++) {
      const length = 128 - (i % count)
      s.add({ address: parseIp(dotted(0x0a000000 + i * 2)), length })
    }
    byLengths[`lengths_${count}`] = nsPerItem(addresses, (a) => s.matchLength(a) >= 0)
  }
  return {
    entries: set.size,
    prefix_lengths_in_use: 3,
    insert_parsed_ns: insertNs(parsed),
    insert_text_ns: insertNs(texts),
    lookup_parsed_ns: nsPerItem(addresses, (a) => set.matchLength(a) >= 0),
    lookup_text_ns: nsPerItem(queries, (q) => set.has(q)),
    lookup_hit_fraction: round(hits / lookups, 3),
    lookup_parsed_ns_by_prefix_lengths: byLengths,
  }
}

function accessControlBench() {
  const queries = queryTexts(lookups)
  const points = queries.map((q) => (q.includes(':') ? `[${q}]:9732` : `${q}:9732`))
  const empty = new AccessControl()
  const emptyIpNs = nsPerItem(queries, (q) => empty.isIpBanned(q))

  const acl = new AccessControl({ maxGreylistedIps: 10_000 })
  for (const p of mixedPrefixes(entries)) acl.banIp(p)
  for (let i = 0; i < 1000; i++) acl.trustIp(dotted(0x0b000000 + i))
  for (let i = 0; i < 10_000; i++) acl.greylistIp(dotted(0xc0000000 + i * 7), 'bench')
  const peerCount = Math.min(entries, 100_000)
  const peers: string[] = []
  for (let i = 0; i < peerCount; i++) peers.push(peerIdToB58(randomBytes(16)))
  peers.forEach((peer, i) => {
    if (i % 2 === 0) acl.banPeer(peer)
  })
  for (let i = 0; i < 1024; i++) acl.greylistPeer(peerIdToB58(randomBytes(16)), 'bench')
  const greylistQueries = queries.map((_, i) => dotted(0xc0000000 + i * 7))
  const peerQueries = queries.map((_, i) => peers[i % peerCount] ?? '')

  return {
    banned_ips: acl.bans().ips.length,
    banned_peers: acl.bans().peers.length,
    greylisted_ips: acl.greylist().ips.length,
    greylisted_peers: acl.greylist().peers.length,
    is_ip_banned_empty_acl_ns: emptyIpNs,
    is_ip_banned_ns: nsPerItem(queries, (q) => acl.isIpBanned(q)),
    is_ip_banned_greylist_hits_ns: nsPerItem(greylistQueries, (q) => acl.isIpBanned(q)),
    is_point_banned_ns: nsPerItem(points, (p) => acl.isPointBanned(p)),
    is_peer_banned_ns: nsPerItem(peerQueries, (p) => acl.isPeerBanned(p)),
    gc_greylist_nothing_expired_ns_per_entry: round(nsPerOp(11, () => acl.gcGreylist()) / (10_000 + 1024), 2),
  }
}

const started = performance.now()
const machine = {
  cpus: cpus().length,
  available_parallelism: availableParallelism(),
  cpu_model: cpus()[0]?.model ?? 'unknown',
  /** CPU ns of an empty counting loop iteration (a calibration of this machine). */
  baseline_loop_ns: nsPerOp(lookups, (i) => (i & 7) === 0),
  load_average_1m_at_start: round(loadavg()[0] ?? 0, 2),
  node: process.version,
}
const prefixSet = prefixSetBench()
const accessControl = accessControlBench()
const document = {
  benchmark: 'acl',
  settings: { entries, lookups, rounds },
  machine,
  ip_prefix_set: prefixSet,
  access_control: accessControl,
  duration_s: round((performance.now() - started) / 1000, 2),
}
process.stdout.write(`${JSON.stringify(document, null, 2)}\n`)
