// The attack scenario of `npm run sim -- --attack F`: honest nodes, each in its own /16, and
// attackers all in 127.66/16 that keep dialing one honest node to fill its slots; the share they hold.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { InvalidArgumentError } from '../errors/index.js'
import { createP2p } from '../p2p.js'
import type { P2pConfigInput } from '../pool/index.js'
import { type SimNode, simHostConfig, simIdentity, simMessages, sleep } from './simulation.js'

export interface AttackOptions {
  /** Honest nodes (the target is the first), at 127.(100+i).0.1: one /16 each; at most 150. */
  readonly honest: number
  /** Attacker nodes, at 127.66.x.y: one /16. */
  readonly attackers: number
  readonly durationMs: number
  /** Octez's `--connections N` of every honest node (default 20: ceiling 27, 6 outbound reserved). */
  readonly connections?: number
  readonly port?: number
  /** How often each attacker not connected to the target dials it again (default 100 ms). */
  readonly redialMs?: number
  readonly sampleMs?: number
  /** Folder receiving attack-report.json; unset: nothing written. */
  readonly out?: string
  readonly log?: (line: string) => void
}

/** The target's connections at one sample. */
interface Sample {
  readonly t: number
  readonly total: number
  readonly attackerInbound: number
  readonly attackerOutbound: number
}

export interface AttackReport {
  readonly honest: number
  readonly attackers: number
  readonly connections: number
  readonly durationMs: number
  /** The target's slots: ceiling, reserved outbound, inbound maximum. */
  readonly target: { readonly ceiling: number; readonly minOutbound: number; readonly maxInbound: number }
  /** maxInbound / ceiling: the most the attackers should ever hold. */
  readonly inboundShare: number
  /** Attackers' connections / the target's connections: at the end, on average, at worst. */
  readonly attackerShare: { readonly final: number; readonly mean: number; readonly max: number }
  /** Most outbound connections of the target that led to attackers (the goal: 0). */
  readonly attackerOutboundMax: number
  /** The target's connections at the end, by direction and side. */
  readonly final: {
    readonly inbound: number
    readonly outbound: number
    readonly attackerInbound: number
    readonly honestInbound: number
  }
  /** Attacker connections the target evicted, and sockets refused before a byte was read, by reason. */
  readonly evictions: number
  readonly refused: Record<string, number>
  /** attackerShare.max <= inboundShare and attackerOutboundMax === 0. */
  readonly targetMet: boolean
}

const ATTACKER_PREFIX = '127.66.'

