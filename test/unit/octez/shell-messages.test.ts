// The Octez shell message set: every message's tag, its bounds (an oversized body, list or
// field is a DecodeError on decode and an EncodeError on encode) and a round-trip property.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import {
  BLOCK_HASH,
  BLOCK_HEADER_MAX_SIZE,
  type BlockHeader,
  CHAIN_ID,
  CONTEXT_HASH,
  hashFromB58,
  hashToB58,
  MEMPOOL_MAX_SIZE,
  type OctezMessage,
  OPERATION_HASH,
  OPERATION_LIST_LIST_HASH,
  OPERATION_MAX_SIZE,
  type OperationPath,
  octezMessageDefinitions,
  octezMessages,
  PROTOCOL_HASH,
  spokenAt,
} from '../../../src/octez/index.js'
import { DecodeError, EncodeError } from '../../../src/wire/errors.js'
import type { P2pMessage } from '../../../src/wire/p2p-message.js'

type Msg = P2pMessage<OctezMessage>

const frameOf = (m: Msg): Buffer => {
  const out = Buffer.alloc(octezMessages.sizeOf(m))
  octezMessages.writeFrame(m, out, 0)
  return out
}
const decodeFrame = (frame: Buffer): Msg => octezMessages.decodeBody(frame, 4, frame.length)
const app = (message: OctezMessage): Msg => ({ kind: 'application', message })
/** A frame of `tag` and `body`. */
const rawFrame = (tag: number, body: Buffer): Buffer => {
  const f = Buffer.alloc(6 + body.length)
  f.writeUInt32BE(2 + body.length, 0)
  f.writeUInt16BE(tag, 4)
  body.copy(f, 6)
  return f
}
const decodeErr = (reason: string) => (err: unknown) => err instanceof DecodeError && err.reason === reason
const encodeErr = (reason: string) => (err: unknown) => err instanceof EncodeError && err.reason === reason

const hash = (k: typeof BLOCK_HASH, byte: number): string => hashToB58(k, Buffer.alloc(k.size, byte))
const chainId = hash(CHAIN_ID, 1)
const block = hash(BLOCK_HASH, 2)
const header = (protocolData = Buffer.alloc(0)): BlockHeader => ({
  level: 1_000_000,
  proto: 3,
  predecessor: block,
  timestamp: 1_700_000_000n,
  validationPass: 4,
  operationsHash: hash(OPERATION_LIST_LIST_HASH, 3),
  fitness: [Buffer.from('02', 'hex'), Buffer.from('000f4240', 'hex')],
  context: hash(CONTEXT_HASH, 4),
  protocolData,
})

describe('Octez shell messages: tags and base58', () => {
  test("Octez's tags", () => {
    const tags = Object.fromEntries(Object.entries(octezMessageDefinitions).map(([n, d]) => [n, d.tag]))
    assert.deepEqual(tags, {
      get_current_branch: 0x10,
      current_branch: 0x11,
      deactivate: 0x12,
      get_current_head: 0x13,
      current_head: 0x14,
      get_block_headers: 0x20,
      block_header: 0x21,
      get_operations: 0x30,
      operation: 0x31,
      get_protocols: 0x40,
      protocol: 0x41,
      get_operation_hashes_for_blocks: 0x50,
      operation_hashes_for_blocks: 0x51,
      get_operations_for_blocks: 0x60,
      operations_for_blocks: 0x61,
      get_checkpoint: 0x70,
      checkpoint: 0x71,
      get_protocol_branch: 0x80,
      protocol_branch: 0x81,
      get_predecessor_header: 0x90,
      predecessor_header: 0x91,
    })
  })

  test("Octez's printed forms: mainnet chain id and genesis, a protocol hash", () => {
    assert.equal(hashToB58(CHAIN_ID, Buffer.from('7a06a770', 'hex')), 'NetXdQprcVkpaWU')
    const genesis = '8fcf233671b6a04fcf679d2a381c2544ea6c1ea29ba6157776ed8424c7ccd00b'
    assert.equal(
      hashToB58(BLOCK_HASH, Buffer.from(genesis, 'hex')),
      'BLockGenesisGenesisGenesisGenesisGenesisf79b5d1CoW2',
    )
    assert.equal(
      hashFromB58(BLOCK_HASH, 'BLockGenesisGenesisGenesisGenesisGenesisf79b5d1CoW2').toString('hex'),
      genesis,
    )
    assert.ok(hash(PROTOCOL_HASH, 0).startsWith('P'))
    assert.ok(hash(OPERATION_HASH, 0).startsWith('o'))
  })

  test('a hash of the wrong kind or checksum is an EncodeError naming the expected prefix', () => {
    const m = app({ name: 'get_current_head', value: { chainId: block } })
    assert.throws(
      () => frameOf(m),
      (err: unknown) => err instanceof EncodeError && /starts with "Net"/.test(err.message),
    )
    const broken = `${chainId.slice(0, -1)}${chainId.endsWith('1') ? '2' : '1'}`
    assert.throws(
      () => frameOf(app({ name: 'deactivate', value: { chainId: broken } })),
      encodeErr('invalid_value'),
    )
  })

  test('which messages a peer of each distributed_db_version understands', () => {
    assert.equal(spokenAt('get_current_head', 0), true)
    assert.equal(spokenAt('get_checkpoint', 0), false)
    assert.equal(spokenAt('get_checkpoint', 2), true)
    assert.equal(spokenAt('get_operation_hashes_for_blocks', 0), false)
  })
})

