// The dune-p2p driver: the project's own encrypted, Octez-compatible connections, whose API
// lives in src/socket/index.ts. While that API is not there, the driver reports itself unavailable.
import type { Driver } from './driver.js'
import { DriverUnavailableError } from './errors.js'

/** Where the dune connection API is expected; a URL so that its absence is not a type error. */
const SOCKET_API = new URL('../../src/socket/index.js', import.meta.url).href

/**
 * The dune driver, or a DriverUnavailableError saying why it cannot run: the connection API
 * does not load, or this module does not adapt it to the Driver interface (bench/conn/driver.ts).
 */
export async function loadDuneDriver(): Promise<Driver> {
  try {
    await import(SOCKET_API)
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    throw new DriverUnavailableError(
      `the dune connection API (src/socket/index.ts) does not load: ${reason}`,
      {
        cause: err,
      },
    )
  }
  throw new DriverUnavailableError(
    'src/socket/index.ts loads, but bench/conn/driver-dune.ts does not adapt it to the Driver interface yet',
  )
}
