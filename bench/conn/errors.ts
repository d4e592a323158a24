// The errors of the connection benchmark: a driver that cannot run here, bad options, a
// benchmark peer process that failed, and a connection that broke or spoke out of turn.

/** The codes of the benchmark's errors (not the library's: see src/errors/codes.ts for those). */
export type BenchErrorCode =
  | 'DUNE_BENCH_DRIVER_UNAVAILABLE'
  | 'DUNE_BENCH_OPTIONS'
  | 'DUNE_BENCH_PEER'
  | 'DUNE_BENCH_CONNECTION'

/** Base class of the benchmark's errors, with a stable `code` as the library's errors have. */
export class BenchError extends Error {
  readonly code: BenchErrorCode

  constructor(code: BenchErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** The driver cannot run on this checkout (code `DUNE_BENCH_DRIVER_UNAVAILABLE`); it is skipped. */
export class DriverUnavailableError extends BenchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DUNE_BENCH_DRIVER_UNAVAILABLE', message, options)
  }
}

/** A command-line option is malformed (code `DUNE_BENCH_OPTIONS`). */
export class BenchOptionsError extends BenchError {
  constructor(message: string) {
    super('DUNE_BENCH_OPTIONS', message)
  }
}

/** A benchmark peer process failed, exited or did not answer in time (code `DUNE_BENCH_PEER`). */
export class BenchPeerError extends BenchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DUNE_BENCH_PEER', message, options)
  }
}

/** A benchmark connection closed early or carried an unexpected message (code `DUNE_BENCH_CONNECTION`). */
export class BenchConnectionError extends BenchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DUNE_BENCH_CONNECTION', message, options)
  }
}