describe('Octez shell messages: bounds', () => {
  test("every message's body bound: one byte more is refused before decoding", () => {
    for (const [name, def] of Object.entries(octezMessageDefinitions)) {
      if (def.maxSize >= 16 * 1024 * 1024) continue
      const frame = rawFrame(def.tag, Buffer.alloc(def.maxSize + 1))
      assert.throws(
        () => decodeFrame(frame),
        (err: unknown) =>
          err instanceof DecodeError &&
          err.reason === 'length_over_bound' &&
          // The largest message (current_head) meets the frame's bound first.
          (err.message.includes(name) || err.message.includes(`frame size ${frame.length - 4}`)),
        name,
      )
    }
  })

  test('request lists hold at most 10 hashes', () => {
    const ok = app({ name: 'get_block_headers', value: { blockHashes: Array(10).fill(block) } })
    assert.deepEqual(decodeFrame(frameOf(ok)), ok)
    const over = { name: 'get_block_headers', value: { blockHashes: Array(11).fill(block) } } as const
    assert.throws(() => frameOf(app(over)), encodeErr('too_many_elements'))
    const body = Buffer.concat([Buffer.from([0, 0, 0x01, 0x60]), Buffer.alloc(11 * 32)])
    // 11 hashes take more bytes than the list's (and the body's) bound: refused before reading them.
    for (const tag of [0x20, 0x30, 0x40])
      assert.throws(() => decodeFrame(rawFrame(tag, body)), decodeErr('length_over_bound'))
    const passes = Buffer.concat([Buffer.from([0, 0, 0x01, 0x6b]), Buffer.alloc(11 * 33)])
    for (const tag of [0x50, 0x60])
      assert.throws(() => decodeFrame(rawFrame(tag, passes)), decodeErr('length_over_bound'))
  })

  test('a block header is at most 8 MiB', () => {
    const fixed = 4 + 1 + 32 + 8 + 1 + 32 + 4 + 2 * 4 + 5 + 32
    const fits = app({
      name: 'block_header',
      value: { blockHeader: header(Buffer.alloc(BLOCK_HEADER_MAX_SIZE - fixed)) },
    })
    assert.equal(frameOf(fits).length, 6 + BLOCK_HEADER_MAX_SIZE)
    const over = app({
      name: 'checkpoint',
      value: { chainId, header: header(Buffer.alloc(BLOCK_HEADER_MAX_SIZE - fixed + 1)) },
    })
    assert.throws(() => frameOf(over), encodeErr('length_over_bound'))
  })

  test('an operation is at most 128 KiB', () => {
    const over = app({
      name: 'operation',
      value: { operation: { branch: block, data: Buffer.alloc(OPERATION_MAX_SIZE - 31) } },
    })
    assert.throws(() => frameOf(over), encodeErr('length_over_bound'))
    const body = Buffer.alloc(OPERATION_MAX_SIZE + 1)
    assert.throws(() => decodeFrame(rawFrame(0x31, body)), decodeErr('length_over_bound'))
  })

  test('a mempool is at most 128,008 bytes (3,999 hashes), in a Current_head', () => {
    const op = hash(OPERATION_HASH, 5)
    const mempool = (n: number) => ({ knownValid: Array(n).fill(op), pending: [] })
    const ok = app({
      name: 'current_head',
      value: { chainId, currentBlockHeader: header(), currentMempool: mempool(3999) },
    })
    assert.deepEqual(decodeFrame(frameOf(ok)), ok)
    const over = { chainId, currentBlockHeader: header(), currentMempool: mempool(4000) }
    assert.throws(() => frameOf(app({ name: 'current_head', value: over })), encodeErr('length_over_bound'))
    // The same mempool on the wire: its three prefixes and 4,000 hashes.
    const h = frameOf(app({ name: 'block_header', value: { blockHeader: header() } })).subarray(6)
    const pool = Buffer.alloc(4 + 4000 * 32 + 8)
    pool.writeUInt32BE(4000 * 32, 0)
    pool.writeUInt32BE(4, 4 + 4000 * 32)
    const sizePrefix = Buffer.alloc(4)
    sizePrefix.writeUInt32BE(h.length)
    const body = Buffer.concat([Buffer.alloc(4, 1), sizePrefix, h, pool])
    assert.ok(pool.length > MEMPOOL_MAX_SIZE)
    assert.throws(() => decodeFrame(rawFrame(0x14, body)), decodeErr('length_over_bound'))
  })

  test('a block locator lists at most 1000 predecessors', () => {
    const locator = (n: number) => ({ currentHead: header(), history: Array(n).fill(block) })
    const ok = app({ name: 'current_branch', value: { chainId, currentBranch: locator(1000) } })
    const frame = frameOf(ok)
    assert.deepEqual(decodeFrame(frame), ok)
    assert.throws(
      () => frameOf(app({ name: 'current_branch', value: { chainId, currentBranch: locator(1001) } })),
      encodeErr('too_many_elements'),
    )
    const longer = Buffer.concat([frame.subarray(4), Buffer.alloc(32)])
    assert.throws(() => decodeFrame(rawFrame(0x11, longer.subarray(2))), decodeErr('too_many_elements'))
  })

  test('an operation path is at most 3 levels deep (100 bytes)', () => {
    const llo = hash(OPERATION_LIST_LIST_HASH, 6)
    let path: OperationPath = { kind: 'op' }
    for (let i = 0; i < 3; i++)
      path = i % 2 ? { kind: 'left', path, right: llo } : { kind: 'right', left: llo, path }
    const ok = app({
      name: 'operations_for_blocks',
      value: { hash: block, validationPass: 2, operationHashesPath: path, operations: [] },
    })
    assert.deepEqual(decodeFrame(frameOf(ok)), ok)
    const deeper = { kind: 'left', path, right: llo } as const
    const over = { ...(ok.kind === 'application' ? ok.message.value : {}), operationHashesPath: deeper }
    assert.throws(
      () => frameOf(app({ name: 'operations_for_blocks', value: over as never })),
      encodeErr('length_over_bound'),
    )
    const body = Buffer.concat([
      Buffer.alloc(33),
      Buffer.from([0xf0, 0xf0, 0xf0, 0xf0, 0x00]),
      Buffer.alloc(4 * 32),
    ])
    assert.throws(() => decodeFrame(rawFrame(0x61, body)), decodeErr('length_over_bound'))
    assert.throws(
      () => decodeFrame(rawFrame(0x61, Buffer.concat([Buffer.alloc(33), Buffer.from([0x42])]))),
      decodeErr('unknown_tag'),
    )
  })

  test('the operations of one pass are at most 1 MiB', () => {
    const operations = Array.from({ length: 9 }, () => ({ branch: block, data: Buffer.alloc(120 * 1024) }))
    const m = { hash: block, validationPass: 0, operationHashesPath: { kind: 'op' } as const, operations }
    assert.throws(
      () => frameOf(app({ name: 'operations_for_blocks', value: m })),
      encodeErr('length_over_bound'),
    )
    const ok = { ...m, operations: operations.slice(0, 8) }
    assert.deepEqual(
      decodeFrame(frameOf(app({ name: 'operations_for_blocks', value: ok }))),
      app({ name: 'operations_for_blocks', value: ok }),
    )
  })

  test('a protocol is at most 2 MiB', () => {
    const protocol = (size: number) => ({
      expectedEnvVersion: 17,
      components: [{ name: 'Main', interface: undefined, implementation: 'x'.repeat(size) }],
    })
    const ok = app({ name: 'protocol', value: { protocol: protocol(1000) } })
    assert.deepEqual(decodeFrame(frameOf(ok)), ok)
    assert.throws(
      () => frameOf(app({ name: 'protocol', value: { protocol: protocol(2 * 1024 * 1024) } })),
      encodeErr('length_over_bound'),
    )
  })
})

