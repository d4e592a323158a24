// The soak run: N real nodes with the demo gossip in this process, one node churned every few
// seconds; samples the process's RSS, heap, handles and open files, and judges whether they stay flat.
import { randomInt } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { readIdentityFile, writeIdentityFile } from '../crypto/identity-file.js'
import { generateIdentityInline } from '../crypto/index.js'
import { DuneP2pError } from '../errors/index.js'
import { createP2p, type P2p } from '../p2p.js'
import type { MaintenanceBounds } from '../pool/connection-bounds.js'
import { type GossipMessage, GossipService, gossipMessages } from '../shell/gossip.js'
import type { Metadata } from '../wire/index.js'
import { type ChartPanel, lineChart } from './chart.js'
import { simHostConfig, sleep } from './simulation.js'
import { fullCollection, type ProcessSample, probeProcess } from './soak-probe.js'
import { type MallocTrimStats, startMallocTrim } from './soak-trim.js'
import { type SoakVerdict, soakVerdict } from './soak-verdict.js'

export { judgeSeries, type SeriesVerdict, type SoakVerdict, soakVerdict } from './soak-verdict.js'

/** Soak options that cannot work together (code `DUNE_SOAK_OPTIONS`). */
export class SoakOptionsError extends DuneP2pError {
  constructor(message: string) {
    super('DUNE_SOAK_OPTIONS', message)
  }
}

export interface SoakOptions {
  readonly nodes: number
  /** The whole run, warm-up included. */
  readonly durationMs: number
  /** Samples before this time are shown but not judged. */
  readonly warmupMs: number
  /** One node is stopped and started again this often (0: no churn). */
  readonly churnEveryMs: number
  /** Every this many churn events, the node comes back as a fresh identity in an emptied data dir; else from its data dir (default 2: alternately; 0: never). */
  readonly freshIdentityEvery?: number
  /** Every node publishes a gossip message this often (0: none; the nodes still relay). */
  readonly gossipEveryMs: number
  readonly sampleEveryMs: number
  /**
   * Run a full garbage collection before each sample (default true): the heap is then the live
   * heap, and a leak is not hidden in the sawtooth between collections.
   */
  readonly gcBeforeSample?: boolean
  /**
   * glibc's malloc_trim(0) every this often, on its own timer (default 0: never, the allocator
   * as it ships). The samples then record what the trims gave back: memory the C allocator kept
   * resident but free, as opposed to live memory.
   */
  readonly mallocTrimEveryMs?: number
  /** Message ids each node's gossip remembers (default 1000, reached during the warm-up; the service's own default is 10,000). */
  readonly seenCapacity?: number
  /** Folder receiving soak-report.json and soak-chart.svg. */
  readonly out: string
  /** Octez's `--connections N` of every node (default 8: min 4, expected 8, max 12). */
  readonly connections?: number
  /** Proof-of-work bits of the identities, demanded of peers too (default 2). */
  readonly powBits?: number
  /** Node i listens on `${hostPrefix}.${i / 250}.${i % 250 + 1}` (default 127.90). */
  readonly hostPrefix?: string
  readonly port?: number
  /** How many of the first nodes make the bootstrap list every node starts with (default 3). */
  readonly bootstrapCount?: number
  /** Pause between timed maintenance steps (default 10 s). */
  readonly maintenancePeriodMs?: number
  /** The windows whose medians are compared with the baseline (default 60 s, at most a third of the time after the warm-up). */
  readonly windowMs?: number
  /** Largest relative deviation from the baseline still called flat (default 0.1). */
  readonly tolerance?: number
  /** Ends the run early (the report is still written, from the samples taken). */
  readonly signal?: AbortSignal
  /** Called with a line of progress now and then. */
  readonly log?: (line: string) => void
}

