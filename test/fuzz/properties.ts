// The fuzzing properties, shared by the bounded tests (test/fuzz/*.test.ts) and the long run
// (`npm run fuzz -- --minutes N`): every decoder, the stream decoder and the handshake.
import net from 'node:net'
import fc from 'fast-check'
import { authenticate, HandshakeError, HandshakeTimeoutError } from '../../src/socket/index.js'
import {
  ackEncoding,
  advertiseBodyEncoding,
  type ConnectionMessage,
  connectionMessageEncoding,
  DecodeError,
  decode,
  type Encoding,
  encode,
  metadataEncoding,
  type P2pMessage,
  peerIdEncoding,
  pointEncoding,
  rawMessages,
  StreamDecoder,
  swapBodyEncoding,
} from '../../src/wire/index.js'
import { EvilPeer, honestConnectionMessage } from '../adversarial/support/evil-peer.js'
import { defined } from '../support/defined.js'
import { testIdentity } from '../support/identities.js'
import { type Chat, chatMessages } from '../support/p2p-nodes.js'
import { handshakeConfig } from '../support/socket-pair.js'

// biome-ignore lint/suspicious/noExplicitAny: properties of any argument types, sync or async
export type AnyProperty = fc.IRawProperty<any, boolean>

/** A property, opened (with whatever it runs against) for one batch of runs and closed after. */
export interface FuzzProperty {
  readonly name: string
  /** Runs of the bounded test. */
  readonly runs: number
  open(): Promise<{ property: AnyProperty; close(): Promise<void> }>
}

const sync = (name: string, runs: number, property: () => AnyProperty): FuzzProperty => ({
  name,
  runs,
  open: async () => ({ property: property(), close: async () => {} }),
})

/** Decoding `bytes` gives a value or a DecodeError, nothing else; a value re-encodes to exactly `bytes`. */
function decodesCanonicallyOrFails<T>(encoding: Encoding<T>, bytes: Buffer): void {
  let value: T
  try {
    value = decode(encoding, bytes)
  } catch (err) {
    if (err instanceof DecodeError) return
    throw err
  }
  const again = encode(encoding, value)
  if (!again.equals(bytes))
    throw new Error(
      `${encoding.name}: decoded then encoded to ${again.toString('hex')}, not ${bytes.toString('hex')}`,
    )
}

const bytesArb = (maxLength: number) => fc.uint8Array({ maxLength }).map((a) => Buffer.from(a))
const fixed = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((a) => Buffer.from(a))
const printable = (maxLength: number) =>
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength })
const u16 = fc.integer({ min: 0, max: 0xffff })

const connectionMessageArb: fc.Arbitrary<ConnectionMessage> = fc.record({
  port: u16,
  publicKey: fixed(32),
  proofOfWorkStamp: fixed(24),
  messageNonce: fixed(24),
  chainName: fc.string({ maxLength: 40 }).filter((s) => Buffer.byteLength(s) <= 128),
  distributedDbVersion: u16,
  p2pVersion: u16,
})

const pointArb = printable(47)
const p2pMessageArb: fc.Arbitrary<P2pMessage<Chat>> = fc.oneof(
  fc.constant({ kind: 'bootstrap' as const }),
  fc.array(pointArb, { maxLength: 100 }).map((points) => ({ kind: 'advertise' as const, points })),
  fc.record({ point: pointArb, peerId: fixed(16) }).map((s) => ({ kind: 'swap_request' as const, ...s })),
  fc.record({ point: pointArb, peerId: fixed(16) }).map((s) => ({ kind: 'swap_ack' as const, ...s })),
  fc
    .string({ maxLength: 300 })
    .filter((s) => Buffer.byteLength(s) <= 1024)
    .map((value) => ({ kind: 'application' as const, message: { name: 'chat' as const, value } })),
)

/** A byte-level change to a valid encoding. */
type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
)

