// Dead-peer detection on P2P sockets, as Octez since 2025 (p2p_fd.ml): TCP keepalive probes
// after 10 s idle, every 5 s, and TCP_USER_TIMEOUT 45 s, after which the kernel fails the socket.
import { createRequire } from 'node:module'
import type net from 'node:net'
import { platform } from 'node:os'
import type * as FfiRs from 'ffi-rs'

/** IPPROTO_TCP, and the option numbers of this system (those net-keepalive uses); undefined where unknown. */
const SOL_TCP = 6
const TCP_OPTION: { readonly userTimeout?: number; readonly keepAliveInterval?: number } =
  platform() === 'darwin'
    ? { userTimeout: 0x80, keepAliveInterval: 0x101 } // TCP_RXT_CONNDROPTIME, TCP_KEEPINTVL
    : platform() === 'freebsd'
      ? { keepAliveInterval: 512 }
      : platform() === 'win32'
        ? {}
        : { userTimeout: 18, keepAliveInterval: 5 }

/**
 * setsockopt(fd, SOL_TCP, option, [int value], 4) through ffi-rs (a prebuilt native module),
 * defined once; undefined where it cannot load (the layer then runs with Node's keepalive only).
 * The int goes as an I32Array that ffi-rs copies and frees within the call: net-keepalive made a
 * createPointer() value per option per socket, a napi external of native memory that was mostly
 * never given back (about 240 bytes each in the soak: bench/results/soak-memory-2026-12-03.md).
 */
const setsockoptInt = (() => {
  try {
    const ffi = createRequire(import.meta.url)('ffi-rs') as typeof FfiRs
    ffi.open({ library: 'dune-p2p-self', path: '' })
    const { setsockopt } = ffi.define({
      setsockopt: {
        library: 'dune-p2p-self',
        retType: ffi.DataType.I32,
        paramsType: [
          ffi.DataType.I32,
          ffi.DataType.I32,
          ffi.DataType.I32,
          ffi.arrayConstructor({ type: ffi.DataType.I32Array, length: 1 }),
          ffi.DataType.I32,
        ],
      },
    })
    return (fd: number, option: number, value: number): boolean =>
      setsockopt([fd, SOL_TCP, option, [value], 4]) === 0
  } catch {
    return undefined
  }
})()

/** Sets an int TCP option on the socket's descriptor; false when it cannot (no binding, no option, refused). */
function setTcpOption(socket: net.Socket, option: number | undefined, value: number): boolean {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd
  if (setsockoptInt === undefined || option === undefined || fd === undefined || fd < 0) return false
  return setsockoptInt(fd, option, value)
}

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
    attempt('TCP_USER_TIMEOUT', () =>
      setTcpOption(socket, TCP_OPTION.userTimeout, Math.trunc(options.userTimeoutMs)),
    )
  }
  if (options.keepAliveIdleMs > 0) {
    socket.setKeepAlive(true, options.keepAliveIdleMs)
    if (options.keepAliveIntervalMs > 0) {
      // Whole seconds: the kernel's unit for TCP_KEEPINTVL.
      const interval = Math.max(1000, options.keepAliveIntervalMs)
      attempt('TCP_KEEPINTVL', () =>
        setTcpOption(socket, TCP_OPTION.keepAliveInterval, Math.trunc(interval / 1000)),
      )
    }
  }
  return failed
}
