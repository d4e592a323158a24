// `dune-codec session decode`: the recorded Carthagenet session as a process (chunk and tag
// counts, the Received MAC failure, exit 2), a synthetic session cut at every byte, and bad input.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { main } from '../../src/cli/dune-codec.js'
import { ChunkCipher, channelKey, deriveNonces, generateKeyPair, MAC_BYTES } from '../../src/crypto/index.js'
import { encodeConnectionMessage } from '../../src/wire/connection-message.js'
import { type CliRun, runScript } from '../support/cli.js'
import { defined } from '../support/defined.js'
import { vectorsDir } from '../support/vectors.js'

const capturePath = join(vectorsDir, 'recorded-session.csv')
const identityPath = join(vectorsDir, 'recorded-session-identity.json')
const work = mkdtempSync(join(tmpdir(), 'dune-codec-session-'))

type Run = CliRun

const runProcess = (args: string[]): Promise<Run> => runScript('src/cli/dune-codec.ts', args)

async function codec(...argv: string[]): Promise<Run> {
  let stdout = ''
  let stderr = ''
  const code = await main(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  })
  return { code, stdout, stderr }
}

type Line = Record<string, unknown> & { direction: string; index: number; record: number }
const parseLines = (stdout: string): Line[] =>
  stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Line)

let fileCount = 0
function file(text: string): string {
  const path = join(work, `f${fileCount++}`)
  writeFileSync(path, text)
  return path
}

/** Runs `session decode` on a capture given as text; expects success (0) or an incomplete decoding (2). */
async function decodeText(captureText: string, identity = identityPath, ...flags: string[]): Promise<Run> {
  return codec('session', 'decode', '--identity', identity, ...flags, file(captureText))
}

/** Runs a session decode that must fail as bad input: exit 1, nothing on stdout, one line on stderr. */
async function refused(captureText: string, identity: string, pattern: RegExp): Promise<void> {
  const r = await decodeText(captureText, identity)
  assert.equal(r.code, 1, r.stderr)
  assert.equal(r.stdout, '')
  assert.match(r.stderr, /^dune-codec: [^\n]+\n$/)
  assert.match(r.stderr, pattern)
}

const recorded = readFileSync(capturePath, 'utf8')
const rows = recorded.trim().split('\n')

