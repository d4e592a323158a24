// `dune-codec` in-process through main() (Octez vectors, round trips of every encoding, every
// bad-input path) and a few runs as a process (exit codes, one-line errors on stderr).
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { main } from '../../src/cli/dune-codec.js'
import { generateKeyPair, peerIdOf, peerIdToB58 } from '../../src/crypto/index.js'
import { NACK_MOTIVES } from '../../src/wire/index.js'
import { type CliRun, runMain, runScript } from '../support/cli.js'
import { defined, firstOf } from '../support/defined.js'
import { readVectorJson } from '../support/vectors.js'
import { LONGEST_POINT, pointArb, wirePointArb } from '../support/wire-arbitraries.js'

interface Vectors {
  connection_messages: { a: string; a_decoded: Record<string, unknown>; b: string; b_peer_id: string }
  nonces: { sent: string; recv: string; incoming: boolean; local: string; remote: string }[]
  precomputed_key: { public_key: string; secret_key: string; channel_key: string }
  proof_of_work: { public_key: string; stamp: string; target_bits: number; valid: boolean }[]
  ack: { hex: string; decoded: unknown }[]
  p2p_messages: { hex: string; note: string; valid?: boolean; decoded?: { Advertise: string[] } }[]
}

const vectors = readVectorJson<Vectors>('octez-wire.json')
const { a, a_decoded, b, b_peer_id } = vectors.connection_messages
const messageByName: Record<string, string> = { 'connection_messages.a': a, 'connection_messages.b': b }

interface Result {
  code: number
  stdout: string
  stderr: string
}

const codec = (...argv: string[]): Promise<Result> => runMain(main, argv)

/** Runs a command that must succeed and returns its stdout. */
async function ok(...argv: string[]): Promise<string> {
  const r = await codec(...argv)
  assert.equal(r.stderr, '', `unexpected stderr for ${argv.join(' ')}`)
  assert.equal(r.code, 0)
  return r.stdout
}

const decodeJson = async (encoding: string, hex: string): Promise<unknown> =>
  JSON.parse(await ok('decode', encoding, hex))
const encodeHex = async (encoding: string, json: unknown): Promise<string> =>
  (await ok('encode', encoding, JSON.stringify(json))).trim()

/** Runs a command that must fail: exit 1, nothing on stdout, exactly one line on stderr matching every pattern. */
async function fails(argv: string[], ...patterns: RegExp[]): Promise<string> {
  const r = await codec(...argv)
  assert.equal(r.code, 1, `exit code of ${argv.join(' ')}: ${r.stderr}`)
  assert.equal(r.stdout, '')
  assert.match(r.stderr, /^[^\n]+\n$/, `one line on stderr, got ${JSON.stringify(r.stderr)}`)
  for (const pattern of patterns) assert.match(r.stderr, pattern)
  return r.stderr
}

/** A frame `u32 size | tag u16 | body` around a body given as hex. */
const frame = (tag: number, bodyHex: string): string =>
  (2 + bodyHex.length / 2).toString(16).padStart(8, '0') + tag.toString(16).padStart(4, '0') + bodyHex

const validMessage = {
  port: 9732,
  public_key: a_decoded.public_key,
  proof_of_work_stamp: a_decoded.proof_of_work_stamp,
  message_nonce: a_decoded.message_nonce,
  chain_name: 'TEZOS_MAINNET',
  distributed_db_version: 2,
  p2p_version: 1,
}

describe('dune-codec list and help', () => {
  test('list names every encoding with a description', async () => {
    const lines = (await ok('list')).trimEnd().split('\n')
    const names = lines.map((line) => line.split(/\s+/)[0])
    assert.deepEqual(names, [
      'connection_message',
      'metadata',
      'ack',
      'p2p_message',
      'point',
      'peer_id',
      'octez_message',
    ])
    for (const line of lines) assert.match(line, /^\S+\s+\S.{10,}/)
  })

  test('decode and encode help show examples', async () => {
    assert.match(await ok('decode', '--help'), /Examples:\n {2}dune-codec decode ack 00\n/)
    assert.match(await ok('encode', '--help'), /dune-codec encode ack '"Ack"'/)
    assert.match(await ok('crypto', 'nonces', '--help'), /--incoming/)
  })

  test('an unknown encoding name or command is exit 1 naming the choices', async () => {
    const r = await codec('decode', 'connection', '00')
    assert.equal(r.code, 1)
    assert.match(r.stderr, /^[^\n]*'connection' is invalid.*connection_message, metadata, ack[^\n]*\n$/)
    assert.equal((await codec('encode', 'nope', '{}')).code, 1)
    assert.equal((await codec('frobnicate')).code, 1)
  })
})

