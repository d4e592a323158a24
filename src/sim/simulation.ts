// A network simulation with real nodes in this process, each on its own 127.x.y.z address:
// how fast the maintenance brings every node within its thresholds, and back after churn.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, type Identity, peerIdOf } from '../crypto/index.js'
import { InvalidArgumentError } from '../errors/index.js'
import { createP2p, type P2p } from '../p2p.js'
import type { MaintenanceBounds } from '../pool/connection-bounds.js'
import type { P2pConfigInput } from '../pool/index.js'
import { type ApplicationMessage, defineMessages, string } from '../wire/index.js'
import { connectionsChart } from './chart.js'
import { componentCount, degreeDistribution, diameter, type Graph, graphOf } from './graph.js'
import { seededRandom } from './seeded-random.js'

const simDefinitions = { note: { tag: 0x10, encoding: string({ max: 64 }), maxSize: 68 } }
export const simMessages = defineMessages(simDefinitions)
export type SimNode = P2p<ApplicationMessage<typeof simDefinitions>>

export interface SimulationOptions {
  readonly nodes: number
  readonly durationMs: number
  /** Fraction of the nodes killed then restarted (same identity and point); 0: no churn. */
  readonly churn: number
  /** Seeds the choice of the nodes killed. */
  readonly seed: number
  /** Folder receiving report.json and chart.svg. */
  readonly out: string
  /** Octez's `--connections N` for every node (default 6: bounds 4/5/7/8). */
  readonly connections?: number
  /** Node i listens on `${hostPrefix}.${i / 250}.${i % 250 + 1}` (default 127.77). */
  readonly hostPrefix?: string
  readonly port?: number
  /** How many of the first nodes make the bootstrap list every node starts with (default 3). */
  readonly bootstrapCount?: number
  /** Churn happens at the first sample after this time (default durationMs / 2) once the network has converged. */
  readonly churnAtMs?: number
  /** End as soon as the network has converged and, with churn, recovered (default false). */
  readonly stopWhenRecovered?: boolean
  readonly sampleMs?: number
  /** Maintenance period and Bootstrap wait of every node (defaults 2000 and 500 ms). */
  readonly periodMs?: number
  readonly bootstrapWaitMs?: number
  /** Called with a line of progress now and then. */
  readonly log?: (line: string) => void
}

export interface SimulationReport {
  readonly nodes: number
  readonly connections: number
  readonly bounds: MaintenanceBounds
  readonly durationMs: number
  readonly seed: number
  /** Time until every node was within [minThreshold, maxThreshold] for the first time; null: never. */
  readonly convergedAfterMs: number | null
  readonly churn: {
    readonly atMs: number
    readonly killed: number
    /** Time from the kill until every node (restarted ones included) was within its thresholds again. */
    readonly recoveredAfterMs: number | null
  } | null
  /** The graph when the simulation ended. */
  readonly final: {
    readonly degreeDistribution: Record<number, number>
    readonly nodesWithinBounds: number
    readonly connected: boolean
    readonly components: number
    /** Hops; null when the graph is not connected. */
    readonly diameter: number | null
  }
  /** Every sample: its time and each node's connection count (-1 while the node is down). */
  readonly samples: ReadonlyArray<{ readonly t: number; readonly counts: readonly number[] }>
}

/** `count` distinct indices below `n`, chosen with `random`. */
function pickIndices(n: number, count: number, random: () => number): number[] {
  const indices = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const picked = indices[j]
    const last = indices[i]
    if (picked === undefined || last === undefined) continue // 0 <= j <= i < n: never
    indices[i] = picked
    indices[j] = last
  }
  return indices.slice(0, count)
}

/**
 * What every simulated node shares: chain DUNE_SIM without proof of work, one 127.x host that it
 * listens on and dials from, and loopback timeouts (2 s to connect and to authenticate).
 */
export function simHostConfig(host: string, port: number) {
  return {
    chainName: 'DUNE_SIM',
    expectedProofOfWork: 0,
    listenHost: host,
    listenPort: port,
    localAddress: host,
    connectionTimeoutMs: 2000,
    authenticationTimeoutMs: 2000,
  } satisfies Partial<P2pConfigInput>
}

