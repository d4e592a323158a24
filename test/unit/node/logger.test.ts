// The daemon's logger: JSON lines off a terminal, readable lines on one (time, level, message,
// fields as key=value), and the level filter.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createLogger, prettyLine } from '../../../src/node/logger.js'
import { defined } from '../../support/defined.js'

function sink(isTTY: boolean) {
  const lines: string[] = []
  return { lines, destination: { isTTY, write: (t: string) => lines.push(t) } }
}

describe('node logger', () => {
  test('JSON lines when the destination is not a terminal, below-level records dropped', () => {
    const { lines, destination } = sink(false)
    const logger = createLogger({ level: 'info', destination })
    logger.debug('hidden')
    logger.info({ peer_id: 'idA', incoming: true }, 'connection established')
    assert.equal(lines.length, 1)
    const record = JSON.parse(defined(lines[0]))
    assert.equal(record.level, 30)
    assert.equal(record.msg, 'connection established')
    assert.equal(record.peer_id, 'idA')
    assert.equal(record.pid, undefined)
  })

  test('readable lines on a terminal', () => {
    const { lines, destination } = sink(true)
    createLogger({ level: 'info', destination, pretty: true }).warn({ reason: 'bad pow', n: 2 }, 'greylisted')
    assert.match(defined(lines[0]), /^\d\d:\d\d:\d\d\.\d{3} .*WARN.* greylisted {2}reason=bad pow n=2\n$/)
  })

  test('prettyLine leaves a line that is not JSON as it is', () => {
    assert.equal(prettyLine('not json', false), 'not json')
  })
})
