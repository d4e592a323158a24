// `dune-codec decode/encode octez_message`: the recorded session's 5,472 frames to JSON and back
// byte for byte, a Current_head with every kind of field, layer messages, and bad input.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { findEncoding } from '../../src/cli/codec-encodings.js'
import { main } from '../../src/cli/dune-codec.js'
import { runMain } from '../support/cli.js'
import { defined } from '../support/defined.js'
import { recordedSentFrames } from '../support/recorded-session-frames.js'

const codec = (...argv: string[]) => runMain(main, argv)

async function ok(...argv: string[]): Promise<string> {
  const r = await codec(...argv)
  assert.equal(r.stderr, '')
  assert.equal(r.code, 0)
  return r.stdout
}

async function fails(argv: string[], pattern: RegExp): Promise<void> {
  const r = await codec(...argv)
  assert.equal(r.code, 1, r.stderr)
  assert.match(r.stderr, /^[^\n]+\n$/)
  assert.match(r.stderr, pattern)
}

const octez = findEncoding('octez_message')

const B = 'BLockGenesisGenesisGenesisGenesisGenesisf79b5d1CoW2'
const currentHead = {
  current_head: {
    chain_id: 'NetXdQprcVkpaWU',
    current_block_header: {
      level: 8_000_000,
      proto: 22,
      predecessor: B,
      timestamp: '2025-01-01T00:00:00Z',
      validation_pass: 4,
      operations_hash: 'LLoZS2LW3rEi7KYU4ouBQtorua37aWWCtpDmv1n2x3xoKi6sVXLWp',
      fitness: ['02', '007a1200', '', 'ffffffff', '00000000'],
      context: 'CoWZVRSM6DdNUpn3mamy7e8rUSxQVWkQCQfJBg7DrTVXUjzGZGCa',
      protocol_data: 'c0ffee',
    },
    current_mempool: { known_valid: ['oodrSTJsHNfXUuNU48HXecHAYEprgsKWirSP6FzrWx8eLsdnNGE'], pending: [] },
  },
}

describe('dune-codec octez_message', () => {
  test('every frame of the recorded session: decode to JSON, encode back to the same bytes', () => {
    assert.ok(octez)
    const frames = recordedSentFrames()
    for (const [i, frame] of frames.entries()) {
      const json = JSON.parse(JSON.stringify(octez.decode(frame)))
      assert.ok(octez.encode(json).equals(frame), `frame ${i} differs after JSON`)
    }
  })

  test('through the command line: a Get_current_branch and an Advertise of the session', async () => {
    const frames = recordedSentFrames()
    const frame = defined(frames[0], 'the first Sent frame').toString('hex')
    const first = JSON.parse(await ok('decode', 'octez_message', frame))
    assert.deepEqual(first, { get_current_branch: { chain_id: 'NetXjD3HPJJjmcd' } })
    assert.equal((await ok('encode', 'octez_message', JSON.stringify(first))).trim(), frame)
    const advertise = frames.find((f) => f.readUInt16BE(4) === 0x03)
    assert.ok(advertise)
    const json = JSON.parse(await ok('decode', 'octez_message', advertise.toString('hex')))
    assert.ok(Array.isArray(json.advertise.points))
    assert.equal(
      (await ok('encode', 'octez_message', JSON.stringify(json))).trim(),
      advertise.toString('hex'),
    )
  })

  test('a Current_head with times, fitness and protocol data round-trips', async () => {
    const hex = (await ok('encode', 'octez_message', JSON.stringify(currentHead))).trim()
    assert.equal(hex.slice(8, 12), '0014')
    assert.deepEqual(JSON.parse(await ok('decode', 'octez_message', hex)), currentHead)
    // Seconds are accepted too and print as RFC 3339.
    const seconds = structuredClone(currentHead)
    ;(seconds.current_head.current_block_header as { timestamp: unknown }).timestamp = 1735689600
    assert.equal((await ok('encode', 'octez_message', JSON.stringify(seconds))).trim(), hex)
  })

  test('layer messages: disconnect, bootstrap, swap_request', async () => {
    assert.equal((await ok('encode', 'octez_message', '{"disconnect": {}}')).trim(), '000000020001')
    assert.equal((await ok('encode', 'octez_message', '{"bootstrap": {}}')).trim(), '000000020002')
    const swap = { swap_request: { point: '192.0.2.1:9732', peer_id: 'idtBWDzTcpfNnDyoRbM1bFoXe2vuZK' } }
    const hex = (await ok('encode', 'octez_message', JSON.stringify(swap))).trim()
    assert.deepEqual(JSON.parse(await ok('decode', 'octez_message', hex)), swap)
  })

  test('bad input names the field', async () => {
    await fails(['encode', 'octez_message', '{"get_current_head": {"chain_id": "B"}}'], /chain_id/)
    await fails(
      ['encode', 'octez_message', '{"get_current_head": {"chain_id": "NetXdQprcVkpaWU", "extra": 1}}'],
      /get_current_head\.extra: unknown field/,
    )
    const noLevel = structuredClone(currentHead) as {
      current_head: { current_block_header: Record<string, unknown> }
    }
    delete noLevel.current_head.current_block_header.level
    await fails(['encode', 'octez_message', JSON.stringify(noLevel)], /level/)
    const badHex = structuredClone(currentHead)
    badHex.current_head.current_block_header.protocol_data = 'xyz'
    await fails(['encode', 'octez_message', JSON.stringify(badHex)], /protocol_data: expected bytes/)
    await fails(['encode', 'octez_message', '{"get_everything": {}}'], /one key among/)
    await fails(['decode', 'octez_message', '000000020099'], /unknown message tag 0x99/)
  })
})
