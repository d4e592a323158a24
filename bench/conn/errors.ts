// The errors of the connection benchmark: a driver that cannot run here, bad options, a
// benchmark peer process that failed, and a connection that broke or spoke out of turn.
import { DuneP2pError } from '../../src/errors.js'

/** The driver cannot run on this checkout (code `DUNE_BENCH_DRIVER_UNAVAILABLE`); it is skipped. */
export class DriverUnavailableError extends DuneP2pError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DUNE_BENCH_DRIVER_UNAVAILABLE', message, options)
  }
}

/** A command-line option is malformed (code `DUNE_BENCH_OPTIONS`). */
export class BenchOptionsError extends DuneP2pError {
  constructor(message: string) {
    super('DUNE_BENCH_OPTIONS', message)
  }
}

/** A benchmark peer process failed, exited or did not answer in time (code `DUNE_BENCH_PEER`). */
export class BenchPeerError extends DuneP2pError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DUNE_BENCH_PEER', message, options)
  }
}

/** A benchmark connection closed early or carried an unexpected message (code `DUNE_BENCH_CONNECTION`). */
export class BenchConnectionError extends DuneP2pError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DUNE_BENCH_CONNECTION', message, options)
  }
}
