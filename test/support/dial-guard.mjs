// The dial guard of the tests: a TCP dial outside 127.0.0.0/8, [::1] and the netns hosts fails
// the test loudly (naming the address) and sends nothing. Plain JS: child processes load it too.
//
// Loaded in every test process: scripts/run-tests.mjs passes `--import` and NODE_OPTIONS (so the
// node processes tests spawn have it); the support modules that start nodes import it, so a
// file run by hand (`node --import tsx --test FILE`) is guarded as well. Extra allowed ranges
// (the netns hosts): DUNE_TEST_DIAL_ALLOW="10.123.45.0/24,..." in the environment.
import net from 'node:net'

const INSTALLED = Symbol.for('dune-p2p.test.dial-guard')

/** The ranges allowed now: loopback and DUNE_TEST_DIAL_ALLOW (read at each dial). */
function allowList() {
  const list = new net.BlockList()
  list.addSubnet('127.0.0.0', 8, 'ipv4')
  list.addAddress('::1', 'ipv6')
  for (const cidr of (process.env.DUNE_TEST_DIAL_ALLOW ?? '').split(',')) {
    const [address, bits] = cidr.trim().split('/')
    const family = net.isIP(address ?? '')
    if (family === 0) continue
    const prefix = bits === undefined ? (family === 4 ? 32 : 128) : Number(bits)
    list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6')
  }
  return list
}

/** Whether a dial to the IP literal `address` is allowed. */
function allowed(address) {
  const lower = address.toLowerCase()
  const mapped = lower.startsWith('::ffff:') && net.isIPv4(lower.slice(7)) ? lower.slice(7) : undefined
  const ip = mapped ?? lower
  const family = net.isIP(ip)
  if (family === 0) return false
  return allowList().check(ip, family === 4 ? 'ipv4' : 'ipv6')
}

/** Records the violation, fails the process (and the running test) and never connects. */
function refuse(socket, host, port) {
  const err = new Error(
    `dial guard: this test dialed ${host}:${port}, outside 127.0.0.0/8, [::1] and DUNE_TEST_DIAL_ALLOW; nothing was sent. ` +
      'Tests use 127.x addresses; a foreign address (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) is data that nothing may dial.',
  )
  err.code = 'EDIALGUARD'
  process.exitCode = 1
  process.stderr.write(`${err.message}\n${new Error('dialed from').stack}\n`)
  process.nextTick(() => socket.destroy(err))
  // Uncaught: node:test fails the test that was running; any other process exits non-zero.
  setImmediate(() => {
    throw err
  })
  return socket
}

/** The options object of a Socket#connect call (node:net passes its normalized [options, cb]). */
function optionsOf(args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0]
  if (first !== null && typeof first === 'object') return first
  if (typeof first === 'string' && !/^\d+$/.test(first)) return { path: first }
  return { port: first, host: typeof args[1] === 'string' ? args[1] : undefined }
}

/** A lookup that checks what a name resolves to before the socket connects to it. */
function guardedLookup(socket, lookup, port) {
  return (hostname, options, callback) => {
    lookup(hostname, options, (err, address, family) => {
      if (err) return callback(err, address, family)
      const addresses = Array.isArray(address) ? address.map((a) => a.address) : [address]
      const bad = addresses.find((a) => !allowed(a))
      if (bad !== undefined) {
        refuse(socket, `${hostname} (${bad})`, port)
        return callback(Object.assign(new Error(`dial guard: ${hostname} is ${bad}`), { code: 'EDIALGUARD' }))
      }
      callback(null, address, family)
    })
  }
}

function install() {
  globalThis[INSTALLED] = true
  const connect = net.Socket.prototype.connect
  net.Socket.prototype.connect = function guardedConnect(...args) {
    const options = optionsOf(args)
    if (options.path !== undefined) return connect.apply(this, args)
    const host = options.host ?? 'localhost'
    if (net.isIP(host) !== 0) {
      if (!allowed(host)) return refuse(this, host, options.port)
    } else if (Array.isArray(args[0]) || (args[0] !== null && typeof args[0] === 'object')) {
      options.lookup = guardedLookup(this, options.lookup ?? dnsLookup, options.port)
    } else if (host !== 'localhost') {
      return refuse(this, host, options.port)
    }
    return connect.apply(this, args)
  }
}

const { lookup: dnsLookup } = await import('node:dns')
if (!globalThis[INSTALLED]) install()