describe('dune-codec connection_message', () => {
  test('decodes the recorded messages, with their peer ids', async () => {
    assert.deepEqual(await decodeJson('connection_message', a), a_decoded)
    const decodedB = (await decodeJson('connection_message', b)) as Record<string, unknown>
    assert.equal(decodedB.peer_id, b_peer_id)
    assert.equal(decodedB.chain_name, a_decoded.chain_name)
  })

  test('re-encodes the decoded messages to the same bytes (peer_id kept or left out)', async () => {
    for (const raw of [a, b]) {
      const decoded = (await decodeJson('connection_message', raw)) as Record<string, unknown>
      assert.equal(await encodeHex('connection_message', decoded), raw)
      const { peer_id: _, ...withoutPeerId } = decoded
      assert.equal(await encodeHex('connection_message', withoutPeerId), raw)
    }
  })

  test('accepts 0x, upper case and whitespace in hex, also split over arguments', async () => {
    const spaced = `0x${a.slice(0, 20).toUpperCase()}\n ${a.slice(20, 100)}`
    assert.deepEqual(JSON.parse(await ok('decode', 'connection_message', spaced, a.slice(100))), a_decoded)
  })

  test('refuses a peer_id that is not the peer id of public_key', async () => {
    await fails(
      ['encode', 'connection_message', JSON.stringify({ ...validMessage, peer_id: b_peer_id })],
      /peer_id: idrcXJiU6wtDntNEso85aDg5nBEZyg is not the peer id of public_key \(idtBWDzTcpfNnDyoRbM1bFoXe2vuZK\)/,
    )
  })

  test('truncated input and trailing bytes name the offset and the reason', async () => {
    await fails(['decode', 'connection_message', a.slice(0, -2)], /at byte 2\b/, /short_input/)
    await fails(['decode', 'connection_message', a.slice(0, 20)], /at byte \d+/, /short_input/)
    await fails(['decode', 'connection_message', `${a}00`], /at byte 137\b/, /trailing_bytes/)
    await fails(['decode', 'connection_message', ''], /at byte 0\b/, /short_input/)
  })

  test('a chain name over the bound is refused both ways', async () => {
    const long = 'x'.repeat(129)
    await fails(
      ['encode', 'connection_message', JSON.stringify({ ...validMessage, chain_name: long })],
      /chain_name: 129 bytes long, at most 128 allowed/,
    )
    // 65 two-byte characters: 130 bytes of UTF-8.
    await fails(
      ['encode', 'connection_message', JSON.stringify({ ...validMessage, chain_name: 'é'.repeat(65) })],
      /chain_name: 130 bytes long, at most 128 allowed/,
    )
    // On the wire: the chain name's length field (at byte 84) says 129, refused before its bytes.
    const withLength = (bytes: string) => (bytes.length / 2).toString(16).padStart(4, '0') + bytes
    const fixedFields = a.slice(4, 4 + 164)
    await fails(
      ['decode', 'connection_message', withLength(`${fixedFields}00000081${'78'.repeat(10)}`)],
      /at byte 84, in connection_message\.chain_name: length 129 exceeds the bound 128 \(length_over_bound\)/,
    )
    // A whole message longer than any valid one is refused at its length prefix.
    await fails(
      ['decode', 'connection_message', withLength(`${fixedFields}00000081${'78'.repeat(129)}00000000`)],
      /at byte 0: length 219 exceeds the bound 218 \(length_over_bound\)/,
    )
  })

  test('out-of-range integers and wrong field sizes name the field and the bound', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ port: 70000 }, /port: expected an integer from 0 to 65535, got 70000/],
      [{ port: -1 }, /port: expected an integer from 0 to 65535, got -1/],
      [{ port: 1.5 }, /port: expected an integer/],
      [{ port: '9732' }, /port: expected a number, got "9732"/],
      [{ p2p_version: 65536 }, /p2p_version: expected an integer from 0 to 65535/],
      [{ public_key: 'ab' }, /public_key: expected 32 bytes \(64 hex digits\), got 1/],
      [{ message_nonce: 'zz' }, /message_nonce: .*"z" at digit 0 is not a hex digit/],
      [{ proof_of_work_stamp: 7 }, /proof_of_work_stamp: expected a hex string, got 7/],
      [{ chain: 'x' }, /Unrecognized key: "chain"/],
    ]
    for (const [change, pattern] of cases) {
      await fails(['encode', 'connection_message', JSON.stringify({ ...validMessage, ...change })], pattern)
    }
    const { p2p_version: _, ...missing } = validMessage
    await fails(['encode', 'connection_message', JSON.stringify(missing)], /p2p_version: missing/)
  })
})