function mutate(bytes: Buffer, mutations: readonly Mutation[]): Buffer {
  let out = Buffer.from(bytes)
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % (out.length + (m.kind === 'insert' ? 1 : 0))
    if (m.kind === 'flip' && out.length > 0) out[at] = defined(out[at]) ^ (1 << m.bit)
    else if (m.kind === 'truncate') out = out.subarray(0, at)
    else if (m.kind === 'insert') out = Buffer.concat([out.subarray(0, at), m.bytes, out.subarray(at)])
  }
  return out
}

const raw = rawMessages({ maxBodySize: 4096 })

/** Every decoder of the wire layer with a generator of its valid values. */
const decoders: Array<[string, Encoding<unknown>, fc.Arbitrary<unknown>]> = [
  ['connection message', connectionMessageEncoding as Encoding<unknown>, connectionMessageArb],
  [
    'metadata',
    metadataEncoding as Encoding<unknown>,
    fc.record({ disableMempool: fc.boolean(), privateNode: fc.boolean() }),
  ],
  [
    'ack',
    ackEncoding as Encoding<unknown>,
    fc.oneof(
      fc.constant({ kind: 'ack' }),
      fc.constant({ kind: 'nack_v0' }),
      fc.record({
        kind: fc.constant('nack'),
        motive: fc.constantFrom('no_motive', 'too_many_connections', 'already_connected'),
        potentialPeersToConnect: fc.array(pointArb, { maxLength: 100 }),
      }),
    ),
  ],
  ['point', pointEncoding as Encoding<unknown>, pointArb],
  ['peer id', peerIdEncoding as Encoding<unknown>, fixed(16)],
  ['advertise body', advertiseBodyEncoding as Encoding<unknown>, fc.array(pointArb, { maxLength: 100 })],
  ['swap body', swapBodyEncoding as Encoding<unknown>, fc.record({ point: pointArb, peerId: fixed(16) })],
  ['p2p message (application registry)', chatMessages.encoding as Encoding<unknown>, p2pMessageArb],
]

const decoderProperties: FuzzProperty[] = decoders.flatMap(([name, encoding, valid]) => [
  sync(`${name}: arbitrary bytes decode canonically or fail with a DecodeError`, 300, () =>
    fc.property(bytesArb(300), (bytes) => decodesCanonicallyOrFails(encoding, bytes)),
  ),
  sync(`${name}: valid encodings mutated decode canonically or fail with a DecodeError`, 300, () =>
    fc.property(valid, fc.array(mutationArb, { maxLength: 3 }), (value, mutations) => {
      const bytes = encode(encoding, value)
      decodesCanonicallyOrFails(encoding, bytes)
      decodesCanonicallyOrFails(encoding, mutate(bytes, mutations))
    }),
  ),
])

