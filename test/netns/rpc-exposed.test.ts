// `dune-node run --rpc-addr` on a non-loopback address, in a network namespace of its own: the
// warning, the read-only default (Octez's ACL), rpc.acl from the config, and --allow-all-rpc.
import assert from 'node:assert/strict'
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { after, before, describe, test } from 'node:test'
import { ip, netnsSubnet, netnsUnavailable } from './support/netns.js'

const skip = netnsUnavailable()
const ns = `h14rpc-${randomBytes(3).toString('hex')}`
/** The namespace's only address besides loopback (on its lo: nothing leaves the namespace). */
const address = `${netnsSubnet()}.1`
const rpcPort = 8732
const url = `http://${address}:${rpcPort}`

interface RunningNode {
  child: ChildProcess
  logs: Array<Record<string, unknown>>
  token: string
}

/** Starts `dune-node run` in the namespace with these extra flags; resolves once it runs. */
async function runNode(dataDir: string, flags: string[] = []): Promise<RunningNode> {
  const args = [
    'netns',
    'exec',
    ns,
    process.execPath,
    '--import',
    'tsx',
    'src/cli/dune-node.ts',
    'run',
    '--data-dir',
    dataDir,
    '--net-addr',
    `${address}:0`,
    '--rpc-addr',
    `${address}:${rpcPort}`,
    '--expected-pow',
    '4',
    '--log-level',
    'info',
    ...flags,
  ]
  const child = spawn('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const logs: Array<Record<string, unknown>> = []
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the node did not start: ${stderr}`)), 30_000)
    child.once('exit', () => reject(new Error(`the node exited: ${stderr}`)))
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>)
      } catch {
        return
      }
      if (logs.at(-1)!.msg === 'node running') {
        clearTimeout(timer)
        resolve()
      }
    })
  })
  const token = execFileSync('cat', [join(dataDir, 'rpc.cookie')], { encoding: 'utf8' }).trim()
  return { child, logs, token }
}

async function stopNode(node: RunningNode): Promise<void> {
  const exited = new Promise((resolve) => node.child.once('exit', resolve))
  node.child.kill('SIGTERM')
  await exited
}

/** One request from inside the namespace (curl); the status and the JSON body. */
function call(
  method: string,
  path: string,
  headers: string[] = [],
  body?: string,
  // biome-ignore lint/suspicious/noExplicitAny: the tests read the JSON answers' fields directly
): { status: number; body: any } {
  const args = ['netns', 'exec', ns, 'curl', '-s', '-X', method, '-w', '\n%{http_code}', `${url}${path}`]
  for (const h of headers) args.push('-H', h)
  if (body !== undefined) args.push('-H', 'content-type: application/json', '--data', body)
  const out = ip(...args)
  const cut = out.lastIndexOf('\n')
  const text = out.slice(0, cut)
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {}
  return { status: Number(out.slice(cut + 1)), body: parsed }
}

describe('the admin RPC off loopback (a network namespace)', { skip }, () => {
  before(() => {
    ip('netns', 'add', ns)
    ip('-n', ns, 'link', 'set', 'lo', 'up')
    ip('-n', ns, 'addr', 'add', `${address}/32`, 'dev', 'lo')
  })
  after(() => {
    try {
      ip('netns', 'del', ns)
    } catch {}
  })

  test('by default: a warning naming the exposure, read-only routes only', async () => {
    const node = await runNode(mkdtempSync(join(tmpdir(), 'dune-exposed-')))
    try {
      const warning = node.logs.find((l) => /not on loopback/.test(String(l.msg)))
      assert.ok(warning, 'a warning')
      assert.match(
        String(warning.msg),
        new RegExp(`${url.replace(/\./g, '\\.')}.+reachable from the network`),
      )
      assert.equal(warning.level, 40)
      assert.equal(call('GET', '/network/stat').status, 200)
      assert.equal(call('GET', '/metrics').status, 200)
      for (const [method, path] of [
        ['GET', '/network/peers'],
        ['GET', '/network/log'],
        ['GET', '/dashboard/token'],
        ['GET', '/dashboard/'],
      ]) {
        const answer = call(method!, path!)
        assert.equal(answer.status, 403, `${method} ${path}`)
        assert.equal(answer.body.error.code, 'FORBIDDEN')
        assert.match(answer.body.error.message, /rpc\.acl.+--allow-all-rpc/)
      }
      // Even with the token, a state-changing route is not on the list.
      const ban = call(
        'PATCH',
        '/network/points/192.0.2.30',
        [`authorization: Bearer ${node.token}`],
        '{"acl":"ban"}',
      )
      assert.equal(ban.status, 403)
    } finally {
      await stopNode(node)
    }
  })

  test('rpc.acl in the config opens what it lists; --allow-all-rpc opens everything (token still needed)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'dune-exposed-'))
    writeFileSync(
      join(dataDir, 'config.json'),
      JSON.stringify({ rpc: { acl: [{ address, allow: ['GET /network/peers', 'GET /network/stat'] }] } }),
    )
    const listed = await runNode(dataDir)
    try {
      assert.equal(call('GET', '/network/peers').status, 200)
      assert.equal(call('GET', '/metrics').status, 403)
    } finally {
      await stopNode(listed)
    }
    const open = await runNode(dataDir, ['--allow-all-rpc'])
    try {
      assert.equal(call('GET', '/network/peers').status, 200)
      assert.equal(call('GET', '/metrics').status, 200)
      assert.equal(call('PATCH', '/network/points/192.0.2.31', [], '{"acl":"ban"}').status, 401)
      const ban = call(
        'PATCH',
        '/network/points/192.0.2.31',
        [`authorization: Bearer ${open.token}`],
        '{"acl":"ban"}',
      )
      assert.equal(ban.status, 200, JSON.stringify(ban.body))
      assert.equal(ban.body.banned, true)
    } finally {
      await stopNode(open)
    }
  })
})
