// Dead-peer detection on P2P sockets, as Octez since 2025 (p2p_fd.ml): TCP keepalive probes
// after 10 s idle, every 5 s, and TCP_USER_TIMEOUT 45 s, after which the kernel fails the socket.
import { createRequire } from 'node:module'
import type net from 'node:net'
import type * as NetKeepalive from 'net-keepalive'

/**
 * net-keepalive (setsockopt through ffi-rs, a prebuilt native module): loaded once, and where it
 * cannot load (a platform without a prebuilt binary) the layer still runs with Node's keepalive only.
 */
const keepalive: typeof NetKeepalive | undefined = (() => {
  try {
    return createRequire(import.meta.url)('net-keepalive') as typeof NetKeepalive
  } catch {
    return undefined
  }
})()

/** The TCP options that make a vanished peer's connection fail; 0 turns one off. */
export interface TcpKeepaliveOptions {
  /**
   * TCP_USER_TIMEOUT: how long sent data (or keepalive probes) may stay unacknowledged before
   * the kernel closes the socket with ETIMEDOUT, in ms (Octez: 45 s). 0: the kernel's default
   * (retransmissions for 15 minutes or so).
   */
  readonly userTimeoutMs: number
  /** TCP_KEEPIDLE: idle time before the first keepalive probe, in ms (Octez: 10 s). 0: no keepalive. */
  readonly keepAliveIdleMs: number
  /** TCP_KEEPINTVL: time between unanswered probes, in ms (Octez: 5 s). */
  readonly keepAliveIntervalMs: number
}

/** Octez's values: a peer that stops acknowledging is dropped about 45 s after its last ACK. */
export const DEFAULT_TCP_KEEPALIVE: TcpKeepaliveOptions = Object.freeze({
  userTimeoutMs: 45_000,
  keepAliveIdleMs: 10_000,
  keepAliveIntervalMs: 5_000,
})

/**
 * Sets the options on a connected socket. Like Octez, an option the system refuses is skipped
 * (returned by name, for a log line): the connection works without it, only detection is slower.
 */
export function setTcpKeepalive(socket: net.Socket, options: TcpKeepaliveOptions): string[] {
  const failed: string[] = []
  const attempt = (name: string, set: () => unknown): void => {
    try {
      if (set() === false) failed.push(name)
    } catch {
      failed.push(name)
    }
  }
  if (options.userTimeoutMs > 0) {
    attempt('TCP_USER_TIMEOUT', () => keepalive?.setUserTimeout(socket, options.userTimeoutMs) ?? false)
  }
  if (options.keepAliveIdleMs > 0) {
    socket.setKeepAlive(true, options.keepAliveIdleMs)
    if (options.keepAliveIntervalMs > 0) {
      // Whole seconds: the kernel's unit for TCP_KEEPINTVL.
      const interval = Math.max(1000, options.keepAliveIntervalMs)
      attempt('TCP_KEEPINTVL', () => keepalive?.setKeepAliveInterval(socket, interval) ?? false)
    }
  }
  return failed
}
