// `dune-node config show|init --network NAME` in-process: Octez's settings of that network written
// out (chain name, chain id, versions, pow, bootstrap names), flags winning, the doc of every field.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { main } from '../../src/cli/dune-node.js'
import { loadNodeConfig } from '../../src/node/node-config.js'
import { runMain } from '../support/cli.js'

const cli = (args: string[]) => runMain(main, args)

test("config show --network mainnet prints Octez's mainnet settings", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dune-network-'))
  const shown = await cli(['config', 'show', '--data-dir', dir, '--network', 'mainnet'])
  assert.equal(shown.code, 0, shown.stderr)
  const json = JSON.parse(shown.stdout)
  assert.equal(json.network, 'mainnet')
  assert.equal(json.chain_name, 'TEZOS_MAINNET')
  assert.equal(json.p2p.expected_proof_of_work, 26)
  assert.deepEqual(json.p2p.bootstrap_peers, [
    'boot.tzinit.org:9732',
    'boot.tzboot.net:9732',
    'boot.tzbeta.net:9732',
  ])
  const note = json.$comment.join('\n')
  assert.match(note, /chain id NetXdQprcVkpaWU/)
  assert.match(note, /distributed_db_versions 0, 1, 2; p2p_versions 0, 1/)
  const flags = await cli([
    'config',
    'show',
    '--data-dir',
    dir,
    '--network',
    'ghostnet',
    '--peer',
    '127.0.0.1:9732',
    '--expected-pow',
    '0',
  ])
  const own = JSON.parse(flags.stdout)
  assert.equal(own.chain_name, 'TEZOS_ITHACANET_2022-01-25T15:00:00Z')
  assert.deepEqual(own.p2p.bootstrap_peers, ['127.0.0.1:9732'], 'explicit flags win')
  assert.equal(own.p2p.expected_proof_of_work, 0)
  const bad = await cli(['config', 'show', '--data-dir', dir, '--network', 'testnet'])
  assert.notEqual(bad.code, 0)
  assert.match(bad.stderr, /network/)
})

test('--network over a file written by config init: the preset wins over the file, flags over both', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dune-network-'))
  assert.equal((await cli(['config', 'init', '--data-dir', dir])).code, 0)
  const shown = JSON.parse((await cli(['config', 'show', '--data-dir', dir, '--network', 'mainnet'])).stdout)
  assert.equal(shown.chain_name, 'TEZOS_MAINNET', "the file's DUNE_MAINNET is replaced")
  assert.equal(shown.p2p.bootstrap_peers.length, 3)
  const own = JSON.parse(
    (await cli(['config', 'show', '--data-dir', dir, '--network', 'mainnet', '--chain-name', 'MINE'])).stdout,
  )
  assert.equal(own.chain_name, 'MINE')
})

test('config init --network writes a file that loads back as the preset', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dune-network-'))
  const init = await cli(['config', 'init', '--data-dir', dir, '--network', 'sandbox', '--head-every', '5'])
  assert.equal(init.code, 0, init.stderr)
  const text = readFileSync(join(dir, 'config.json'), 'utf8')
  assert.match(text, /"network": "sandbox"/)
  const loaded = await loadNodeConfig(join(dir, 'config.json'))
  assert.equal(loaded.network, 'sandbox')
  assert.equal(loaded.chain_name, 'TEZOS')
  assert.equal(loaded.observer.head_every_seconds, 5)
  const doc = await cli(['config', 'show', '--doc'])
  const ours = doc.stdout.split('\n').filter((l) => /^(network|observer)\b/.test(l))
  assert.equal(ours.length, 3)
  for (const line of ours) assert.match(line, /^[a-z_.]+: \S+ \S/, line)
  assert.match(doc.stdout, /^network: .*\[--network NAME\]$/m)
  assert.match(doc.stdout, /^observer\.head_every_seconds: .*\[--head-every SECONDS\]$/m)
})