// ---------------------------------------------------------------------------------------------
// Round trip

const bytesArb = (max: number) => fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b))
const hashArb = (k: typeof BLOCK_HASH) =>
  fc.uint8Array({ minLength: k.size, maxLength: k.size }).map((b) => hashToB58(k, b))
const chainArb = hashArb(CHAIN_ID)
const blockArb = hashArb(BLOCK_HASH)
const opArb = hashArb(OPERATION_HASH)
const headerArb: fc.Arbitrary<BlockHeader> = fc.record({
  level: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  proto: fc.integer({ min: 0, max: 255 }),
  predecessor: blockArb,
  timestamp: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  validationPass: fc.integer({ min: 0, max: 255 }),
  operationsHash: hashArb(OPERATION_LIST_LIST_HASH),
  fitness: fc.array(bytesArb(16), { maxLength: 5 }),
  context: hashArb(CONTEXT_HASH),
  protocolData: bytesArb(64),
})
const locatorArb = fc.record({ currentHead: headerArb, history: fc.array(blockArb, { maxLength: 5 }) })
const passArb = fc.record({ hash: blockArb, validationPass: fc.integer({ min: -128, max: 127 }) })
const pathArb: fc.Arbitrary<OperationPath> = fc.letrec<{
  p0: OperationPath
  p1: OperationPath
  p2: OperationPath
  p3: OperationPath
}>((tie) => {
  const step = (inner: 'p1' | 'p2' | 'p3') =>
    fc.oneof(
      fc.record({
        kind: fc.constant('left' as const),
        path: tie(inner),
        right: hashArb(OPERATION_LIST_LIST_HASH),
      }),
      fc.record({
        kind: fc.constant('right' as const),
        left: hashArb(OPERATION_LIST_LIST_HASH),
        path: tie(inner),
      }),
    )
  const op = fc.constant({ kind: 'op' as const })
  return { p0: fc.oneof(op, step('p1')), p1: fc.oneof(op, step('p2')), p2: fc.oneof(op, step('p3')), p3: op }
}).p0
const operationArb = fc.record({ branch: blockArb, data: bytesArb(64) })
const msg = <N extends OctezMessage['name']>(
  name: N,
  value: fc.Arbitrary<Extract<OctezMessage, { name: N }>['value']>,
) => value.map((v) => ({ name, value: v }) as OctezMessage)