describe('dune-codec ack and metadata', () => {
  test('every ack vector decodes and encodes', async () => {
    for (const { hex, decoded } of vectors.ack) {
      assert.deepEqual(await decodeJson('ack', hex), decoded)
      assert.equal(await encodeHex('ack', decoded), hex)
    }
  })

  test('every motive and up to 100 points round-trip', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...NACK_MOTIVES),
        fc.array(pointArb, { maxLength: 100 }),
        async (motive, points) => {
          const json = { Nack: { motive, potential_peers_to_connect: points } }
          assert.deepEqual(await decodeJson('ack', await encodeHex('ack', json)), json)
        },
      ),
      { numRuns: 30 },
    )
  })

  test('bad acks name the field', async () => {
    const nack = (motive: string, points: unknown) =>
      JSON.stringify({ Nack: { motive, potential_peers_to_connect: points } })
    await fails(['encode', 'ack', '"Nak"'], /expected "Ack", "Nack_v_0" or \{"Nack"/)
    await fails(['encode', 'ack', nack('bored', [])], /Nack\.motive: expected one of no_motive,/)
    await fails(
      ['encode', 'ack', nack('no_motive', Array(101).fill('1.2.3.4:5'))],
      /Nack\.potential_peers_to_connect: 101 points, at most 100 allowed/,
    )
    await fails(
      ['encode', 'ack', nack('no_motive', ['1.2.3.4:5', 'localhost:8\u00e9'])],
      /Nack\.potential_peers_to_connect\[1\]: invalid point "localhost:8é": character "é" at index 11 is not printable ASCII/,
    )
    // Not an address, but the wire carries it: encoded as given.
    const json = { Nack: { motive: 'no_motive', potential_peers_to_connect: ['localhost:80'] } }
    assert.deepEqual(await decodeJson('ack', await encodeHex('ack', json)), json)
    await fails(['decode', 'ack', '02'], /at byte 0\b/, /unknown_tag/)
    await fails(['decode', 'ack', '0000'], /at byte 1\b/, /trailing_bytes/)
    await fails(['decode', 'ack', '010006'], /at byte 1\b/, /invalid_value/)
  })

  test('metadata round-trips and refuses bad booleans', async () => {
    for (const disable_mempool of [false, true]) {
      for (const private_node of [false, true]) {
        const json = { disable_mempool, private_node }
        const hex = await encodeHex('metadata', json)
        assert.equal(hex, (disable_mempool ? 'ff' : '00') + (private_node ? 'ff' : '00'))
        assert.deepEqual(await decodeJson('metadata', hex), json)
      }
    }
    await fails(['decode', 'metadata', '0001'], /at byte 1, in metadata\.private_node/, /bad_bool/)
    await fails(['decode', 'metadata', '00'], /at byte 1\b/, /short_input/)
    await fails(
      ['encode', 'metadata', '{"disable_mempool": 1, "private_node": false}'],
      /disable_mempool: expected true or false/,
    )
  })
})

