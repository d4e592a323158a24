// The node config's schema: defaults, the flags over a file's values, and errors that name the
// field and the fix; the documented text loads back to the same config.
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { applyOverrides, FlagError } from '../../../src/node/config-overrides.js'
import { p2pConfigOf } from '../../../src/node/daemon.js'
import {
  defaultNodeConfig,
  documentedConfigText,
  loadNodeConfig,
  NodeConfigError,
  parseNodeConfig,
} from '../../../src/node/node-config.js'
import { p2pConfigDefault, parseP2pConfig } from '../../../src/pool/config.js'
import { testIdentity } from '../../support/identities.js'

function errorOf(raw: unknown): NodeConfigError {
  try {
    parseNodeConfig(raw, 'test.json', '/tmp/x')
  } catch (err) {
    assert.ok(err instanceof NodeConfigError)
    assert.equal(err.code, 'DUNE_NODE_CONFIG')
    return err
  }
  assert.fail('expected a NodeConfigError')
}

describe('node config', () => {
  test("the P2P section's defaults are the library's: a default node config gives the default P2p config", () => {
    const identity = testIdentity()
    const node = defaultNodeConfig()
    const fromNode = parseP2pConfig(p2pConfigOf(node, identity))
    const library = parseP2pConfig({
      identity,
      chainName: node.chain_name,
      dataDir: node.data_dir,
      bootstrapPeers: node.p2p.bootstrap_peers,
    })
    assert.deepEqual(fromNode, library)
    assert.equal(node.p2p.greylist_timeout_ms, p2pConfigDefault('greylistTimeoutMs'))
    assert.equal(node.p2p.maintenance_period_ms, p2pConfigDefault('maintenance').periodMs)
    assert.equal(node.p2p.tcp_user_timeout_ms, p2pConfigDefault('tcpKeepalive').userTimeoutMs)
  })

  test('defaults as Octez where it applies', () => {
    const c = defaultNodeConfig()
    assert.equal(c.p2p.listen_addr, '0.0.0.0:9732')
    assert.equal(c.p2p.expected_proof_of_work, 26)
    assert.equal(c.rpc.listen_addr, '127.0.0.1:8732')
    assert.equal(c.log.level, 'info')
    assert.equal(c.gossip.every_seconds, 0)
  })

  test('errors name the field and the fix', () => {
    const addr = errorOf({ p2p: { listen_addr: '1.2.3.4' } })
    assert.equal(addr.field, 'p2p.listen_addr')
    assert.match(addr.fix, /--net-addr/)
    assert.equal(errorOf({ p2p: { expected_proof_of_work: 300 } }).field, 'p2p.expected_proof_of_work')
    assert.equal(errorOf({ p2p: { bootstrap_peers: ['10.0.0.1'] } }).field, 'p2p.bootstrap_peers.0')
    const unknown = errorOf({ rpc: { listen: 'x' } })
    assert.equal(unknown.field, 'rpc.listen')
    assert.match(unknown.fix, /known here: listen_addr/)
    const order = errorOf({ p2p: { min_connections: 20, max_connections: 10 } })
    assert.equal(order.field, 'p2p.expected_connections')
    assert.match(order.message, /min_connections <= expected_connections <= max_connections/)
    assert.equal(errorOf([1]).field, '(file)')
  })

  test('the library rules (score, slots, admission, eviction) load as sections of p2p', () => {
    const c = parseNodeConfig(
      { p2p: { admission: { exempt: [] }, score: { disconnectBelow: -5 }, slots: { minOutbound: 2 } } },
      'test.json',
      '/tmp/x',
    )
    assert.deepEqual(c.p2p.admission?.exempt, [])
    assert.equal(c.p2p.score?.disconnectBelow, -5)
    assert.equal(c.p2p.score?.useful.weight, 0.05, 'the rules not given keep their defaults')
    assert.equal(c.p2p.slots?.minOutbound, 2)
    assert.equal(c.p2p.eviction, undefined)
    assert.equal(errorOf({ p2p: { score: { useful: { weight: 'high' } } } }).field, 'p2p.score.useful.weight')
    assert.equal(errorOf({ p2p: { eviction: { graceMs: -1 } } }).field, 'p2p.eviction.graceMs')
  })

  test('flags replace the file values; --connections drops the file’s min/expected/max', () => {
    const file = {
      p2p: { min_connections: 1, expected_connections: 2, max_connections: 3, listen_addr: '127.0.0.1:1' },
    }
    const merged = applyOverrides(file, {
      connections: '10',
      netAddr: '127.0.0.1:2',
      rpcAddr: 'none',
      peer: ['10.0.0.1:1'],
    })
    const c = parseNodeConfig(merged, 'test.json', '/tmp/x')
    assert.equal(c.p2p.connections, 10)
    assert.equal(c.p2p.min_connections, undefined)
    assert.equal(c.p2p.listen_addr, '127.0.0.1:2')
    assert.equal(c.rpc.listen_addr, null)
    assert.deepEqual(c.p2p.bootstrap_peers, ['10.0.0.1:1'])
    assert.equal(file.p2p.listen_addr, '127.0.0.1:1', 'the file values are not changed')
  })

  test('points by DNS name and pinned points; the advertised port and local discovery (issue 16)', () => {
    const id = 'idtqxHUjbjbCfaDn4jczoPGsnhacKX'
    const merged = applyOverrides(
      {},
      {
        peer: ['boot.example.net:9732', `localhost:9732#${id}`, '[2001:db8::1]:9732'],
        advertisedNetPort: '19732',
        discoveryAddr: '192.168.1.255',
      },
    )
    const c = parseNodeConfig(merged, 'test.json', '/tmp/x')
    assert.deepEqual(c.p2p.bootstrap_peers, [
      'boot.example.net:9732',
      `localhost:9732#${id}`,
      '[2001:db8::1]:9732',
    ])
    assert.equal(c.p2p.advertised_net_port, 19732)
    assert.equal(c.p2p.discovery_addr, '192.168.1.255')
    assert.equal(c.p2p.trust_discovered_peers, false)
    assert.equal(defaultNodeConfig().p2p.discovery_addr, null, 'local discovery is off by default')
    const badName = errorOf({ p2p: { trusted_points: ['bad_name!:9732'] } })
    assert.equal(badName.field, 'p2p.trusted_points.0')
    assert.match(badName.message, /HOST:PORT#PEER_ID/)
    assert.match(errorOf({ p2p: { bootstrap_peers: ['a.example.net:1#idbad'] } }).message, /peer id/)
    assert.throws(
      () => applyOverrides({}, { advertisedNetPort: 'x' }),
      (err: unknown) =>
        err instanceof FlagError && err.message === '--advertised-net-port: "x" is not a number',
    )
    assert.equal(errorOf({ p2p: { advertised_net_port: 70000 } }).field, 'p2p.advertised_net_port')
    const discovery = errorOf({ p2p: { discovery_addr: 'lan.example.net' } })
    assert.equal(discovery.field, 'p2p.discovery_addr')
    assert.match(discovery.message, /IPv4/)
    assert.match(discovery.fix, /--discovery-addr/)
  })

  test('the documented text loads back to the same config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dune-node-config-unit-'))
    const config = parseNodeConfig(
      { p2p: { bootstrap_peers: ['10.1.1.1:9732'], max_upload_speed: 1000 } },
      'x',
      dir,
    )
    writeFileSync(join(dir, 'config.json'), documentedConfigText(config))
    assert.deepEqual(await loadNodeConfig(join(dir, 'config.json')), config)
  })
})