/** The process and the network at one instant; counters are totals since the start. */
export interface SoakSample extends ProcessSample {
  /** Milliseconds since the run began. */
  readonly t: number
  /** malloc_trim calls so far, and the RSS they gave back in all (bytes; 0 without trimming). */
  readonly trims: number
  readonly trimReleased: number
  readonly nodesUp: number
  /** Active connections summed over the nodes: each connection counts at both its ends. */
  readonly connections: number
  /** Entries of the known point and peer tables, summed over the nodes. */
  readonly knownPoints: number
  readonly knownPeers: number
  /** Message ids remembered by the gossip services, summed over the nodes. */
  readonly gossipSeen: number
  readonly gossipPublished: number
  /** New gossip messages received (a message reaching n nodes counts n times). */
  readonly gossipDelivered: number
  readonly connectionsOpened: number
  readonly handshakeFailures: number
  readonly churnEvents: number
  /** The event loop's delay since the previous sample, 99th percentile (a saturated loop makes every figure lag). */
  readonly loopDelayP99Ms: number
}

export interface SoakReport {
  readonly nodes: number
  readonly connections: number
  readonly bounds: MaintenanceBounds
  readonly powBits: number
  readonly durationMs: number
  readonly warmupMs: number
  readonly churnEveryMs: number
  readonly freshIdentityEvery: number
  readonly gossipEveryMs: number
  readonly sampleEveryMs: number
  readonly seenCapacity: number
  /** Whether each sample followed a full garbage collection. */
  readonly gcBeforeSample: boolean
  /** The period of malloc_trim(0) (0: none, or no malloc_trim here), and what the trims did. */
  readonly mallocTrimEveryMs: number
  readonly mallocTrim: MallocTrimStats | null
  readonly nodeVersion: string
  readonly totals: {
    readonly churnEvents: number
    /** Churned nodes started again from their data dir (identity and peers.json). */
    readonly restarts: number
    /** Churned nodes replaced by a fresh identity and an empty data dir at the same address. */
    readonly freshIdentities: number
    /** Churn events whose stop or start threw (logged; the node stayed down until churned again). */
    readonly churnFailures: number
    /** Churn instants skipped because the previous churn was still going on. */
    readonly churnSkipped: number
    readonly connectionsOpened: number
    readonly handshakeFailures: number
    /** Those failures by error code (DUNE_*) or class name. */
    readonly handshakeFailuresByCause: Readonly<Record<string, number>>
    readonly gossipPublished: number
    readonly gossipDelivered: number
    readonly gossipDuplicates: number
    /** gossipDelivered / (gossipPublished × (nodes − 1)): 1 when every message reached every other node. */
    readonly deliveryRatio: number
  }
  /** null when no sample was taken after the warm-up. */
  readonly verdict: SoakVerdict | null
  readonly samples: readonly SoakSample[]
}

type SoakP2p = P2p<GossipMessage, null, Metadata>

interface RunningNode {
  readonly p2p: SoakP2p
  readonly gossip: GossipService
}

/** Checks the options that commander's per-flag parsers cannot. */
function checkOptions(o: SoakOptions, windowMs: number): void {
  if (!(Number.isInteger(o.nodes) && o.nodes >= 2))
    throw new SoakOptionsError('nodes must be an integer >= 2')
  if (o.sampleEveryMs <= 0) throw new SoakOptionsError('the sampling period must be positive')
  if (o.durationMs <= o.warmupMs) {
    throw new SoakOptionsError(
      `the run (${o.durationMs / 1000} s) must last longer than the warm-up (${o.warmupMs / 1000} s)`,
    )
  }
  if (!(windowMs > 0 && o.durationMs >= o.warmupMs + windowMs)) {
    throw new SoakOptionsError(
      `the run (${o.durationMs / 1000} s) must last at least the warm-up (${o.warmupMs / 1000} s) plus one window (${windowMs / 1000} s)`,
    )
  }
  if (o.churnEveryMs < 0 || o.gossipEveryMs < 0) throw new SoakOptionsError('periods must not be negative')
}

const MIB = 1024 * 1024

