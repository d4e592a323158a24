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
 * A fresh `10.x.y` prefix for this file's hosts (x.y.1, x.y.2, ...). The dial guard
 * (test/support/dial-guard.mjs) lets this process and the node processes it starts (they
 * inherit the environment) dial that /24, and nothing else outside loopback. The addresses
 * exist only inside this run's namespaces.
 */
export function netnsSubnet(): string {
  const subnet = `10.${100 + (randomBytes(1)[0]! % 100)}.${randomBytes(1)[0]!}`
  process.env.DUNE_TEST_DIAL_ALLOW = [process.env.DUNE_TEST_DIAL_ALLOW, `${subnet}.0/24`]
    .filter(Boolean)
    .join(',')
  return subnet
}