const messageArb: fc.Arbitrary<OctezMessage> = fc.oneof(
  msg('get_current_branch', fc.record({ chainId: chainArb })),
  msg('current_branch', fc.record({ chainId: chainArb, currentBranch: locatorArb })),
  msg('deactivate', fc.record({ chainId: chainArb })),
  msg('get_current_head', fc.record({ chainId: chainArb })),
  msg(
    'current_head',
    fc.record({
      chainId: chainArb,
      currentBlockHeader: headerArb,
      currentMempool: fc.record({
        knownValid: fc.array(opArb, { maxLength: 4 }),
        pending: fc.array(opArb, { maxLength: 4 }),
      }),
    }),
  ),
  msg('get_block_headers', fc.record({ blockHashes: fc.array(blockArb, { maxLength: 10 }) })),
  msg('block_header', fc.record({ blockHeader: headerArb })),
  msg('get_operations', fc.record({ operationHashes: fc.array(opArb, { maxLength: 10 }) })),
  msg('operation', fc.record({ operation: operationArb })),
  msg('get_protocols', fc.record({ protocolHashes: fc.array(hashArb(PROTOCOL_HASH), { maxLength: 10 }) })),
  msg(
    'protocol',
    fc.record({
      protocol: fc.record({
        expectedEnvVersion: fc.integer({ min: 0, max: 0xffff }),
        components: fc.array(
          fc.record({
            name: fc.string(),
            interface: fc.option(fc.string(), { nil: undefined }),
            implementation: fc.string(),
          }),
          { maxLength: 3 },
        ),
      }),
    }),
  ),
  msg('get_operation_hashes_for_blocks', fc.record({ blocks: fc.array(passArb, { maxLength: 10 }) })),
  msg(
    'operation_hashes_for_blocks',
    fc.record({
      hash: blockArb,
      validationPass: fc.integer({ min: -128, max: 127 }),
      operationHashesPath: pathArb,
      operationHashes: fc.array(opArb, { maxLength: 5 }),
    }),
  ),
  msg('get_operations_for_blocks', fc.record({ blocks: fc.array(passArb, { maxLength: 10 }) })),
  msg(
    'operations_for_blocks',
    fc.record({
      hash: blockArb,
      validationPass: fc.integer({ min: -128, max: 127 }),
      operationHashesPath: pathArb,
      operations: fc.array(operationArb, { maxLength: 3 }),
    }),
  ),
  msg('get_checkpoint', fc.record({ chainId: chainArb })),
  msg('checkpoint', fc.record({ chainId: chainArb, header: headerArb })),
  msg('get_protocol_branch', fc.record({ chainId: chainArb, protoLevel: fc.integer({ min: 0, max: 255 }) })),
  msg(
    'protocol_branch',
    fc.record({ chainId: chainArb, protoLevel: fc.integer({ min: 0, max: 255 }), locator: locatorArb }),
  ),
  msg(
    'get_predecessor_header',
    fc.record({ block: blockArb, offset: fc.integer({ min: -0x80000000, max: 0x7fffffff }) }),
  ),
  msg(
    'predecessor_header',
    fc.record({
      block: blockArb,
      offset: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
      header: headerArb,
    }),
  ),
)

