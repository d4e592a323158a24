// Test dune-nodes for the admin RPC tests: in-process nodes on their own 127.0.0.x address with
// an RPC each, no maintenance dials (min connections 0), and a small JSON HTTP client.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after } from 'node:test'
import { type DuneNode, type DuneNodeOptions, startDuneNode } from '../../../src/node/daemon.js'
import { parseNodeConfig } from '../../../src/node/node-config.js'

/**
 * A describe block's nodes: `start(host, p2p)` starts one on `host` (RPC on the same address)
 * with `p2p` config fields; every node it started is stopped after the block.
 */
export function nodeFixture(): (
  host: string,
  p2p?: Record<string, unknown>,
  options?: DuneNodeOptions,
) => Promise<DuneNode> {
  const nodes: DuneNode[] = []
  after(() => Promise.all(nodes.map((n) => n.stop())))
  return async (host, p2p = {}, options = {}) => {
    const node = await startTestNode(host, p2p, options)
    nodes.push(node)
    return node
  }
}

/** Starts a node on `host` (RPC on the same address), with `p2p` config fields; the caller stops it. */
export async function startTestNode(
  host: string,
  p2p: Record<string, unknown> = {},
  options: DuneNodeOptions = {},
): Promise<DuneNode> {
  const config = parseNodeConfig(
    {
      data_dir: mkdtempSync(join(tmpdir(), 'dune-rpc-test-')),
      chain_name: 'DUNE_TEST',
      p2p: {
        listen_addr: `${host}:0`,
        expected_proof_of_work: 2,
        min_connections: 0,
        expected_connections: 4,
        max_connections: 10,
        ...p2p,
      },
      rpc: { listen_addr: `${host}:0` },
    },
    'the test',
  )
  return startDuneNode(config, options)
}

/** The point a node listens on. */
export function pointOf(node: DuneNode): string {
  return `${node.p2p.config.listenHost}:${node.netPort}`
}

/** One RPC call as the operator (with the token): JSON in and out; resolves with the status and the parsed body. */
export async function api(
  node: DuneNode,
  method: string,
  path: string,
  body?: unknown,
  // biome-ignore lint/suspicious/noExplicitAny: the tests read the JSON answers' fields directly
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {}
  if (body !== undefined) headers['content-type'] = 'application/json'
  // The operator's token (DATA_DIR/rpc.cookie) on the state-changing routes.
  if (method !== 'GET' && method !== 'HEAD' && node.rpcToken)
    headers.authorization = `Bearer ${node.rpcToken}`
  const response = await fetch(`${node.rpcUrl}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  })
  const text = await response.text()
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {}
  return { status: response.status, body: parsed }
}

/** The URL path form of a point (its ':' encoded). */
export const enc = encodeURIComponent

/** Polls `condition` until it holds; rejects after `timeoutMs`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