describe('dune-codec p2p_message', () => {
  const [advertise, swapMax, swapOver, empty, two] = firstOf(
    vectors.p2p_messages,
    5,
    'the P2P message vectors',
  )
  const peerId = peerIdToB58(peerIdOf(generateKeyPair().publicKey))

  test('the recorded Advertise body, framed, decodes and encodes', async () => {
    const hex = frame(3, advertise.hex)
    const json = { advertise: { points: advertise.decoded!.Advertise } }
    assert.deepEqual(await decodeJson('p2p_message', hex), json)
    assert.equal(await encodeHex('p2p_message', json), hex)
  })

  test('the recorded swap bodies, framed: 47 characters decode and encode back, 48 are over the bound', async () => {
    // "xxx…" is no address, but the wire carries it (the syntax is checked where points are used).
    assert.equal(swapMax.valid, true)
    assert.equal(swapOver.valid, false)
    const hex = frame(4, swapMax.hex)
    const peerIdHex = swapMax.hex.slice(2 * (4 + 47))
    const json = {
      swap_request: {
        point: 'x'.repeat(47),
        peer_id: JSON.parse(await ok('decode', 'peer_id', peerIdHex)).b58,
      },
    }
    assert.deepEqual(await decodeJson('p2p_message', hex), json)
    assert.equal(await encodeHex('p2p_message', json), hex)
    assert.equal(
      await encodeHex('p2p_message', { swap_request: { point: 'x'.repeat(47), peer_id: peerIdHex } }),
      hex,
    )
    await fails(
      ['decode', 'p2p_message', frame(5, swapOver.hex)],
      /at byte 6, in p2p_message\.swap_ack.*length 48 exceeds the bound 47 \(length_over_bound\)/,
    )
  })

  test('the framed vectors of size 0 and of two messages fail naming offset and reason', async () => {
    assert.equal(empty.valid, false)
    assert.equal(two.valid, false)
    await fails(
      ['decode', 'p2p_message', empty.hex],
      /at byte 0: empty message frame \(size 0\) \(empty_frame\)/,
    )
    await fails(['decode', 'p2p_message', two.hex], /at byte 6\b/, /trailing_bytes/)
  })

  test('every kind round-trips', async () => {
    const messages = [
      { disconnect: {} },
      { bootstrap: {} },
      { advertise: { points: [] } },
      { advertise: { points: Array(100).fill(LONGEST_POINT) } },
      { swap_request: { point: '10.0.0.2:9732', peer_id: peerId } },
      { swap_ack: { point: LONGEST_POINT, peer_id: peerId } },
      { application: { tag: 16, body: '' } },
      { application: { tag: 0xffff, body: 'cafebabe' } },
    ]
    for (const json of messages) {
      assert.deepEqual(await decodeJson('p2p_message', await encodeHex('p2p_message', json)), json)
    }
    assert.equal(await encodeHex('p2p_message', { disconnect: {} }), '000000020001')
    assert.equal(await encodeHex('p2p_message', { application: { tag: 0x20, body: 'ab' } }), '000000030020ab')
  })

  test('random points and application bodies round-trip', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(pointArb, { maxLength: 100 }),
        fc.integer({ min: 16, max: 0xffff }),
        fc.uint8Array({ maxLength: 200 }),
        async (points, tag, body) => {
          const advert = { advertise: { points } }
          assert.deepEqual(await decodeJson('p2p_message', await encodeHex('p2p_message', advert)), advert)
          const app = { application: { tag, body: Buffer.from(body).toString('hex') } }
          assert.deepEqual(await decodeJson('p2p_message', await encodeHex('p2p_message', app)), app)
        },
      ),
      { numRuns: 30 },
    )
  })

  test('a swap peer id may be given as hex', async () => {
    const idHex = '00112233445566778899aabbccddeeff'
    const hex = await encodeHex('p2p_message', { swap_ack: { point: '1.2.3.4:5', peer_id: idHex } })
    assert.ok(hex.endsWith(idHex))
    const decoded = (await decodeJson('p2p_message', hex)) as { swap_ack: { peer_id: string } }
    assert.equal(decoded.swap_ack.peer_id, JSON.parse(await ok('decode', 'peer_id', idHex)).b58)
  })

  test('bad messages name the field and the bound', async () => {
    const many = Array(101).fill('1.1.1.1:1')
    await fails(
      ['encode', 'p2p_message', JSON.stringify({ advertise: { points: many } })],
      /advertise\.points: 101 points, at most 100 allowed/,
    )
    await fails(
      [
        'encode',
        'p2p_message',
        JSON.stringify({ swap_request: { point: `[${'1'.repeat(45)}]:1`, peer_id: peerId } }),
      ],
      /swap_request\.point: invalid point "\[1+\]:1": 49 characters long, at most 47 allowed/,
    )
    await fails(
      ['encode', 'p2p_message', JSON.stringify({ swap_ack: { point: '1.2.3.4:5\t', peer_id: peerId } })],
      /swap_ack\.point: invalid point "1\.2\.3\.4:5\\t": character "\\t" at index 9 is not printable ASCII/,
    )
    await fails(
      ['encode', 'p2p_message', JSON.stringify({ advertise: { points: ['1.2.3.4:5', 7] } })],
      /advertise\.points\[1\]: expected a point string such as "host:port", got 7/,
    )
    await fails(
      ['encode', 'p2p_message', JSON.stringify({ swap_request: { point: '1.2.3.4:5', peer_id: 'idxx' } })],
      /swap_request\.peer_id: "idxx" is not a base58check peer id/,
    )
    await fails(
      ['encode', 'p2p_message', '{"application": {"tag": 15, "body": "abc"}}'],
      /application\.tag: expected an integer from 16 to 65535, got 15/,
      /application\.body: .*odd number of hex digits/,
    )
    await fails(['encode', 'p2p_message', '{"gossip": {}}'], /one key among "disconnect", "bootstrap"/)
    await fails(['encode', 'p2p_message', '{"disconnect": {}, "bootstrap": {}}'], /one key among/)
    await fails(['encode', 'p2p_message', '{"bootstrap": {"x": 1}}'], /bootstrap: Unrecognized key: "x"/)
    await fails(
      ['decode', 'p2p_message', '000000020006'],
      /at byte 4\b/,
      /unknown message tag 0x6 \(unknown_tag\)/,
    )
    await fails(['decode', 'p2p_message', '00000005000300'], /at byte \d+/, /short_input/)
  })
})

