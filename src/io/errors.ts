// Typed errors of the I/O primitives (queues and the bandwidth scheduler), each with a
// stable code so the connection layer can tell a closed queue from a bad argument.
import { DuneP2pError } from '../errors/index.js'

/** Describes a close reason for an error message: the message of an Error, a string as is. */
function describe(reason: unknown): string {
  if (reason instanceof Error) return `: ${reason.message}`
  if (typeof reason === 'string' && reason !== '') return `: ${reason}`
  return ''
}

/** A push or shift on a closed queue (or a waiter when it closed). `reason` is the close reason. */
export class QueueClosedError extends DuneP2pError<'DUNE_QUEUE_CLOSED'> {
  readonly reason: unknown

  constructor(reason: unknown) {
    super('DUNE_QUEUE_CLOSED', `queue closed${describe(reason)}`, { cause: reason })
    this.reason = reason
  }
}

/** A request on a closed scheduler handle or scheduler; pending write requests reject with it. */
export class SchedulerClosedError extends DuneP2pError<'DUNE_SCHEDULER_CLOSED'> {
  constructor(what: 'handle' | 'scheduler') {
    super('DUNE_SCHEDULER_CLOSED', `I/O scheduler ${what} closed`)
  }
}

/** A size, capacity, speed or period that is negative, NaN or otherwise unusable. */
export class IoArgumentError extends DuneP2pError<'DUNE_IO_ARGUMENT'> {
  constructor(message: string) {
    super('DUNE_IO_ARGUMENT', message)
  }
}

/** Throws IoArgumentError unless `value` is a finite number >= 0. */
export function checkByteCount(name: string, value: number): void {
  if (!(value >= 0 && value < Number.POSITIVE_INFINITY)) {
    throw new IoArgumentError(`${name} must be a finite number >= 0, got ${value}`)
  }
}
