// A TCP relay on loopback that forwards both ways and can flip one bit of the next bytes it
// relays in a direction: the man in the middle that tests MAC failures.
import net from 'node:net'
import { defined } from './defined.js'

export interface TcpProxy {
  readonly port: number
  /** Flips the lowest bit of the last byte of the next data relayed toward the listener. */
  corruptNextToServer(): void
  close(): Promise<void>
}

export async function tcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let corrupt = false
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost)
    sockets.add(client)
    sockets.add(upstream)
    client.on('data', (data: Buffer) => {
      if (corrupt) {
        corrupt = false
        const copy = Buffer.from(data)
        copy[copy.length - 1] = defined(copy[copy.length - 1]) ^ 1
        upstream.write(copy)
      } else upstream.write(data)
    })
    upstream.on('data', (data: Buffer) => client.write(data))
    const closeBoth = (): void => {
      client.destroy()
      upstream.destroy()
    }
    client.on('close', closeBoth)
    upstream.on('close', closeBoth)
    client.on('error', closeBoth)
    upstream.on('error', closeBoth)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    corruptNextToServer: () => {
      corrupt = true
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
