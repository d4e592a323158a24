// A byte budget shared by every queue of a P2p layer (after go-libp2p's resource manager): one
// counter that queues add to and release from; past the limit, its owner is told to shed load.
import { IoArgumentError } from './errors.js'

/**
 * The bytes held by a set of queues, against a limit. Queues call `reserve`/`release` as items
 * come and go (a counter update, nothing more on the hot path). When a reservation takes the
 * total over the limit, `onOver` runs once, on the next microtask (never inside the push that
 * crossed it), with the bytes held then; it is expected to free memory (drop a connection).
 * The budget never refuses a reservation: the queues' own bounds stop growth, the owner sheds.
 */
export class MemoryBudget {
  /** The bound on the bytes held, in bytes. */
  readonly limit: number
  readonly #onOver: (held: number) => void
  #held = 0
  #checkPending = false
  /** The most ever held at once. */
  #peak = 0

  constructor(limit: number, onOver: (held: number) => void) {
    if (!(limit > 0)) throw new IoArgumentError(`memory budget must be > 0 bytes, got ${limit}`)
    this.limit = limit
    this.#onOver = onOver
  }

  /** Bytes held now. */
  get held(): number {
    return this.#held
  }

  /** The most bytes held at once since creation. */
  get peak(): number {
    return this.#peak
  }

  /** Counts `bytes` as held. */
  reserve(bytes: number): void {
    const held = this.#held + bytes
    this.#held = held
    if (held > this.#peak) this.#peak = held
    if (held > this.limit && !this.#checkPending) {
      this.#checkPending = true
      queueMicrotask(this.#check)
    }
  }

  /** Counts `bytes` as freed. */
  release(bytes: number): void {
    this.#held -= bytes
  }

  readonly #check = (): void => {
    this.#checkPending = false
    if (this.#held > this.limit) this.#onOver(this.#held)
  }
}
