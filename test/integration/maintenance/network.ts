// Small networks of real nodes for the maintenance tests: each node on its own 127.x.y.z
// address with the maintenance on (short period and waits), started from a bootstrap list.
import type { P2pConfigInput } from '../../../src/pool/config.js'
import type { StepReason, StepReport } from '../../../src/workers/maintenance.js'
import { type ChatNode, pointOf, startNode } from '../../support/p2p-nodes.js'

/** `connections: 6` gives min/expected/max 3/6/9, so bounds 4/5/7/8 (minThreshold .. maxThreshold). */
export const CONNECTIONS = 6

/** Maintenance on with test-sized timings: steps every `periodMs`, short Bootstrap waits and backoffs. */
export function maintainedConfig(overrides: Partial<P2pConfigInput> = {}): Partial<P2pConfigInput> {
  return {
    connections: CONNECTIONS,
    maintenance: {
      enabled: true,
      periodMs: 1000,
      bootstrapWaitMs: 200,
      bootstrapRounds: 3,
      backoff: { firstRetryMs: 200, afterDisconnectMs: 1000 },
    },
    ...overrides,
  }
}

/** Whether the node's connection count is within its thresholds. */
export function withinBounds(node: ChatNode): boolean {
  const { minThreshold, maxThreshold } = node.maintenanceBounds
  const active = node.connections().length
  return active >= minThreshold && active <= maxThreshold
}

/**
 * Starts a seed node at `${prefix}.1`, then `count - 1` nodes at `${prefix}.2`... that know only
 * the seed's point; every node runs the maintenance. Each node is pushed onto `nodes` as it starts.
 */
export async function startNetwork(
  prefix: string,
  count: number,
  nodes: ChatNode[],
  overrides: Partial<P2pConfigInput> = {},
): Promise<ChatNode[]> {
  const seed = await startNode(`${prefix}.1`, maintainedConfig(overrides))
  nodes.push(seed)
  const network = [seed]
  for (let i = 2; i <= count; i++) {
    const node = await startNode(
      `${prefix}.${i}`,
      maintainedConfig({ bootstrapPeers: [pointOf(seed)], ...overrides }),
    )
    nodes.push(node)
    network.push(node)
  }
  return network
}

/** The node's next maintenance report for a step run for `reason`; rejects after `timeoutMs`. */
export function nextStep(node: ChatNode, reason: StepReason, timeoutMs = 10_000): Promise<StepReport> {
  return new Promise((resolve, reject) => {
    const listener = (report: StepReport): void => {
      if (report.reason !== reason) return
      clearTimeout(timer)
      node.off('maintenance', listener)
      resolve(report)
    }
    const timer = setTimeout(() => {
      node.off('maintenance', listener)
      reject(new Error(`no '${reason}' maintenance step within ${timeoutMs} ms`))
    }, timeoutMs)
    node.on('maintenance', listener)
  })
}