describe('session decode: the recorded session', () => {
  test('5,474 Sent chunks with the recorded tags, 4 Received ones then the MAC failure, exit 2', async () => {
    const r = await runProcess(['session', 'decode', '--identity', identityPath, capturePath])
    assert.equal(r.stderr, '')
    assert.equal(r.code, 2)
    const lines = parseLines(r.stdout)
    const sent = lines.filter((l) => l.direction === 'Sent')
    const received = lines.filter((l) => l.direction === 'Received')

    const firstSent = defined(sent[0], 'the first Sent line')
    assert.equal(firstSent.index, 0)
    const sentMessage = firstSent.connection_message as Record<string, unknown>
    assert.equal(sentMessage.chain_name, 'TEZOS_ALPHANET_CARTHAGE_2019-11-28T13:02:13Z')
    assert.equal(sentMessage.peer_id, 'idqjq34sB6uHWdFzJDB97zwXAdHASb')
    const encrypted = sent.slice(1)
    assert.equal(encrypted.length, 5474)
    assert.deepEqual(
      encrypted.map((l) => l.index),
      encrypted.map((_, i) => i + 1),
    )
    assert.ok(encrypted.every((l) => l.error === undefined && l.stopped === undefined))
    assert.deepEqual(encrypted[0]?.metadata, { disable_mempool: false, private_node: false })
    assert.equal(encrypted[1]?.ack, 'Ack')
    const tags: Record<string, number> = {}
    for (const line of encrypted.slice(2)) {
      const message = line.p2p_message as Record<string, { tag?: number }>
      const key =
        message.application === undefined
          ? (Object.keys(message)[0] ?? '(none)')
          : `0x${message.application.tag?.toString(16)}`
      tags[key] = (tags[key] ?? 0) + 1
    }
    assert.deepEqual(tags, { '0x60': 3382, '0x20': 2071, '0x30': 8, '0x10': 6, advertise: 3, '0x11': 2 })

    assert.deepEqual(
      received.map((l) => [l.index, l.record]),
      [
        [0, 2],
        [1, 4],
        [2, 6],
        [3, 8],
        [4, 10],
        [5, 12],
      ],
    )
    assert.equal(received[2]?.ack, 'Ack')
    assert.deepEqual(received[3]?.p2p_message, { application: { tag: 16, body: '9caecab9' } })
    assert.equal(received[5]?.stopped, 'mac_failure')
    assert.match(received[5]?.error as string, /MAC verification failed.*gap/)
    // Received stopped at record 12, Sent went on to the end of the capture.
    assert.ok(defined(sent.at(-1), 'the last Sent line').record > 5000)
  })

  test('--dialer remote: both directions stop at their first encrypted chunk with a hint', async () => {
    const r = await decodeText(rows.slice(0, 12).join('\n'), identityPath, '--dialer', 'remote')
    assert.equal(r.code, 2)
    const stops = parseLines(r.stdout).filter((l) => l.stopped !== undefined)
    assert.deepEqual(
      stops.map((l) => [l.direction, l.index, l.stopped]),
      [
        ['Sent', 1, 'mac_failure'],
        ['Received', 1, 'mac_failure'],
      ],
    )
    for (const stop of stops) assert.match(stop.error as string, /opens with --dialer local/)
  })

  test('a damaged Sent chunk stops Sent there; Received goes on', async () => {
    const damaged = rows.slice(0, 12)
    const row = defined(damaged[3], 'row 3')
    damaged[3] = `Sent,${row.slice(5, -2)}${row.endsWith('00') ? '01' : '00'}`
    const r = await decodeText(damaged.join('\n'))
    assert.equal(r.code, 2)
    const lines = parseLines(r.stdout)
    assert.deepEqual(
      lines.filter((l) => l.direction === 'Sent').map((l) => [l.index, l.stopped ?? 'ok']),
      [
        [0, 'ok'],
        [1, 'mac_failure'],
      ],
    )
    assert.equal(lines.filter((l) => l.direction === 'Received' && l.stopped === undefined).length, 5)
  })

  test('a capture ending inside a chunk says so', async () => {
    const cut = rows.slice(0, 5) // the header and records 1 to 4
    cut.push(defined(rows[5], 'row 5').slice(0, -6)) // record 5, the Sent Ack, without its last 3 bytes
    const r = await decodeText(cut.join('\n'))
    assert.equal(r.code, 2)
    const last = parseLines(r.stdout).at(-1) as Line
    assert.deepEqual([last.direction, last.index, last.record, last.stopped], ['Sent', 2, 5, 'truncated'])
    assert.match(last.error as string, /the capture ends 14 bytes into a chunk of 17/)
  })
})