describe('dune-codec point and peer_id', () => {
  test('points round-trip', async () => {
    await fc.assert(
      fc.asyncProperty(pointArb, async (point) => {
        const hex = await encodeHex('point', point)
        assert.equal(hex, point.length.toString(16).padStart(8, '0') + Buffer.from(point).toString('hex'))
        assert.equal(await decodeJson('point', hex), point)
      }),
      { numRuns: 50 },
    )
  })

  test('any printable ASCII of at most 47 characters round-trips, whatever its syntax', async () => {
    for (const point of ['127.0.0.1:70000', 'a:1', 'localhost:9732', '', ' ~', 'x'.repeat(47)]) {
      const hex = point.length.toString(16).padStart(8, '0') + Buffer.from(point).toString('hex')
      assert.equal(await encodeHex('point', point), hex)
      assert.equal(await decodeJson('point', hex), point)
    }
    await fc.assert(
      fc.asyncProperty(wirePointArb, async (point) => {
        assert.equal(await decodeJson('point', await encodeHex('point', point)), point)
      }),
      { numRuns: 50 },
    )
  })

  test('bad points fail both ways', async () => {
    await fails(
      ['encode', 'point', '127.0.0.1:9732'],
      /invalid JSON .*expected JSON such as '"127\.0\.0\.1:9732"'/,
    )
    await fails(
      ['encode', 'point', JSON.stringify('x'.repeat(48))],
      /invalid point: invalid point "x{48}": 48 characters long, at most 47 allowed/,
    )
    await fails(
      ['encode', 'point', '"1.2.3.4:\u007f"'],
      /invalid point: invalid point "1\.2\.3\.4:\u007f": character "\u007f" at index 8 is not printable ASCII/,
    )
    await fails(
      ['encode', 'point', '9732'],
      /invalid point: expected a point string such as "host:port", got 9732/,
    )
    await fails(
      ['decode', 'point', '00000030'],
      /at byte 0\b.*length 48 exceeds the bound 47/,
      /length_over_bound/,
    )
    await fails(
      ['decode', 'point', `00000003${Buffer.from('a:1').toString('hex').replace('3a', '0a')}`],
      /at byte 5\b/,
      /byte 0xa in a point is not printable ASCII \(invalid_value\)/,
    )
  })

  test('peer ids decode to hex and b58 and encode from either form', async () => {
    const { public_key, peer_id } = a_decoded as { public_key: string; peer_id: string }
    const idHex = peerIdOf(Buffer.from(public_key, 'hex')).toString('hex')
    const decoded = { hex: idHex, b58: peer_id }
    assert.deepEqual(await decodeJson('peer_id', idHex), decoded)
    assert.equal(await encodeHex('peer_id', peer_id), idHex)
    assert.equal(await encodeHex('peer_id', idHex), idHex)
    assert.equal(await encodeHex('peer_id', decoded), idHex)
    await fails(['encode', 'peer_id', JSON.stringify({ hex: idHex, b58: b_peer_id })], /different peer ids/)
    await fails(['encode', 'peer_id', '"0011"'], /invalid peer_id: "0011" is not a base58check peer id/)
    await fails(['decode', 'peer_id', idHex.slice(2)], /at byte 0\b/, /short_input/)
  })
})

