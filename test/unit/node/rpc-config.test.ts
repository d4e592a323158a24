// The rpc section of the node config: the shipped bounds and policy, rpc.acl and allowed_hosts
// checked with errors naming the field, and --allow-all-rpc.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { applyOverrides } from '../../../src/node/config-overrides.js'
import { NodeConfigError, nodeConfigDoc, parseNodeConfig } from '../../../src/node/node-config.js'
import { RPC_LIMITS } from '../../../src/rpc/limits.js'

const parse = (rpc: unknown) => parseNodeConfig({ data_dir: '/tmp/x', rpc }, 'the test')

test('the shipped rpc section: loopback, no extra names, no ACL, bounded', () => {
  const { rpc } = parse({})
  assert.deepEqual(rpc, {
    listen_addr: '127.0.0.1:8732',
    allowed_hosts: [],
    acl: [],
    allow_all: false,
    max_connections: RPC_LIMITS.maxConnections,
    max_log_subscribers: RPC_LIMITS.maxLogSubscribers,
    log_buffer_bytes: RPC_LIMITS.logBufferBytes,
    request_timeout_ms: RPC_LIMITS.requestTimeoutMs,
  })
  assert.equal(RPC_LIMITS.maxConnections, 100)
  assert.equal(RPC_LIMITS.maxLogSubscribers, 16)
  for (const field of ['allowed_hosts', 'acl', 'allow_all', 'max_connections', 'log_buffer_bytes'])
    assert.ok(
      nodeConfigDoc().some((line) => line.startsWith(`rpc.${field}: `) && /Default/.test(line)),
      field,
    )
})

test('rpc.acl and rpc.allowed_hosts are checked, naming the field', () => {
  const acl = [{ address: '192.0.2.1:8732', allow: ['GET /network/stat', '/network/**'] }]
  assert.deepEqual(parse({ acl }).rpc.acl, acl)
  const bad: Array<[unknown, RegExp]> = [
    [{ acl: [{ address: '192.0.2.1', allow: ['network/stat'] }] }, /rpc\.acl\.0\.allow\.0/],
    [{ acl: [{ address: '192.0.2.1' }] }, /exactly one of "allow" and "deny"/],
    [{ acl: [{ address: '192.0.2.1', allow: [], deny: [] }] }, /exactly one/],
    [{ acl: [{ address: '192.0.2.1', whitelist: [] }] }, /rpc\.acl\.0\.whitelist/],
    [{ allowed_hosts: ['a b'] }, /rpc\.allowed_hosts\.0/],
    [{ max_connections: 0 }, /rpc\.max_connections/],
    [{ allow_all: 'yes' }, /rpc\.allow_all.*--allow-all-rpc/],
  ]
  for (const [rpc, message] of bad) {
    assert.throws(
      () => parse(rpc),
      (err: unknown) => err instanceof NodeConfigError && message.test(err.message),
    )
  }
})

test('--allow-all-rpc sets rpc.allow_all', () => {
  const raw = applyOverrides({ rpc: { listen_addr: '0.0.0.0:8732' } }, { allowAllRpc: true })
  assert.equal(parseNodeConfig({ data_dir: '/tmp/x', ...raw }, 'the flags').rpc.allow_all, true)
})