/** Runs the scenario and returns (and writes, with `out`) its report. */
export async function runAttack(options: AttackOptions): Promise<AttackReport> {
  const connections = options.connections ?? 20
  const port = options.port ?? 19_832
  const sampleMs = options.sampleMs ?? 250
  const redialMs = options.redialMs ?? 100
  const log = options.log ?? (() => {})
  const honestHosts = Array.from({ length: options.honest }, (_, i) => `127.${100 + i}.0.1`)
  const attackerHosts = Array.from(
    { length: options.attackers },
    (_, i) => `${ATTACKER_PREFIX}${Math.floor(i / 250)}.${(i % 250) + 1}`,
  )
  const bootstrap = honestHosts.slice(1, 4).map((h) => `${h}:${port}`)
  const base = (host: string): P2pConfigInput => ({
    ...simHostConfig(host, port),
    identity: simIdentity(),
    // 127.0.0.0/8 stands for the Internet here: no subnet is exempt from the limits.
    admission: { exempt: [] },
  })
  const start = async (config: P2pConfigInput): Promise<SimNode> => {
    const node = await createP2p(config, { messages: simMessages })
    await node.start()
    return node
  }

  const honest: SimNode[] = []
  const attackers: SimNode[] = []
  let stopping = false
  const began = Date.now()
  try {
    for (const host of honestHosts) {
      honest.push(
        await start({
          ...base(host),
          connections,
          bootstrapPeers: bootstrap.filter((p) => p !== `${host}:${port}`),
          maintenance: {
            periodMs: 1000,
            bootstrapWaitMs: 300,
            backoff: { firstRetryMs: 500, afterDisconnectMs: 3000 },
          },
        }),
      )
    }
    const target = honest[0]
    if (target === undefined) throw new InvalidArgumentError('the attack needs at least one honest node')
    const targetPoint = `${honestHosts[0]}:${port}`
    let evictions = 0
    const refused: Record<string, number> = {}
    target.on('evicted', (e) => {
      if (e.remoteAddress.startsWith(ATTACKER_PREFIX)) evictions++
    })
    target.on('refused', (r) => {
      refused[r.reason] = (refused[r.reason] ?? 0) + 1
    })
    // Let the honest network form before the attack (the target within its thresholds), for at
    // most a third of the run.
    const formedBy = began + options.durationMs / 3
    while (target.connections().length < target.maintenanceBounds.minThreshold && Date.now() < formedBy)
      await sleep(sampleMs)
    log(`honest network up; target has ${target.connections().length} connections; attack starts`)
    for (const host of attackerHosts) {
      attackers.push(await start({ ...base(host), maintenance: { enabled: false } }))
    }
    const attackerLoops = attackers.map(async (a) => {
      while (!stopping) {
        if (a.connection(target.peerId) === undefined) await a.connect(targetPoint).catch(() => undefined)
        await sleep(redialMs)
      }
    })

    const samples: Sample[] = []
    const attackEnd = began + options.durationMs
    while (Date.now() < attackEnd) {
      await sleep(sampleMs)
      const conns = target.connections()
      const fromAttackers = conns.filter((c) => c.remoteAddress.startsWith(ATTACKER_PREFIX))
      samples.push({
        t: Date.now() - began,
        total: conns.length,
        attackerInbound: fromAttackers.filter((c) => c.incoming).length,
        attackerOutbound: fromAttackers.filter((c) => !c.incoming).length,
      })
    }
    stopping = true
    await Promise.all(attackerLoops)

    const slots = target.stats().slots
    const conns = target.connections()
    const attackerInbound = conns.filter(
      (c) => c.incoming && c.remoteAddress.startsWith(ATTACKER_PREFIX),
    ).length
    const share = (s: Sample) => (s.total === 0 ? 0 : (s.attackerInbound + s.attackerOutbound) / s.total)
    const attacked = samples.filter((s) => s.total > 0)
    const shares = attacked.map(share)
    const inboundShare = slots.maxInbound / slots.ceiling
    const attackerOutboundMax = Math.max(0, ...samples.map((s) => s.attackerOutbound))
    const maxShare = Math.max(0, ...shares)
    const last = samples.at(-1)
    const report: AttackReport = {
      honest: options.honest,
      attackers: options.attackers,
      connections,
      durationMs: Date.now() - began,
      target: { ceiling: slots.ceiling, minOutbound: slots.minOutbound, maxInbound: slots.maxInbound },
      inboundShare,
      attackerShare: {
        final: last ? share(last) : 0,
        mean: shares.length === 0 ? 0 : shares.reduce((a, b) => a + b, 0) / shares.length,
        max: maxShare,
      },
      attackerOutboundMax,
      final: {
        inbound: slots.inbound,
        outbound: slots.outbound,
        attackerInbound,
        honestInbound: slots.inbound - attackerInbound,
      },
      evictions,
      refused,
      targetMet: maxShare <= inboundShare && attackerOutboundMax === 0,
    }
    if (options.out) {
      await mkdir(options.out, { recursive: true })
      await writeFile(join(options.out, 'attack-report.json'), `${JSON.stringify(report, null, 2)}\n`)
    }
    return report
  } finally {
    stopping = true
    await Promise.all([...attackers, ...honest].map((n) => n.stop()))
  }
}
