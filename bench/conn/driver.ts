// The contract between the connection benchmark and a connection implementation (a "driver"):
// listeners, dialers and message-oriented connections with backpressure.
//
// A driver adapts one implementation (raw TCP, js-libp2p, dune-p2p) to three small objects:
//
// - `Driver.listen({ host, onConnection })` starts a listening node (identity, keys, server;
//   set-up cost is not timed) and resolves to a `Listener` whose `address` is a string that a
//   `Dialer` of the same driver, in another process, can dial. `onConnection` receives every
//   inbound connection once it is authenticated and can carry messages.
// - `Driver.createDialer()` makes a dialing node (its own identity). `Dialer.dial(address)`
//   resolves once the connection is fully set up: authenticated, the first message can be
//   sent. A dialer dials ONE connection at a time (js-libp2p merges concurrent dials to one
//   peer into one connection); the harness uses one dialer per concurrent lane, as a real
//   node dials distinct peers. A dialer may hold many open connections.
// - `BenchConnection` carries whole messages of up to 16 MiB, in order, framed by the driver:
//   `send(msg)` returns `undefined` when the caller may send again at once, or a promise that
//   resolves when the connection accepts more (backpressure; rejects if it closes). The caller
//   may pass the same unchanged buffer to many sends, so a driver never mutates `msg`.
//   `onMessage(cb)` is called once per connection; messages that arrive before it are held.
//   `onClose(cb)` reports the end of the connection (either side), with its error if any.
//   `close()` flushes what was sent, closes and releases the connection without waiting for
//   the peer; closing twice is harmless.
//
// `Listener.close()` and `Dialer.close()` stop the node and close its connections. A driver
// whose implementation is missing throws `DriverUnavailableError` from `listen`/`createDialer`
// (or when its module loads), and the harness reports it as skipped.

export interface Driver {
  readonly name: string
  listen(options: ListenOptions): Promise<Listener>
  createDialer(): Promise<Dialer>
}

export interface ListenOptions {
  /** The IP address to listen on (the harness uses 127.0.0.1). */
  host: string
  onConnection: (connection: BenchConnection) => void
}

export interface Listener {
  /** What `Dialer.dial` takes to reach this listener. */
  readonly address: string
  close(): Promise<void>
}

export interface Dialer {
  dial(address: string): Promise<BenchConnection>
  close(): Promise<void>
}

export interface BenchConnection {
  send(message: Buffer): Promise<void> | undefined
  onMessage(callback: (message: Buffer) => void): void
  onClose(callback: (error?: Error) => void): void
  close(): Promise<void>
}
