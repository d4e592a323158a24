// read_buffer_size: sockets that read into the one buffer shared by every connection, through
// Node's `onread`. Dialed sockets take it at connect; accepted ones move onto a socket that has it.
import net from 'node:net'

const sharedReadSockets = new WeakSet<net.Socket>()

/** True when the socket's 'data' buffers are views of a shared read buffer (copy what you keep). */
export function readsIntoSharedBuffer(socket: net.Socket): boolean {
  return sharedReadSockets.has(socket)
}

/**
 * The `onread` option of a socket reading into `readBuffer`: each read goes to the 'data'
 * listeners as a view that the next read overwrites; a paused socket stops reading.
 */
export function sharedReadOption(readBuffer: Buffer, socket: () => net.Socket): net.OnReadOpts {
  return {
    buffer: readBuffer,
    callback: (bytes: number): boolean => {
      const s = socket()
      s.emit('data', readBuffer.subarray(0, bytes))
      return !s.isPaused()
    },
  }
}

/** Records that `socket` reads into the shared buffer. */
export function markSharedRead(socket: net.Socket): void {
  sharedReadSockets.add(socket)
}

/** The part of net.Socket's internals that moving a connection needs. */
interface SocketWithHandle {
  _handle: object | null
}

/**
 * Moves an accepted socket that has not read yet (the server's `pauseOnConnect`) onto a new
 * socket reading into `readBuffer`: Node 20's net.Server takes no `onread`. The old socket
 * is closed without touching the connection. Call it before anything listens to the old one.
 */
export function readAcceptedIntoSharedBuffer(accepted: net.Socket, readBuffer: Buffer): net.Socket {
  const old = accepted as unknown as SocketWithHandle
  const handle = old._handle
  if (handle === null || accepted.destroyed) return accepted
  old._handle = null
  accepted.destroy() // no handle left: only its 'close' event, which the server counts
  const socket: net.Socket = new net.Socket({
    handle,
    readable: true,
    writable: true,
    onread: sharedReadOption(readBuffer, () => socket),
  } as net.SocketConstructorOpts)
  socket.pause()
  markSharedRead(socket)
  return socket
}
