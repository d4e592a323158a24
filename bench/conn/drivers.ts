// The drivers the connection benchmark knows, by name. Each is imported only when asked for,
// so a process running one driver does not load (or pay the memory of) the others.
import type { Driver } from './driver.js'

export const DRIVER_NAMES = ['raw-tcp', 'sealed-tcp', 'libp2p', 'dune'] as const
export type DriverName = (typeof DRIVER_NAMES)[number]

export function isDriverName(name: string): name is DriverName {
  return (DRIVER_NAMES as readonly string[]).includes(name)
}

/** Loads a driver; rejects with DriverUnavailableError when it cannot run here. */
export async function loadDriver(name: DriverName): Promise<Driver> {
  switch (name) {
    case 'raw-tcp':
      return (await import('./driver-raw-tcp.js')).rawTcpDriver
    case 'sealed-tcp':
      return (await import('./driver-sealed-tcp.js')).sealedTcpDriver
    case 'libp2p':
      return (await import('./driver-libp2p.js')).libp2pDriver
    case 'dune':
      return (await import('./driver-dune.js')).loadDuneDriver()
  }
}
