// The dashboard end to end in headless Chromium (Debian's, through playwright-core): the page of a
// node in a running 3-node network shows its peers, scores and slots live; a ban clicked reaches the node.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import { type Browser, chromium, type Page } from 'playwright-core'
import type { DuneNode } from '../../src/node/daemon.js'
import { defined } from '../support/defined.js'
import { connectAll, rpcUrl, startNodes, stopNodes } from '../support/dune-nodes.js'
import { waitUntil } from '../support/wait.js'

const CHROMIUM = '/usr/bin/chromium'
const missing = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is missing (apt-get install chromium; .ci/run does)`

/** Fails the test on an error in the page's scripts. */
function watchPageErrors(page: Page, errors: string[]): void {
  page.on('pageerror', (err) => errors.push(err.message))
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text())
  })
}

describe('dashboard in headless Chromium', { skip: missing }, () => {
  let nodes: DuneNode[] = []
  let browser: Browser
  /** The three nodes started by before(). */
  const trio = (): [DuneNode, DuneNode, DuneNode] => [defined(nodes[0]), defined(nodes[1]), defined(nodes[2])]

  before(async () => {
    nodes = await startNodes(3, { gossipEverySeconds: 0.2 })
    await connectAll(nodes)
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
  })
  after(async () => {
    await browser?.close()
    await stopNodes(nodes)
  })

  test('/ redirects to the page; it shows the node, its peers and their flows, live', async () => {
    const [a, b, c] = trio()
    const page = await browser.newPage()
    const errors: string[] = []
    watchPageErrors(page, errors)
    await page.goto(`${rpcUrl(a)}/`)
    assert.equal(page.url(), `${rpcUrl(a)}/dashboard/`)
    await page.getByTestId('live-status').and(page.locator('[data-state="live"]')).waitFor()
    await page.getByTestId('self-peer-id').filter({ hasText: a.peerId }).waitFor()

    const rows = page.getByTestId('connection-row')
    await waitUntil(async () => (await rows.count()) === 2, {
      message: 'two connection rows',
      timeoutMs: 15_000,
      intervalMs: 25,
    })
    const shown = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-peer-id')).sort())
    assert.deepEqual(shown, [b.peerId, c.peerId].sort())
    assert.equal(await page.getByTestId('stat-connections').textContent(), '2')
    for (const peer of [b, c]) {
      const row = page.locator(`[data-testid="connection-row"][data-peer-id="${peer.peerId}"]`)
      assert.match((await row.getByTestId('flow-in').textContent()) ?? '', /^\d+\.\d kB\/s$/)
      assert.match((await row.getByTestId('connection-peer-id').textContent()) ?? '', new RegExp(peer.peerId))
      assert.match((await row.getByTestId('connection-score').textContent()) ?? '', /^-?\d+(\.\d\d)?$/)
      assert.match((await row.getByTestId('connection-latency').textContent()) ?? '', /^\d+ ms$/)
    }
    assert.match(
      (await page.getByTestId('slots').textContent()) ?? '',
      /^slots: inbound 0\/\d+, outbound 2 \(min \d+\), ceiling \d+, handshakes \d+\/\d+$/,
    )
    // The stat events draw the bandwidth chart (gossip makes traffic).
    await waitUntil(
      async () => {
        const points = (await page.getByTestId('chart-in').getAttribute('points')) ?? ''
        return points.split(' ').length >= 2
      },
      { message: 'the chart has samples', timeoutMs: 15_000, intervalMs: 25 },
    )
    // A connection event reaches the log and the table: a kicked peer goes away.
    await a.p2p.disconnect(c.peerId)
    await page.locator('[data-testid="event"][data-kind="disconnection"]').first().waitFor()
    await waitUntil(async () => (await rows.count()) === 1, {
      message: 'one connection row left',
      timeoutMs: 15_000,
      intervalMs: 25,
    })
    await a.p2p.connect(`127.0.0.1:${c.netPort}`)
    await waitUntil(async () => (await rows.count()) === 2, {
      message: 'two connection rows again',
      timeoutMs: 15_000,
      intervalMs: 25,
    })
    // Gossip shows in the log until hidden.
    const gossip = page.locator('[data-testid="event"][data-kind="gossip"]').first()
    await gossip.waitFor()
    await page.getByTestId('log-hide-gossip').check()
    await gossip.waitFor({ state: 'hidden' })
    // A peer whose score falls below the threshold: a low_score event, and its row goes.
    a.p2p.reportInvalid(c.peerId, 20)
    await page.locator('[data-testid="event"][data-kind="low_score"]').first().waitFor()
    await waitUntil(async () => (await rows.count()) === 1, {
      message: 'the low-scored peer gone',
      timeoutMs: 15_000,
      intervalMs: 25,
    })
    assert.deepEqual(errors, [])
    await page.close()
  })

  test('ban on a connection row reaches the node; the ACL list shows it and unban lifts it', async () => {
    const [a, b] = trio()
    const page = await browser.newPage()
    const errors: string[] = []
    watchPageErrors(page, errors)
    await page.goto(`${rpcUrl(a)}/dashboard/`)
    const row = page.locator(`[data-testid="connection-row"][data-peer-id="${b.peerId}"]`)
    await row.getByTestId('ban-peer').click()

    await waitUntil(() => a.p2p.acl.isPeerBanned(b.peerId), {
      message: 'the ban reached the node',
      timeoutMs: 15_000,
      intervalMs: 25,
    })
    const banned = (await (await fetch(`${rpcUrl(a)}/network/peers/${b.peerId}/banned`)).json()) as {
      banned: boolean
    }
    assert.equal(banned.banned, true)
    const entry = page.locator(
      `[data-testid="acl-entry"][data-list="banned_peers"][data-value="${b.peerId}"]`,
    )
    await entry.waitFor()
    await row.waitFor({ state: 'detached' })

    await entry.getByTestId('unban').click()
    await waitUntil(() => !a.p2p.acl.isPeerBanned(b.peerId), {
      message: 'the unban reached the node',
      timeoutMs: 15_000,
      intervalMs: 25,
    })
    await entry.waitFor({ state: 'detached' })
    assert.deepEqual(errors, [])
    await page.close()
  })

  test('the ACL form bans an address; an invalid one shows the RPC error', async () => {
    const [a] = trio()
    const page = await browser.newPage()
    await page.goto(`${rpcUrl(a)}/dashboard/`)
    await page.getByTestId('acl-target').fill('192.0.2.0/24')
    await page.getByTestId('acl-form-ban').click()
    await waitUntil(() => a.p2p.acl.isIpBanned('192.0.2.55'), {
      message: 'the address ban reached the node',
      timeoutMs: 15_000,
      intervalMs: 25,
    })
    await page
      .locator('[data-testid="acl-entry"][data-list="banned_ips"][data-value="192.0.2.0/24"]')
      .waitFor()

    await page.getByTestId('acl-target').fill('not an address')
    await page.getByTestId('acl-form-ban').click()
    const error = page.getByTestId('error')
    await error.and(page.locator(':not([hidden])')).waitFor()
    assert.match((await error.textContent()) ?? '', /not an address/)
    await page.close()
    a.p2p.acl.unbanIp('192.0.2.0/24')
  })

  test('only the dashboard files are served', async () => {
    const url = rpcUrl(trio()[0])
    const js = await fetch(`${url}/dashboard/app.js`)
    assert.equal(js.status, 200)
    assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/)
    const css = await fetch(`${url}/dashboard/style.css`)
    assert.match(css.headers.get('content-type') ?? '', /^text\/css/)
    for (const path of [
      '/dashboard/..%2Fpackage.json',
      '/dashboard/%2E%2E%2Fsrc%2Findex.ts',
      '/dashboard/nope.js',
    ]) {
      const response = await fetch(`${url}${path}`)
      assert.equal(response.status, 404, path)
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'NOT_FOUND')
    }
  })

  test('the bandwidth chart is full at load: the node serves its last two minutes of flows', async () => {
    const [a] = trio()
    const served = await fetch(`${rpcUrl(a)}/network/stat/flows`)
    const { samples } = (await served.json()) as { samples: { time: number; inflow: number }[] }
    assert.ok(samples.length >= 3, `${samples.length} samples after the node ran a while`)
    assert.ok(
      samples.every((s, i) => i === 0 || s.time > defined(samples[i - 1]).time),
      'oldest first',
    )
    const page = await browser.newPage()
    // No live stat events: what the chart shows comes from the history alone.
    await page.route('**/network/log**', (route) => route.abort())
    await page.goto(`${rpcUrl(a)}/dashboard/`)
    await waitUntil(
      async () => {
        const points = (await page.getByTestId('chart-in').getAttribute('points')) ?? ''
        return points.split(' ').filter(Boolean).length >= 3
      },
      { message: 'the chart drawn from the history', timeoutMs: 15_000, intervalMs: 25 },
    )
    await page.close()
  })
})
