// The base class and its typed guard: the code a class carries, isDuneP2pError with and
// without a code, and the compile-time checks (an unknown code is a type error).
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  type DuneErrorCode,
  DuneP2pError,
  InvalidArgumentError,
  isDuneP2pError,
} from '../../../src/errors/index.js'
import { ConnectionRefusedError, NotConnectedError } from '../../../src/pool/errors.js'
import { HandshakeTimeoutError } from '../../../src/socket/errors.js'
import { DecodeError, defineMessages, uint32 } from '../../../src/wire/index.js'

describe('isDuneP2pError', () => {
  test('tells dune-p2p errors from others', () => {
    assert.equal(isDuneP2pError(new NotConnectedError('idtA')), true)
    assert.equal(isDuneP2pError(new Error('DUNE_NOT_CONNECTED')), false)
    assert.equal(isDuneP2pError({ code: 'DUNE_NOT_CONNECTED', message: 'look-alike' }), false)
    assert.equal(isDuneP2pError(undefined), false)
  })

  test('with a code: true only for that code, and the type narrows to it', () => {
    const err: unknown = new ConnectionRefusedError('low_score', '127.0.0.1:9732')
    assert.equal(isDuneP2pError(err, 'DUNE_NOT_CONNECTED'), false)
    assert.equal(isDuneP2pError(err, 'DUNE_CONNECTION_REFUSED'), true)
    if (isDuneP2pError(err, 'DUNE_CONNECTION_REFUSED')) {
      const code: 'DUNE_CONNECTION_REFUSED' = err.code
      assert.equal(code, 'DUNE_CONNECTION_REFUSED')
    }
    if (isDuneP2pError(err)) {
      const code: DuneErrorCode = err.code
      assert.equal(code, 'DUNE_CONNECTION_REFUSED')
    }
  })

  test('the classes carry their own code, their name, and the cause', () => {
    const cause = new Error('inner')
    const decode = new DecodeError(3, 'short_input', 'needs 1 byte', '', { cause })
    assert.equal(decode.code, 'DUNE_DECODE')
    assert.equal(decode.name, 'DecodeError')
    assert.equal(decode.cause, cause)
    const timeout = new HandshakeTimeoutError({ point: '127.0.0.1:1' }, 5000)
    assert.equal(timeout.code, 'DUNE_HANDSHAKE_TIMEOUT')
    assert.ok(timeout instanceof DuneP2pError)
  })

  test('misuse of a public call throws InvalidArgumentError (DUNE_INVALID_ARGUMENT)', () => {
    assert.throws(
      () => defineMessages({ low: { tag: 0x0f, encoding: uint32, maxSize: 4 } }),
      (err: unknown) => err instanceof InvalidArgumentError && isDuneP2pError(err, 'DUNE_INVALID_ARGUMENT'),
    )
  })

  test('an unknown code does not compile', () => {
    // @ts-expect-error: not a code of DuneErrorCode
    const made = new DuneP2pError('DUNE_NO_SUCH_CODE', 'x')
    // @ts-expect-error: not a code of DuneErrorCode
    assert.equal(isDuneP2pError(made, 'DUNE_NO_SUCH_CODE'), true)
    // @ts-expect-error: a class keeps its own code
    const wrong: 'DUNE_DECODE' = new NotConnectedError('idtA').code
    assert.equal(wrong, 'DUNE_NOT_CONNECTED')
  })
})
