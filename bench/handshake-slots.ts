// Handshake slots under a slow-loris attack on a shipped node: silent sockets from a few /16s,
// held and reopened whenever closed; the share of honest newcomers that complete the handshake.
// Usage: npm run bench -- handshake-slots [--newcomers N]. Prints one JSON document.
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import {
  attackerAddresses,
  holdSilentSockets,
  newcomerHandshake,
} from '../test/adversarial/support/silent-sockets.js'
import { testIdentity } from '../test/support/identities.js'
import { startShippedNode } from '../test/support/shipped-node.js'

const { values } = parseArgs({ options: { newcomers: { type: 'string', default: '50' } } })
const NEWCOMERS = Number(values.newcomers)
const SHIPPED_CHAIN = 'DUNE_MAINNET'

const scenarios = [
  { name: '24 silent sockets from 4 /16s', first: 40, subnets: 4, perSubnet: 6 },
  { name: '24 silent sockets from 8 /16s', first: 60, subnets: 8, perSubnet: 3 },
  { name: '60 silent sockets from 4 /16s', first: 80, subnets: 4, perSubnet: 15 },
]

const node = await startShippedNode('127.36.1.1')
const host = '127.36.1.1'
const port = node.netPort!
const results = []
let next = 1
for (const s of scenarios) {
  let evicted = 0
  const onRefused = (e: { reason: string }) => {
    if (e.reason === 'handshake_evicted') evicted++
  }
  node.p2p.on('refused', onRefused)
  const attack = holdSilentSockets(host, port, attackerAddresses(s.first, s.subnets, s.perSubnet))
  await new Promise((resolve) => setTimeout(resolve, 500))
  const outcomes: Record<string, number> = {}
  const times: number[] = []
  const started = performance.now()
  for (let i = 0; i < NEWCOMERS; i++) {
    const t0 = performance.now()
    const ip = `127.50.${next >> 8}.${next++ & 255}`
    const outcome = await newcomerHandshake(host, port, ip, testIdentity(4), SHIPPED_CHAIN)
    if (outcome === 'connected') times.push(performance.now() - t0)
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const seconds = (performance.now() - started) / 1000
  await attack.stop()
  node.p2p.off('refused', onRefused)
  times.sort((a, b) => a - b)
  results.push({
    scenario: s.name,
    newcomers: NEWCOMERS,
    connected: outcomes.connected ?? 0,
    connected_fraction: (outcomes.connected ?? 0) / NEWCOMERS,
    outcomes,
    newcomer_handshake_ms_median: times.length ? Number(times[times.length >> 1]?.toFixed(1)) : null,
    attacker_sockets_opened: attack.opened(),
    attacker_sockets_per_second: Number((attack.opened() / seconds).toFixed(1)),
    pending_handshakes_evicted: evicted,
    seconds: Number(seconds.toFixed(1)),
  })
  await new Promise((resolve) => setTimeout(resolve, 2500)) // let the last handshakes time out
}
await node.stop()
console.log(
  JSON.stringify(
    {
      bench: 'handshake-slots',
      node: 'shipped defaults (startShippedNode: 20 incoming handshakes, 4 per /16, connection message within 2 s)',
      results,
    },
    null,
    2,
  ),
)