/** The report's chart (SVG): memory, then handles, over time; the baselines and their tolerance bands. */
export function soakChart(report: SoakReport): string {
  const minutes = report.durationMs >= 300_000
  const unit = minutes ? 60_000 : 1000
  const xLabel = minutes ? 'time (min)' : 'time (s)'
  const at = (s: SoakSample) => s.t / unit
  const line = (label: string, color: string, value: (s: SoakSample) => number | null) => ({
    label,
    color,
    points: report.samples.flatMap((s) => {
      const v = value(s)
      return v === null ? [] : [[at(s), v] as const]
    }),
  })
  const marks = [{ at: report.warmupMs / unit, label: 'end of warm-up' }]
  const band = (baseline: number | undefined, tolerance: number, scale: number, name: string) =>
    baseline === undefined
      ? []
      : [
          { value: baseline / scale, label: `${name} baseline`, color: '#999' },
          { value: (baseline * (1 + tolerance)) / scale, label: `+${tolerance * 100}%`, color: '#c00' },
          { value: (baseline * (1 - tolerance)) / scale, label: `−${tolerance * 100}%`, color: '#c00' },
        ]
  const v = report.verdict
  const title = `${report.nodes} nodes, --connections ${report.connections}, churn every ${report.churnEveryMs / 1000} s, gossip every ${report.gossipEveryMs / 1000} s`
  const panels: ChartPanel[] = [
    {
      title: `memory: ${title}`,
      yLabel: 'MiB',
      xLabel,
      legend: true,
      marks,
      levels: band(v?.rss.baseline, v?.tolerance ?? 0, MIB, 'RSS'),
      series: [
        line('RSS', '#c60', (s) => s.rss / MIB),
        line('heap used', '#06c', (s) => s.heapUsed / MIB),
        line('heap total', '#6a6', (s) => s.heapTotal / MIB),
        line('external (array buffers included)', '#a4a', (s) => s.external / MIB),
        line('untracked native (anonymous RSS − V8 heap − external)', '#444', (s) => s.untracked / MIB),
      ],
    },
    {
      title: `handles: ${v ? (v.flat ? 'flat' : 'NOT flat') : 'no samples after the warm-up'}`,
      yLabel: 'count',
      xLabel,
      legend: true,
      marks,
      levels: band(v?.handles.baseline, v?.tolerance ?? 0, 1, 'handles'),
      series: [
        line('active resources (handles)', '#c60', (s) => s.handles),
        line('open file descriptors', '#06c', (s) => s.fds),
        line('connections (both ends)', '#6a6', (s) => s.connections),
      ],
    },
  ]
  return lineChart(panels)
}