const streamProperties: FuzzProperty[] = [
  sync('raw registry: arbitrary frame contents give a message or a DecodeError', 300, () =>
    fc.property(bytesArb(200), (bytes) => {
      try {
        raw.decodeBody(bytes, 0, bytes.length)
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err
      }
    }),
  ),
  sync(
    'stream decoder: any split of a run of frames (maybe corrupted) gives what whole decoding gives',
    200,
    () =>
      fc.property(
        fc.array(p2pMessageArb, { minLength: 1, maxLength: 8 }),
        fc.array(mutationArb, { maxLength: 1 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (messages, mutations, cuts) => {
          const stream = mutate(
            Buffer.concat(messages.map((m) => encode(chatMessages.encoding, m))),
            mutations,
          )
          const whole = collect(new StreamDecoder(chatMessages.encoding), [stream])
          const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b)
          const pieces = [0, ...points, stream.length]
            .slice(1)
            .map((end, i, ends) => stream.subarray(i === 0 ? 0 : ends[i - 1], end))
          const split = collect(new StreamDecoder(chatMessages.encoding), pieces)
          if (JSON.stringify(split) !== JSON.stringify(whole))
            throw new Error(`split decoding differs: ${JSON.stringify(split)} vs ${JSON.stringify(whole)}`)
        },
      ),
  ),
]

/** Values decoded from `pieces` fed in order, then the error (its reason and offset) if any. */
function collect(decoder: StreamDecoder<unknown>, pieces: Buffer[]): unknown[] {
  const out: unknown[] = []
  try {
    for (const piece of pieces) {
      decoder.push(piece)
      for (const v of decoder) out.push(v)
    }
    decoder.end()
    for (const v of decoder) out.push(v)
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err
    out.push({ error: err.reason, offset: err.offset })
  }
  return out
}

/**
 * The handshake as a state machine: a dialer sends its connection message and its metadata and
 * Ack chunks, each possibly mutated, then closes; the accepting side always ends with a live
 * connection, a refusal or a HandshakeError (never another error, never its timeout), and an
 * unmutated handshake always succeeds.
 */
const handshakeProperty: FuzzProperty = {
  name: 'handshake: mutated handshakes end in a connection, a refusal or a HandshakeError, never a hang',
  runs: 120,
  async open() {
    const outcomes: Array<(outcome: string) => void> = []
    const config = handshakeConfig({ authenticationTimeoutMs: 3000 })
    const server = net.createServer((socket) => {
      const report = outcomes.shift()!
      authenticate(socket, true, config)
        .then(async (pending) => {
          if (!pending.peer.version.ok) {
            await pending.nack(pending.peer.version.motive)
            return 'refused'
          }
          const result = await pending.accept()
          result.socket.destroy()
          return 'connected'
        })
        .catch((err: unknown) => {
          if (err instanceof HandshakeTimeoutError) return `hang: ${err.message}`
          if (err instanceof HandshakeError) return 'failed'
          return `unexpected ${String(err)}`
        })
        .then(report)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.36.0.1', resolve))
    const port = (server.address() as net.AddressInfo).port
    const identity = testIdentity(4)
    const property = fc.asyncProperty(
      fc.array(mutationArb, { maxLength: 2 }),
      fc.array(mutationArb, { maxLength: 2 }),
      async (connectionMutations, tailMutations) => {
        const outcome = new Promise<string>((resolve) => outcomes.push(resolve))
        const evil = await EvilPeer.dial('127.36.0.1', port, { localAddress: '127.36.0.2', identity })
        try {
          const message = mutate(
            encode(connectionMessageEncoding, {
              ...honestConnectionMessage(identity),
              chainName: 'DUNE_TEST',
            }),
            connectionMutations,
          )
          evil.sendConnectionMessage(message)
          await evil.readConnectionMessage()
          evil.deriveCipher()
          const { metadata, ack } = evil.honestTail()
          evil.send(mutate(Buffer.concat([metadata, ack]), tailMutations))
          evil.socket.end()
        } catch {
          // the node closed first: its outcome tells why
        }
        const result = await outcome
        evil.destroy()
        if (result !== 'connected' && result !== 'refused' && result !== 'failed') throw new Error(result)
        if (connectionMutations.length + tailMutations.length === 0 && result !== 'connected')
          throw new Error(`an honest handshake ended ${result}`)
      },
    )
    return { property, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
  },
}

/** Every property, in the order the long run cycles through them. */
export const properties: readonly FuzzProperty[] = [
  ...decoderProperties,
  ...streamProperties,
  handshakeProperty,
]

/** A short report of a failed check, with the seed and path to replay it. */
export function describeFailure(name: string, details: fc.RunDetails<unknown>): string {
  return [
    `property failed: ${name}`,
    `  seed ${details.seed}, path "${details.counterexamplePath}" (replay: fc.assert(p, { seed, path }))`,
    `  counterexample: ${fc.stringify(details.counterexample)}`,
    `  error: ${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`,
  ].join('\n')
}
