// Points as the pool keys them: one canonical text per address and port, so that
// "::ffff:10.0.0.1:9732", "10.0.0.1:9732" and a socket's remote end all meet in one entry.
import type { Socket } from 'node:net'
import { normalizeIp } from '../acl/index.js'
import { formatPoint, parsePoint, pointSyntaxError } from '../wire/index.js'

/** The canonical form of a point ("a.b.c.d:port", "[v6]:port"), or undefined if it is not a valid point. */
export function canonicalPoint(text: string): string | undefined {
  if (typeof text !== 'string' || pointSyntaxError(text) !== undefined) return undefined
  const { host, port } = parsePoint(text)
  return formatPoint(normalizeIp(host), port)
}

/** The remote IP address of a connected socket, canonical ("10.0.0.1", "2001:db8::1"). */
export function remoteIpOf(socket: Socket): string {
  return normalizeIp(socket.remoteAddress ?? '::')
}
