// Shared by the tests on hosts in network namespaces: the `ip` command, why namespaces cannot
// be made here (skip reason), and a fresh subnet for the hosts that the dial guard lets tests dial.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'

/** Runs `ip ARGS...` and returns its output; throws on failure. */
export const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', stdio: 'pipe' })

/** Why network namespaces cannot be made here (a skip reason), or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux'
  if (process.getuid?.() !== 0) return 'network namespaces need root'
  try {
    ip('netns', 'list')
  } catch (err) {
    return `\`ip netns\` is unavailable: ${(err as Error).message.split('\n')[0]}`
  }
  return undefined
}

/**
 * A tag for this process's namespaces and links: its pid (base 36), `_`, 4 random hex digits.
 * The pid lets deleteStaleNamespaces tell a dead run's leftovers from a running test's.
 */
export function netnsTag(): string {
  return `${process.pid.toString(36)}_${randomBytes(2).toString('hex')}`
}

/** Deletes the `dune-TAG-…` namespaces left by runs whose process is gone (never a live test's). */
export function deleteStaleNamespaces(): void {
  for (const line of ip('netns', 'list').split('\n')) {
    const name = line.split(' ')[0] ?? ''
    const owner = /^dune-([0-9a-z]+)_[0-9a-f]{4}-/.exec(name)?.[1]
    if (owner === undefined) continue
    try {
      process.kill(Number.parseInt(owner, 36), 0)
    } catch {
      ip('netns', 'del', name)
    }
  }
}

/**
 * A fresh `10.x.y` prefix for this file's hosts (x.y.1, x.y.2, ...). The dial guard
 * (test/support/dial-guard.mjs) lets this process and the node processes it starts (they
 * inherit the environment) dial that /24, and nothing else outside loopback. The addresses
 * exist only inside this run's namespaces.
 */
export function netnsSubnet(): string {
  const [second = 0, third = 0] = randomBytes(2)
  const subnet = `10.${100 + (second % 100)}.${third}`
  process.env.DUNE_TEST_DIAL_ALLOW = [process.env.DUNE_TEST_DIAL_ALLOW, `${subnet}.0/24`]
    .filter(Boolean)
    .join(',')
  return subnet
}

/** Hosts in network namespaces `dune-TAG-H`, each with a veth to a bridge in `dune-TAG-hub`. */
export interface BridgeNetwork<H extends string> {
  /** The namespace of host `h`. */
  ns(h: H): string
  /** The host's end of its veth (the hub's end is this name + `h`). */
  link(h: H): string
  /** The host's address: SUBNET.(index + 1). */
  address(h: H): string
  /** The command prefix that runs a program on host `h`. */
  exec(h: H): string[]
  /** Creates the hub and the hosts (addresses with broadcast, links up); `perHost` then tunes each. */
  create(perHost?: (h: H) => void): void
  /** Deletes every namespace made (those not made are skipped). */
  delete(): void
}

export function bridgeNetwork<H extends string>(
  tag: string,
  hosts: readonly H[],
  subnet: string,
): BridgeNetwork<H> {
  const hub = `dune-${tag}-hub`
  const net: BridgeNetwork<H> = {
    ns: (h) => `dune-${tag}-${h}`,
    link: (h) => `d${tag}${h}`,
    address: (h) => `${subnet}.${hosts.indexOf(h) + 1}`,
    exec: (h) => ['ip', 'netns', 'exec', net.ns(h)],
    create(perHost) {
      ip('netns', 'add', hub)
      ip('-n', hub, 'link', 'add', 'br0', 'type', 'bridge')
      ip('-n', hub, 'link', 'set', 'br0', 'up')
      for (const h of hosts) {
        const [ns, link] = [net.ns(h), net.link(h)]
        ip('netns', 'add', ns)
        ip('link', 'add', link, 'type', 'veth', 'peer', 'name', `${link}h`)
        ip('link', 'set', link, 'netns', ns)
        ip('link', 'set', `${link}h`, 'netns', hub)
        ip('-n', hub, 'link', 'set', `${link}h`, 'master', 'br0', 'up')
        ip('-n', ns, 'addr', 'add', `${net.address(h)}/24`, 'brd', '+', 'dev', link)
        ip('-n', ns, 'link', 'set', link, 'up')
        ip('-n', ns, 'link', 'set', 'lo', 'up')
        perHost?.(h)
      }
    },
    delete() {
      for (const name of [hub, ...hosts.map((h) => net.ns(h))]) {
        try {
          ip('netns', 'del', name)
        } catch {
          // not created
        }
      }
    },
  }
  return net
}