/** Runs the soak, writes `soak-report.json` and `soak-chart.svg` into `out`, and returns the report. */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const windowMs = options.windowMs ?? Math.min(60_000, (options.durationMs - options.warmupMs) / 3)
  checkOptions(options, windowMs)
  const tolerance = options.tolerance ?? 0.1
  const connections = options.connections ?? 8
  const powBits = options.powBits ?? 2
  const seenCapacity = options.seenCapacity ?? 1000
  const gcBeforeSample = options.gcBeforeSample ?? true
  const mallocTrimEveryMs = options.mallocTrimEveryMs ?? 0
  const freshEvery = options.freshIdentityEvery ?? 2
  const prefix = options.hostPrefix ?? '127.90'
  const port = options.port ?? 19_790
  const log = options.log ?? (() => {})
  const hosts = Array.from(
    { length: options.nodes },
    (_, i) => `${prefix}.${Math.floor(i / 250)}.${(i % 250) + 1}`,
  )
  const bootstrap = hosts.slice(0, options.bootstrapCount ?? 3).map((h) => `${h}:${port}`)
  const baseDir = await mkdtemp(join(tmpdir(), 'dune-soak-'))
  const dataDir = (i: number) => join(baseDir, `node-${i}`)
  const retired = { published: 0, delivered: 0, duplicates: 0 }
  const failureCauses: Record<string, number> = {}
  const totals = {
    churnEvents: 0,
    restarts: 0,
    freshIdentities: 0,
    churnFailures: 0,
    churnSkipped: 0,
    connectionsOpened: 0,
    handshakeFailures: 0,
  }

  /** Starts node i from its data dir, or from a new identity in an emptied one when `fresh`. */
  const startNode = async (i: number, fresh: boolean): Promise<RunningNode> => {
    const dir = dataDir(i)
    if (fresh) {
      await rm(dir, { recursive: true, force: true })
      await mkdir(dir, { recursive: true })
      await writeIdentityFile(dir, generateIdentityInline(powBits))
    }
    const host = hosts[i]!
    const p2p = await createP2p(
      {
        ...simHostConfig(host, port),
        identity: await readIdentityFile(dir),
        chainName: 'DUNE_SOAK',
        dataDir: dir,
        expectedProofOfWork: powBits,
        connections,
        bootstrapPeers: bootstrap.filter((p) => p !== `${host}:${port}`),
        maintenance: {
          periodMs: options.maintenancePeriodMs ?? 10_000,
          bootstrapWaitMs: 1000,
          backoff: { firstRetryMs: 500, afterDisconnectMs: 5000 },
        },
      },
      { messages: gossipMessages },
    )
    p2p.on('connection', () => totals.connectionsOpened++)
    p2p.on('handshake-failed', (e) => {
      totals.handshakeFailures++
      const cause = e.error instanceof DuneP2pError ? e.error.code : e.error.name
      failureCauses[cause] = (failureCauses[cause] ?? 0) + 1
    })
    const gossip = new GossipService(p2p, { seenCapacity })
    await p2p.start()
    gossip.start(options.gossipEveryMs / 1000)
    return { p2p, gossip }
  }

  /** Stops a node (Disconnect to its peers, peers.json saved) and keeps its gossip counts. */
  const stopNode = async (node: RunningNode): Promise<void> => {
    node.gossip.stop()
    await node.p2p.stop()
    await node.gossip.ended()
    const c = node.gossip.counts()
    retired.published += c.published
    retired.delivered += c.received
    retired.duplicates += c.duplicates
  }

  const nodes: Array<RunningNode | undefined> = []
  const samples: SoakSample[] = []
  const began = Date.now()
  const elapsed = () => Date.now() - began
  const gossipTotals = () => {
    const sum = { ...retired, seen: 0 }
    for (const n of nodes) {
      if (!n) continue
      const c = n.gossip.counts()
      sum.published += c.published
      sum.delivered += c.received
      sum.duplicates += c.duplicates
      sum.seen += c.seen
    }
    return sum
  }
  const collect = gcBeforeSample ? fullCollection() : undefined
  const trimmer = startMallocTrim(mallocTrimEveryMs)
  const sample = (): SoakSample => {
    collect?.()
    const processSample = probeProcess()
    let up = 0
    let active = 0
    let knownPoints = 0
    let knownPeers = 0
    for (const n of nodes) {
      if (!n) continue
      const stats = n.p2p.stats()
      up++
      active += stats.activeConnections
      knownPoints += stats.knownPoints
      knownPeers += stats.knownPeers
    }
    const gossip = gossipTotals()
    const s: SoakSample = {
      t: elapsed(),
      trims: trimmer?.stats().trims ?? 0,
      trimReleased: trimmer?.stats().releasedBytes ?? 0,
      ...processSample,
      nodesUp: up,
      connections: active,
      knownPoints,
      knownPeers,
      gossipSeen: gossip.seen,
      gossipPublished: gossip.published,
      gossipDelivered: gossip.delivered,
      connectionsOpened: totals.connectionsOpened,
      handshakeFailures: totals.handshakeFailures,
      churnEvents: totals.churnEvents,
      loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    }
    loopDelay.reset()
    return s
  }
  /** Stops a random node and starts it again: from its data dir, or (every freshEvery-th time) as a fresh identity. */
  const churn = async (): Promise<void> => {
    const i = randomInt(hosts.length)
    const node = nodes[i]
    nodes[i] = undefined
    const fresh = freshEvery > 0 && totals.churnEvents % freshEvery === freshEvery - 1
    totals.churnEvents++
    try {
      if (node) await stopNode(node)
      nodes[i] = await startNode(i, fresh)
    } catch (err) {
      totals.churnFailures++
      log(
        `churn #${totals.churnEvents} of ${hosts[i]} failed (the node stays down until churned again): ${err}`,
      )
      return
    }
    if (fresh) totals.freshIdentities++
    else totals.restarts++
  }
  let churning: Promise<void> | undefined

  const loopDelay = monitorEventLoopDelay({ resolution: 10 })
  loopDelay.enable()
  let bounds: MaintenanceBounds | undefined
  try {
    for (let i = 0; i < hosts.length; i++) nodes.push(await startNode(i, true))
    bounds = nodes[0]!.p2p.maintenanceBounds
    log(
      `${hosts.length} nodes started in ${elapsed()} ms; bounds ${JSON.stringify(bounds)}; data in ${baseDir}`,
    )
    let nextSample = 0
    let nextChurn = options.churnEveryMs > 0 ? options.churnEveryMs : Infinity
    let nextLog = 0
    while (elapsed() < options.durationMs && !options.signal?.aborted) {
      if (elapsed() >= nextSample) {
        const s = sample()
        samples.push(s)
        nextSample = s.t + options.sampleEveryMs
        if (s.t >= nextLog) {
          nextLog += 60_000
          log(
            `t=${(s.t / 1000).toFixed(0)} s rss=${(s.rss / MIB).toFixed(1)} MiB heap=${(s.heapUsed / MIB).toFixed(1)} MiB external=${(s.external / MIB).toFixed(1)} MiB untracked=${(s.untracked / MIB).toFixed(1)} MiB handles=${s.handles} fds=${s.fds} connections=${s.connections} delivered=${s.gossipDelivered} churn=${s.churnEvents} loop-p99=${s.loopDelayP99Ms.toFixed(0)} ms`,
          )
        }
      }
      if (elapsed() >= nextChurn) {
        // In the background, so that a slow stop delays no sample; one churn at a time.
        if (churning) totals.churnSkipped++
        else churning = churn().finally(() => (churning = undefined))
        nextChurn = Math.max(nextChurn + options.churnEveryMs, elapsed())
      }
      const wait = Math.min(nextSample, nextChurn, options.durationMs) - elapsed()
      if (wait > 0) await sleep(wait)
    }
    await churning
    samples.push(sample())
  } finally {
    trimmer?.stop()
    loopDelay.disable()
    await Promise.all(nodes.map((n) => (n ? stopNode(n) : undefined)))
    await rm(baseDir, { recursive: true, force: true })
  }

  const gossip = gossipTotals()
  const report: SoakReport = {
    nodes: hosts.length,
    connections,
    bounds: bounds!,
    powBits,
    durationMs: elapsed(),
    warmupMs: options.warmupMs,
    churnEveryMs: options.churnEveryMs,
    freshIdentityEvery: freshEvery,
    gossipEveryMs: options.gossipEveryMs,
    sampleEveryMs: options.sampleEveryMs,
    seenCapacity,
    gcBeforeSample,
    mallocTrimEveryMs: trimmer ? mallocTrimEveryMs : 0,
    mallocTrim: trimmer?.stats() ?? null,
    nodeVersion: process.version,
    totals: {
      ...totals,
      handshakeFailuresByCause: failureCauses,
      gossipPublished: gossip.published,
      gossipDelivered: gossip.delivered,
      gossipDuplicates: gossip.duplicates,
      deliveryRatio: gossip.published === 0 ? 0 : gossip.delivered / (gossip.published * (hosts.length - 1)),
    },
    verdict: soakVerdict(samples, options.warmupMs, windowMs, tolerance),
    samples,
  }
  await mkdir(options.out, { recursive: true })
  await writeFile(join(options.out, 'soak-report.json'), `${JSON.stringify(report, null, 2)}\n`)
  await writeFile(join(options.out, 'soak-chart.svg'), soakChart(report))
  return report
}