describe('Octez shell messages: round trip', () => {
  test('every message decodes to itself and re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(messageArb, (message) => {
        const frame = frameOf(app(message))
        const back = decodeFrame(frame)
        // structuredClone: plain prototypes on both sides (fc.record may build null-prototype objects).
        assert.deepStrictEqual(structuredClone(back), structuredClone(app(message)))
        assert.ok(frameOf(back).equals(frame))
      }),
      { numRuns: 500 },
    )
  })

  test('arbitrary and mutated bodies: a message that re-encodes to its bytes, or a DecodeError', () => {
    const tags = Object.values(octezMessageDefinitions).map((d) => d.tag)
    const frameArb = fc.oneof(
      fc
        .record({ tag: fc.constantFrom(...tags), body: bytesArb(200) })
        .map(({ tag, body }) => rawFrame(tag, body)),
      fc
        .record({ message: messageArb, at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) })
        .map(({ message, at, byte }) => {
          const f = Buffer.from(frameOf(app(message)))
          if (f.length > 6) f[6 + (at % (f.length - 6))] = byte
          return f
        }),
    )
    fc.assert(
      fc.property(frameArb, (frame) => {
        let decoded: Msg
        try {
          decoded = decodeFrame(frame)
        } catch (err) {
          assert.ok(err instanceof DecodeError, String(err))
          return
        }
        assert.ok(frameOf(decoded).equals(frame), 'a decoded message re-encodes to its bytes')
      }),
      { numRuns: 1000 },
    )
  })
})