describe('dune-codec input errors', () => {
  test('bad hex is exit 1 with one clear line', async () => {
    await fails(['decode', 'ack', '0g'], /hex input: "g" at digit 1 is not a hex digit/)
    await fails(['decode', 'ack', '000'], /hex input: odd number of hex digits \(3\)/)
    await fails(['decode', 'ack', '0x0x00'], /"x" at digit 1 is not a hex digit/)
  })

  test('bad JSON is exit 1 with one clear line and an example', async () => {
    await fails(
      ['encode', 'metadata', '{"disable_mempool": false,'],
      /invalid JSON \(/,
      /expected JSON such as/,
    )
    await fails(['encode', 'ack', ''], /invalid JSON/)
  })

  test('errors stay on one line even when the input holds newlines', async () => {
    await fails(['encode', 'point', '"1.2.3.4\\n:5"'], /invalid point/)
  })
})

describe('dune-codec crypto', () => {
  test('nonces match the vectors for both sides', async () => {
    for (const v of vectors.nonces) {
      const out = await ok(
        'crypto',
        'nonces',
        '--sent',
        defined(messageByName[v.sent], v.sent),
        '--recv',
        defined(messageByName[v.recv], v.recv),
        v.incoming ? '--incoming' : '--outgoing',
      )
      assert.deepEqual(JSON.parse(out), { local: v.local, remote: v.remote })
    }
  })

  test('nonces need exactly one of --incoming and --outgoing, and non-empty messages', async () => {
    await fails(['crypto', 'nonces', '--sent', a, '--recv', b], /exactly one of --incoming .* or --outgoing/)
    await fails(['crypto', 'nonces', '--sent', a, '--recv', b, '--incoming', '--outgoing'], /exactly one/)
    await fails(['crypto', 'nonces', '--sent', '', '--recv', b, '--incoming'], /--sent: empty/)
    await fails(['crypto', 'nonces', '--sent', a, '--recv', 'xy', '--incoming'], /--recv: "x" at digit 0/)
    assert.equal((await codec('crypto', 'nonces', '--sent', a, '--incoming')).code, 1)
  })

  test('channel-key matches the precomputed key', async () => {
    const { secret_key, public_key, channel_key } = vectors.precomputed_key
    const out = await ok('crypto', 'channel-key', '--secret-key', secret_key, '--public-key', public_key)
    assert.deepEqual(JSON.parse(out), { channel_key })
  })

  test('channel-key refuses wrong sizes and low-order keys', async () => {
    const { secret_key, public_key } = vectors.precomputed_key
    await fails(
      ['crypto', 'channel-key', '--secret-key', secret_key.slice(2), '--public-key', public_key],
      /--secret-key: expected 32 bytes \(64 hex digits\), got 31/,
    )
    await fails(
      ['crypto', 'channel-key', '--secret-key', secret_key, '--public-key', `${public_key}00`],
      /--public-key: expected 32 bytes \(64 hex digits\), got 33/,
    )
    await fails(
      ['crypto', 'channel-key', '--secret-key', secret_key, '--public-key', '00'.repeat(32)],
      /low-order point/,
    )
  })

  test('pow-check: the vector is valid at its bits, not at many more; exit 0 valid, 1 not valid', async () => {
    for (const { public_key, stamp, target_bits, valid } of vectors.proof_of_work) {
      const check = async (bits: number) => {
        const r = await codec(
          'crypto',
          'pow-check',
          '--public-key',
          public_key,
          '--stamp',
          stamp,
          '--bits',
          String(bits),
        )
        assert.equal(r.stderr, '')
        const answer = JSON.parse(r.stdout) as { valid: boolean }
        assert.equal(r.code, answer.valid ? 0 : 1, `exit code at ${bits} bits`)
        return answer
      }
      assert.deepEqual(await check(target_bits), { valid })
      assert.deepEqual(await check(0), { valid: true })
      assert.deepEqual(await check(256), { valid: false })
    }
  })

  test('pow-check refuses wrong sizes and bits: one line, exit 2 (neither valid nor invalid)', async () => {
    const fails = async (argv: string[], pattern: RegExp) => {
      const r = await codec(...argv)
      assert.equal(r.code, 2, `exit code of ${argv.join(' ')}: ${r.stderr}`)
      assert.equal(r.stdout, '')
      assert.match(r.stderr, /^[^\n]+\n$/)
      assert.match(r.stderr, pattern)
    }
    const { public_key, stamp } = defined(vectors.proof_of_work[0], 'a proof-of-work vector')
    const args = (k: string, s: string, bits: string) => [
      'crypto',
      'pow-check',
      '--public-key',
      k,
      '--stamp',
      s,
      '--bits',
      bits,
    ]
    await fails(
      args(public_key, stamp.slice(2), '24'),
      /--stamp: expected 24 bytes \(48 hex digits\), got 23/,
    )
    await fails(args(public_key.slice(2), stamp, '24'), /--public-key: expected 32 bytes/)
    await fails(args(public_key, stamp, '300'), /--bits: expected a number from 0 to 256, got "300"/)
    await fails(args(public_key, stamp, 'many'), /--bits: expected a number from 0 to 256/)
    await fails(['crypto', 'pow-check', '--public-key', public_key], /required option/)
  })

  test('peer-id of a public key, and wrong sizes', async () => {
    const { public_key, peer_id } = a_decoded as { public_key: string; peer_id: string }
    const out = JSON.parse(await ok('crypto', 'peer-id', public_key))
    assert.equal(out.b58, peer_id)
    assert.equal(out.hex, peerIdOf(Buffer.from(public_key, 'hex')).toString('hex'))
    await fails(
      ['crypto', 'peer-id', public_key.slice(4)],
      /public key: expected 32 bytes \(64 hex digits\), got 30/,
    )
  })
})

describe('dune-codec as a process', () => {
  type Run = CliRun
  const runProcess = (args: string[]): Promise<Run> => runScript('src/cli/dune-codec.ts', args)

  test('exit codes, stdout and one-line stderr', async () => {
    const [decoded, encoded, truncated, badHex] = await Promise.all([
      runProcess(['decode', 'connection_message', a]),
      runProcess(['encode', 'ack', '"Nack_v_0"']),
      runProcess(['decode', 'connection_message', a.slice(0, -4)]),
      runProcess(['decode', 'point', '0x123']),
    ])
    assert.equal(decoded.code, 0)
    assert.deepEqual(JSON.parse(decoded.stdout), a_decoded)
    assert.equal(decoded.stderr, '')
    assert.deepEqual(encoded, { code: 0, stdout: 'ff\n', stderr: '' })
    for (const failed of [truncated, badHex]) {
      assert.equal(failed.code, 1)
      assert.equal(failed.stdout, '')
      assert.match(failed.stderr, /^[^\n]+\n$/)
    }
    assert.match(
      truncated.stderr,
      /^dune-codec: cannot decode connection_message: at byte 2\b.*\(short_input\)\n$/,
    )
    assert.match(badHex.stderr, /odd number of hex digits/)
  })
})
