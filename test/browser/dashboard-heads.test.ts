// The dashboard of an observer (dune-node run --network mainnet, peers overridden to local peers of
// ours answering with heads) in headless Chromium: the Peer heads section, each head, the spread.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import { type Browser, chromium } from 'playwright-core'
import type { ObserverNode } from '../../src/node/observer-node.js'
import { type OctezPeer, octezPeer, startObserver } from '../support/octez-peers.js'
import { pointOf } from '../support/p2p-nodes.js'
import { waitUntil } from '../support/wait.js'

const CHROMIUM = '/usr/bin/chromium'
const missing = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is missing (apt-get install chromium; .ci/run does)`

describe('dashboard of an observer in headless Chromium', { skip: missing }, () => {
  const peers: OctezPeer[] = []
  let node: ObserverNode
  let browser: Browser

  before(async () => {
    peers.push(await octezPeer('127.0.0.91', 900, false), await octezPeer('127.0.0.92', 907, true))
    node = await startObserver(
      '127.0.0.90',
      peers.map((p) => pointOf(p.p2p)),
    )
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
      ],
    })
  })
  after(async () => {
    await browser?.close()
    await node?.stop()
    await Promise.all(peers.map((p) => p.p2p.stop()))
  })

  test('shows the head of each peer and the spread of levels', async () => {
    await waitUntil(() => node.observer.levels().peers === 2, {
      message: 'two heads',
      timeoutMs: 15_000,
      intervalMs: 25,
    })
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('pageerror', (err) => errors.push(err.message))
    await page.goto(`${node.rpcUrl}/dashboard/`)
    const rows = page.getByTestId('head-row')
    await waitUntil(async () => (await rows.count()) === 2, {
      message: 'two head rows',
      timeoutMs: 15_000,
      intervalMs: 25,
    })
    for (const peer of peers) {
      const row = page.locator(`[data-testid="head-row"][data-peer-id="${peer.p2p.peerId}"]`)
      assert.equal(await row.getByTestId('head-level').textContent(), String(peer.level))
      assert.equal(await row.getByTestId('head-behind').textContent(), String(907 - peer.level))
    }
    assert.equal(
      await page.getByTestId('heads-spread').textContent(),
      '2 peers: levels 900 to 907 (spread 7, median 903)',
    )
    assert.deepEqual(errors, [])
  })
})
