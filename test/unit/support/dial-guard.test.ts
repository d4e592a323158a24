// The tests' dial guard: a dial outside loopback is refused before any packet, naming the
// address, and fails the process; loopback and DUNE_TEST_DIAL_ALLOW ranges pass.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'

const guard = fileURLToPath(new URL('../../support/dial-guard.mjs', import.meta.url))

/** Runs `code` in a fresh node process with the guard loaded; its exit status and stderr. */
function run(code: string, env: Record<string, string> = {}): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', guard, '--input-type=module', '-e', code], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    timeout: 20_000,
  })
  return { status: result.status, stderr: result.stderr }
}

/** Code that listens on `host` and dials `target` (the listener's port); prints what happened. */
const dialing = (target: string) => `
    const server = net.createServer((s) => s.destroy()).listen(0, '127.0.0.1', () => {
    const port = server.address().port
    const socket = net.connect({ host: ${JSON.stringify(target)}, port })
    socket.on('connect', () => { console.log('connected'); socket.destroy(); server.close() })
    socket.on('error', (e) => { console.log('error', e.code); server.close() })
  })`

describe('dial guard', () => {
  test('a dial to a documentation address fails the process loudly, naming it', () => {
    const { status, stderr } = run(dialing('192.0.2.1'))
    assert.notEqual(status, 0)
    assert.match(stderr, /dial guard: this test dialed 192\.0\.2\.1:\d+/)
  })

  test('0.0.0.0, a mapped foreign address and a name resolving outside are refused', () => {
    for (const target of ['0.0.0.0', '::ffff:198.51.100.7', '[::]'.slice(1, -1)])
      assert.match(run(dialing(target)).stderr, /dial guard/, target)
  })

  test('loopback and the DUNE_TEST_DIAL_ALLOW ranges pass', () => {
    const ok = run(dialing('127.0.0.1'))
    assert.equal(ok.status, 0, ok.stderr)
    // An allowed range is not refused by the guard (nothing listens there: any error but the guard's).
    const allowed = run(
      `       const s = net.connect({ host: '10.255.255.1', port: 9, timeout: 10 })
       s.on('error', (e) => console.log(e.code)); s.on('timeout', () => s.destroy())`,
      { DUNE_TEST_DIAL_ALLOW: '10.255.255.0/24' },
    )
    assert.doesNotMatch(allowed.stderr, /dial guard/)
  })

  test('a test file run by hand (node --import tsx --test FILE) fails when it dials outside', () => {
    const fixture = fileURLToPath(new URL('./fixtures/dials-outside.ts', import.meta.url))
    const { NODE_TEST_CONTEXT: _child, ...env } = process.env // a runner of its own, as by hand
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', fixture], {
      encoding: 'utf8',
      env: { ...env, NODE_OPTIONS: '' },
      timeout: 60_000,
    })
    assert.notEqual(result.status, 0)
    assert.match(result.stdout + result.stderr, /dial guard: this test dialed 192\.0\.2\.1:9732/)
  })
})