describe('session decode: a synthetic session, reads cut anywhere', () => {
  const local = generateKeyPair()
  const remote = generateKeyPair()
  const connection = (publicKey: Buffer) =>
    encodeConnectionMessage({
      port: 9732,
      publicKey,
      proofOfWorkStamp: Buffer.alloc(24, 1),
      messageNonce: Buffer.alloc(24, 2),
      chainName: 'DUNE_TEST',
      distributedDbVersion: 0,
      p2pVersion: 1,
    })
  const sentRaw = connection(local.publicKey)
  const receivedRaw = connection(remote.publicKey)
  const identity = file(JSON.stringify({ secret_key: local.secretKey.toString('hex') }))

  const key = channelKey(local.secretKey, remote.publicKey)

  /** The wire chunks of `plaintexts` sent in `direction` of a connection the remote side dialed. */
  function sealed(direction: 'Sent' | 'Received', plaintexts: Buffer[]): Buffer {
    const nonces = deriveNonces(sentRaw, receivedRaw, true)
    const nonce = direction === 'Sent' ? nonces.local : nonces.remote
    const cipher = new ChunkCipher(key, nonce, nonce)
    return Buffer.concat(
      plaintexts.map((plain) => {
        const out = Buffer.alloc(2 + plain.length + MAC_BYTES)
        out.writeUInt16BE(plain.length + MAC_BYTES)
        cipher.seal(plain, out, 2)
        return out
      }),
    )
  }

  test('a message across two chunks, Received in one-byte reads, with --dialer remote', async () => {
    const frame = Buffer.from('0000000800200102030405ff', 'hex') // size 8, tag 0x20, 6 bytes of body
    const bootstrap = Buffer.from('000000020002', 'hex')
    const sentWire = sealed('Sent', [
      Buffer.from('00ff', 'hex'),
      Buffer.from('00', 'hex'),
      frame.subarray(0, 7),
      frame.subarray(7),
    ])
    const receivedWire = sealed('Received', [Buffer.from('0000', 'hex'), Buffer.from('00', 'hex'), bootstrap])
    const capture = [
      'direction,message',
      `Sent,${sentRaw.toString('hex')}`,
      ...[...Buffer.concat([receivedRaw, receivedWire])].map(
        (byte) => `Received,${byte.toString(16).padStart(2, '0')}`,
      ),
      `Sent,${sentWire.toString('hex')}`,
    ].join('\n')
    const r = await decodeText(capture, identity, '--dialer', 'remote')
    assert.equal(r.stderr, '')
    assert.equal(r.code, 0)
    const lines = parseLines(r.stdout)
    const pick = (direction: string) =>
      lines.filter((l) => l.direction === direction).map(({ direction: _, record: __, ...rest }) => rest)
    assert.deepEqual(pick('Received').slice(1), [
      { index: 1, size: 2, metadata: { disable_mempool: false, private_node: false } },
      { index: 2, size: 1, ack: 'Ack' },
      { index: 3, size: 6, p2p_message: { bootstrap: {} } },
    ])
    assert.deepEqual(pick('Sent').slice(1), [
      { index: 1, size: 2, metadata: { disable_mempool: false, private_node: true } },
      { index: 2, size: 1, ack: 'Ack' },
      { index: 3, size: 7, p2p_message_part: { bytes: 7, of: 12 } },
      {
        index: 4,
        size: 5,
        p2p_message_from: 3,
        p2p_message: { application: { tag: 32, body: '0102030405ff' } },
      },
    ])
  })
})

describe('session decode: bad input is one line and exit 1', () => {
  const head = rows.slice(0, 6).join('\n')

  test('an identity without a secret key', async () => {
    await refused(head, file('{"peer_id": "idqjq34sB6uHWdFzJDB97zwXAdHASb"}'), /has no "secret_key"/)
    await refused(head, file('not json'), /is not valid JSON/)
  })

  test('the identity of the other side', async () => {
    const other = generateKeyPair()
    await refused(
      head,
      file(JSON.stringify({ secret_key: other.secretKey.toString('hex') })),
      /not the identity's/,
    )
  })

  test('a capture that does not start with the connection messages', async () => {
    await refused(
      [rows[0], ...rows.slice(3, 8)].join('\n'),
      identityPath,
      /record 1 \(Sent\) does not start with a connection message/,
    )
    await refused(rows.slice(0, 2).join('\n'), identityPath, /no Received records/)
  })

  test('odd hex, an unknown direction, a row of three fields', async () => {
    await refused(`${head}\nSent,abc`, identityPath, /line 7: odd number of hex digits/)
    await refused(`${head}\nSend,abcd`, identityPath, /line 7: unknown direction "Send"/)
    await refused(`${head}\nSent,ab,cd`, identityPath, /line 7: expected "direction,hex"/)
  })

  test('a missing file, and a bad process run', async () => {
    await refused(head, join(work, 'missing.json'), /cannot read the identity .*missing\.json/)
    const r = await runProcess(['session', 'decode', '--identity', identityPath, file(`${head}\nSent,zz`)])
    assert.equal(r.code, 1)
    assert.equal(r.stdout, '')
    assert.match(r.stderr, /^dune-codec: .*line 7: "z" at digit 0 is not a hex digit[^\n]*\n$/)
  })
})
