// The network presets as Octez defines them (chain names, chain ids from the genesis blocks,
// bootstrap names, versions), how they fill a config (explicit values win), and DNS-name points.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { NETWORK_PRESETS } from '../../../src/node/network-presets.js'
import { dialPointProblem, parseNodeConfig } from '../../../src/node/node-config.js'

describe('network presets', () => {
  test("Octez's chain names and the chain ids its nodes print", () => {
    assert.equal(NETWORK_PRESETS.mainnet.chainName, 'TEZOS_MAINNET')
    assert.equal(NETWORK_PRESETS.mainnet.chainId, 'NetXdQprcVkpaWU')
    assert.equal(NETWORK_PRESETS.ghostnet.chainName, 'TEZOS_ITHACANET_2022-01-25T15:00:00Z')
    assert.equal(NETWORK_PRESETS.ghostnet.chainId, 'NetXnHfVqm9iesp')
    assert.equal(NETWORK_PRESETS.sandbox.chainName, 'TEZOS')
    assert.deepEqual(NETWORK_PRESETS.sandbox.bootstrapPeers, [])
    for (const p of Object.values(NETWORK_PRESETS)) {
      assert.deepEqual(p.distributedDbVersions, [0, 1, 2])
      assert.deepEqual(p.p2pVersions, [0, 1])
      assert.equal(p.expectedProofOfWork, 26)
    }
  })

  test('a preset fills the unset fields; the file and the flags win', () => {
    const c = parseNodeConfig({ network: 'mainnet' }, 'test', '/tmp/x')
    assert.equal(c.network, 'mainnet')
    assert.equal(c.chain_name, 'TEZOS_MAINNET')
    assert.equal(c.p2p.expected_proof_of_work, 26)
    assert.deepEqual(c.p2p.bootstrap_peers, [
      'boot.tzinit.org:9732',
      'boot.tzboot.net:9732',
      'boot.tzbeta.net:9732',
    ])
    assert.equal(c.observer.head_every_seconds, 30)
    const own = parseNodeConfig(
      {
        network: 'ghostnet',
        chain_name: 'X',
        p2p: { expected_proof_of_work: 4, bootstrap_peers: ['127.0.0.1:1'] },
      },
      'test',
      '/tmp/x',
    )
    assert.equal(own.chain_name, 'X')
    assert.equal(own.p2p.expected_proof_of_work, 4)
    assert.deepEqual(own.p2p.bootstrap_peers, ['127.0.0.1:1'])
    assert.throws(() => parseNodeConfig({ network: 'testnet' }, 'test', '/tmp/x'), /network/)
    assert.equal(parseNodeConfig({}, 'test', '/tmp/x').network, undefined)
  })

  test('DNS names are points for bootstrap peers; broken names and IP-like text are not', () => {
    for (const ok of ['boot.tzinit.org:9732', 'ghostnet.stakenow.de:9733', 'localhost:9732']) {
      assert.equal(dialPointProblem(ok), undefined, ok)
    }
    for (const bad of ['10.0.0.1', '300.1.1.1:9732', '-a.example:1', 'a..b', 'a.b:70000', 'a b', '']) {
      assert.notEqual(dialPointProblem(bad), undefined, bad)
    }
  })
})
