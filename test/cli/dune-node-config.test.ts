// `dune-node config init | show` in-process through main(argv): the documented file with the
// defaults and flags, refusing to overwrite, showing the effective config and the field docs.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { main } from '../../src/cli/dune-node.js'
import { loadNodeConfig } from '../../src/node/node-config.js'
import { runMain } from '../support/cli.js'

const cli = (args: string[]) => runMain(main, args)

describe('dune-node config', () => {
  test('init writes a documented config with the flags; run would load it as written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dune-node-config-test-'))
    const init = await cli([
      'config',
      'init',
      '--data-dir',
      dir,
      '--net-addr',
      '127.0.0.1:19732',
      '--peer',
      '192.0.2.1:9732',
      '--peer',
      '192.0.2.2:9732',
      '--connections',
      '8',
    ])
    assert.equal(init.code, 0, init.stderr)
    const file = join(dir, 'config.json')
    assert.match(init.stdout, new RegExp(`Wrote ${file}`))
    const json = JSON.parse(readFileSync(file, 'utf8'))
    assert.ok(json.$comment.length > 0)
    assert.ok(
      json.p2p.$comment.some((line: string) => /^listen_addr: .*\[--net-addr HOST:PORT\]$/.test(line)),
    )
    assert.equal(json.p2p.listen_addr, '127.0.0.1:19732')
    assert.deepEqual(json.p2p.bootstrap_peers, ['192.0.2.1:9732', '192.0.2.2:9732'])
    const loaded = await loadNodeConfig(file)
    assert.equal(loaded.data_dir, dir)
    assert.equal(loaded.p2p.connections, 8)
    assert.equal(loaded.rpc.listen_addr, '127.0.0.1:8732')

    const again = await cli(['config', 'init', '--data-dir', dir])
    assert.equal(again.code, 1)
    assert.match(again.stderr, /already exists; use --force/)
    assert.equal((await cli(['config', 'init', '--data-dir', dir, '--force'])).code, 0)
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).p2p.listen_addr, '0.0.0.0:9732')
  })

  test('show prints the effective config (file, then flags) and --doc every field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dune-node-config-test-'))
    await cli(['config', 'init', '--data-dir', dir, '--chain-name', 'FILE_CHAIN', '--log-level', 'debug'])
    const show = await cli(['config', 'show', '--data-dir', dir, '--log-level', 'warn'])
    assert.equal(show.code, 0, show.stderr)
    const shown = JSON.parse(show.stdout)
    assert.equal(shown.chain_name, 'FILE_CHAIN')
    assert.equal(shown.log.level, 'warn')
    const doc = await cli(['config', 'show', '--doc'])
    assert.match(doc.stdout, /^p2p\.expected_proof_of_work: .*\[--expected-pow BITS\]$/m)
    assert.match(doc.stdout, /^rpc\.listen_addr: /m)
  })

  test('--peer by DNS name and pinned, --advertised-net-port, --discovery-addr (issue 16)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dune-node-config-test-'))
    const id = 'idtqxHUjbjbCfaDn4jczoPGsnhacKX'
    const show = await cli([
      'config',
      'show',
      '--data-dir',
      dir,
      '--peer',
      `boot.example.net:9732#${id}`,
      '--advertised-net-port',
      '19732',
      '--discovery-addr',
      '10.0.0.255:10733',
    ])
    assert.equal(show.code, 0, show.stderr)
    const shown = JSON.parse(show.stdout)
    assert.deepEqual(shown.p2p.bootstrap_peers, [`boot.example.net:9732#${id}`])
    assert.equal(shown.p2p.advertised_net_port, 19732)
    assert.equal(shown.p2p.discovery_addr, '10.0.0.255:10733')
    const doc = await cli(['config', 'show', '--doc'])
    assert.match(doc.stdout, /^p2p\.discovery_addr: .*\[--discovery-addr ADDR\[:PORT\]\]$/m)
    assert.match(doc.stdout, /^p2p\.advertised_net_port: .*\[--advertised-net-port PORT\]$/m)
    const bad = await cli(['config', 'show', '--data-dir', dir, '--discovery-addr', 'lan.example.net'])
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /^dune-node: --discovery-addr: .*IPv4/)
  })

  test('a bad flag is named with its value and the fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dune-node-config-test-'))
    const bad = await cli(['config', 'init', '--data-dir', dir, '--rpc-addr', '127.0.0.1'])
    assert.equal(bad.code, 1)
    assert.match(
      bad.stderr,
      /^dune-node: --rpc-addr: "127\.0\.0\.1" is not HOST:PORT \(.*\); write IP:PORT, e\.g\. 127\.0\.0\.1:9732/,
    )
  })

  test('show --doc: every field has its meaning, and every setting its default', async () => {
    const doc = await cli(['config', 'show', '--doc'])
    assert.equal(doc.code, 0, doc.stderr)
    const lines = doc.stdout.trimEnd().split('\n')
    assert.ok(lines.length >= 70, `${lines.length} lines`)
    const fields = lines.map((line) => line.slice(0, line.indexOf(':')))
    lines.forEach((line, i) => {
      // A description of its own, not only the default derived from the schema.
      assert.match(line, /^[\w.]+: (?!\(default)\S/, `no description: ${line}`)
      const leaf = !fields.some((f) => f.startsWith(`${fields[i]}.`))
      if (leaf && fields[i] !== 'data_dir') assert.match(line, /\bdefault\b/i, `no default: ${line}`)
    })
    for (const section of ['p2p.score.', 'p2p.admission.', 'p2p.eviction.', 'p2p.slots.'])
      assert.ok(
        fields.some((f) => f.startsWith(section)),
        section,
      )
    assert.match(doc.stdout, /^p2p\.score\.invalid\.weight: .*default -2/m)
    assert.match(doc.stdout, /^p2p\.eviction\.graceMs: milliseconds .*default 60000/m)
    assert.match(doc.stdout, /^p2p\.listen_addr: .*\(default "0\.0\.0\.0:9732"\)/m)
  })
})