/** An identity without proof of work (the simulated nodes demand none). */
export function simIdentity(): Identity {
  const { publicKey, secretKey } = generateKeyPair()
  return { peerId: peerIdOf(publicKey), publicKey, secretKey, proofOfWorkStamp: Buffer.alloc(24) }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Runs the simulation, writes `report.json` and `chart.svg` into `out`, and returns the report. */
export async function runSimulation(options: SimulationOptions): Promise<SimulationReport> {
  const connections = options.connections ?? 6
  const prefix = options.hostPrefix ?? '127.77'
  const port = options.port ?? 19_732
  const sampleMs = options.sampleMs ?? 250
  const churnAtMs = options.churnAtMs ?? options.durationMs / 2
  const log = options.log ?? (() => {})
  const hosts = Array.from(
    { length: options.nodes },
    (_, i) => `${prefix}.${Math.floor(i / 250)}.${(i % 250) + 1}`,
  )
  const bootstrap = hosts.slice(0, options.bootstrapCount ?? 3).map((h) => `${h}:${port}`)
  const identities = hosts.map(() => simIdentity())
  const startNode = async (i: number): Promise<SimNode> => {
    const host = hosts[i]
    const identity = identities[i]
    if (host === undefined || identity === undefined) throw new InvalidArgumentError(`no simulated node ${i}`)
    const node = await createP2p(
      {
        ...simHostConfig(host, port),
        identity,
        connections,
        bootstrapPeers: bootstrap.filter((p) => p !== `${host}:${port}`),
        maintenance: {
          periodMs: options.periodMs ?? 2000,
          bootstrapWaitMs: options.bootstrapWaitMs ?? 500,
          backoff: { firstRetryMs: 500, afterDisconnectMs: 5000 },
        },
      },
      { messages: simMessages },
    )
    await node.start()
    return node
  }

  const nodes: Array<SimNode | undefined> = []
  const began = Date.now()
  const elapsed = () => Date.now() - began
  for (let i = 0; i < hosts.length; i++) nodes.push(await startNode(i))
  const first = nodes[0]
  if (first === undefined) throw new InvalidArgumentError('a simulation needs at least one node')
  const bounds = first.maintenanceBounds
  const within = (n: SimNode | undefined) => {
    const active = n?.connections().length ?? -1
    return active >= bounds.minThreshold && active <= bounds.maxThreshold
  }
  log(`${hosts.length} nodes started in ${elapsed()} ms; bounds ${JSON.stringify(bounds)}`)

  const samples: Array<{ t: number; counts: number[] }> = []
  let convergedAt: number | undefined
  let churn: { atMs: number; killed: number; recoveredAt: number | undefined } | undefined
  const random = seededRandom(options.seed)
  const killCount = Math.round(options.churn * hosts.length)
  let graph: Graph = new Map()
  let finalWithin = 0
  try {
    while (elapsed() < options.durationMs) {
      const t = elapsed()
      samples.push({ t, counts: nodes.map((n) => n?.connections().length ?? -1) })
      const allWithin = nodes.every(within)
      if (allWithin && convergedAt === undefined) {
        convergedAt = t
        log(`converged at ${t} ms`)
      }
      if (churn && allWithin && churn.recoveredAt === undefined) {
        churn.recoveredAt = t
        log(`recovered ${t - churn.atMs} ms after the churn`)
      }
      if (!churn && killCount > 0 && convergedAt !== undefined && t >= churnAtMs) {
        const victims = pickIndices(hosts.length, killCount, random)
        churn = { atMs: t, killed: victims.length, recoveredAt: undefined }
        log(`killing ${victims.length} nodes at ${t} ms`)
        await Promise.all(victims.map((i) => nodes[i]?.stop()))
        for (const i of victims) nodes[i] = undefined
        for (const i of victims) nodes[i] = await startNode(i)
      }
      const done = convergedAt !== undefined && (killCount === 0 || churn?.recoveredAt !== undefined)
      if (options.stopWhenRecovered && done) break
      await sleep(sampleMs)
    }
    graph = graphOf(
      new Map(nodes.flatMap((n) => (n ? [[n.peerId, n.connections().map((c) => c.peerId)] as const] : []))),
    )
    finalWithin = nodes.filter(within).length
  } finally {
    await Promise.all(nodes.map((n) => n?.stop()))
  }

  const components = componentCount(graph)
  const report: SimulationReport = {
    nodes: hosts.length,
    connections,
    bounds,
    durationMs: elapsed(),
    seed: options.seed,
    convergedAfterMs: convergedAt ?? null,
    churn: churn
      ? {
          atMs: churn.atMs,
          killed: churn.killed,
          recoveredAfterMs: churn.recoveredAt === undefined ? null : churn.recoveredAt - churn.atMs,
        }
      : null,
    final: {
      degreeDistribution: degreeDistribution(graph),
      nodesWithinBounds: finalWithin,
      connected: components === 1,
      components,
      diameter: diameter(graph) ?? null,
    },
    samples,
  }
  await mkdir(options.out, { recursive: true })
  await writeFile(join(options.out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`)
  const svg = connectionsChart({
    title: `${hosts.length} nodes, --connections ${connections}, churn ${options.churn}, seed ${options.seed}`,
    minThreshold: bounds.minThreshold,
    maxThreshold: bounds.maxThreshold,
    marks: churn ? [{ at: churn.atMs / 1000, label: `churn: ${churn.killed} restarted` }] : [],
    samples: samples.map((s) => ({ t: s.t / 1000, counts: s.counts })),
  })
  await writeFile(join(options.out, 'chart.svg'), svg)
  return report
}
