// A FIFO bounded in bytes between a connection's workers and its users: the reader worker
// pushes decoded messages, the writer worker shifts messages to cut into chunks.

import { checkByteCount, IoArgumentError, QueueClosedError } from './errors.js'
import type { MemoryBudget } from './memory-budget.js'
// Usage (connection layer):
//   write path:  await outbox.push(msg, size)      // user side; waits while the outbox is full
//                msg = outbox.tryShift() ?? await outbox.shift()   // writer worker, no Promise if ready
//   read path:   if (!inbox.tryPush(msg, size)) { socket.pause(); await inbox.push(msg, size); socket.resume() }
//   on close:    queue.close(reason); leftovers = queue.drain()    // or let shift() return them first
// Items must not be `undefined` (tryShift returns `undefined` for "empty").
import { RingBuffer } from './ring-buffer.js'

/** Settled promise returned by push() when it completes at once, so the fast path allocates nothing. */
const DONE: Promise<void> = Promise.resolve()
/** Settled promise of `shiftOrEnd` on a closed, empty queue. */
const ENDED: Promise<undefined> = Promise.resolve(undefined)

interface Pusher<T> {
  item: T
  size: number
  resolve: () => void
  reject: (err: QueueClosedError) => void
}

interface Taker<T> {
  resolve: (item: T) => void
  /** A `shift` taker's, which the close rejects; undefined for `shiftOrEnd`, which it resolves with `undefined`. */
  reject: ((err: QueueClosedError) => void) | undefined
}

export interface BoundedQueueOptions {
  /** Bound on the summed sizes of queued items, in bytes (default Infinity: unbounded). */
  capacity?: number
  /** A budget shared with other queues: every queued byte is reserved in it until taken out. */
  budget?: MemoryBudget
}

/**
 * FIFO of items bounded in bytes. An item fits when the queue is empty or when its size
 * keeps the queued bytes within `capacity` (so an item larger than the capacity still
 * passes alone: nothing deadlocks). Pushers waiting for room are admitted in FIFO order,
 * and a push never overtakes one that waits.
 *
 * Closing rejects every waiting push and shift with a QueueClosedError carrying the reason.
 * Items already queued are kept: `shift`/`tryShift` still return them, then `shift` rejects;
 * `drain()` takes them all at once. Nothing is ever dropped silently.
 */
export class BoundedQueue<T extends NonNullable<unknown> | null> {
  /** Bound on queued bytes. */
  readonly capacity: number
  readonly #budget: MemoryBudget | undefined
  readonly #items = new RingBuffer<T>()
  readonly #sizes = new RingBuffer<number>()
  readonly #pushers = new RingBuffer<Pusher<T>>()
  readonly #takers = new RingBuffer<Taker<T>>()
  #bytes = 0
  #closed = false
  #closeReason: unknown
  /** Made at the first use after close: most queues close with nobody waiting (an Error's stack is costly). */
  #closedError: QueueClosedError | undefined

  constructor(options: BoundedQueueOptions = {}) {
    const capacity = options.capacity ?? Number.POSITIVE_INFINITY
    if (!(capacity >= 0)) throw new IoArgumentError(`queue capacity must be >= 0, got ${capacity}`)
    this.capacity = capacity
    this.#budget = options.budget
  }

  /** Number of queued items. */
  get length(): number {
    return this.#items.length
  }

  /** Summed sizes of queued items. */
  get bytes(): number {
    return this.#bytes
  }

  /** Number of push() calls waiting for room. */
  get waitingPushes(): number {
    return this.#pushers.length
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#closed
  }

  #error(): QueueClosedError {
    this.#closedError ??= new QueueClosedError(this.#closeReason)
    return this.#closedError
  }

  /**
   * Queues `item` of `size` bytes, waiting while it does not fit. Resolves (with a shared,
   * already settled promise when it fits at once) when queued; rejects with QueueClosedError
   * if the queue is or gets closed first, in which case the item was not queued.
   */
  push(item: T, size: number): Promise<void> {
    checkByteCount('item size', size)
    if (this.#closed) return Promise.reject(this.#error())
    if (this.#pushers.length === 0 && this.#admit(item, size)) return DONE
    return new Promise((resolve, reject) => {
      this.#pushers.push({ item, size, resolve, reject })
    })
  }

  /** Queues `item` if it fits now; false (not queued) otherwise. Throws QueueClosedError when closed. */
  tryPush(item: T, size: number): boolean {
    checkByteCount('item size', size)
    if (this.#closed) throw this.#error()
    return this.#pushers.length === 0 && this.#admit(item, size)
  }

  /**
   * Takes the next item, waiting for one. After close, still returns the queued items,
   * then rejects with QueueClosedError. Prefer `tryShift() ?? await shift()` on hot paths.
   */
  shift(): Promise<T> {
    if (this.#items.length > 0) return Promise.resolve(this.#take())
    if (this.#closed) return Promise.reject(this.#error())
    return new Promise((resolve, reject) => {
      this.#takers.push({ resolve, reject })
    })
  }

  /**
   * Like `shift`, but the end of a closed queue resolves with `undefined` rather than rejecting:
   * for the loops that read a queue until it closes, which then cost no QueueClosedError (an
   * Error's stack is costly, and every connection's close would build one per waiting loop).
   */
  shiftOrEnd(): Promise<T | undefined> {
    if (this.#items.length > 0) return Promise.resolve(this.#take())
    if (this.#closed) return ENDED
    return new Promise<T | undefined>((resolve) => {
      this.#takers.push({ resolve, reject: undefined })
    })
  }

  /** Takes the next item if there is one (also after close), else `undefined`. */
  tryShift(): T | undefined {
    return this.#items.length > 0 ? this.#take() : undefined
  }

  /**
   * Closes the queue: waiting pushes and shifts reject with a QueueClosedError carrying
   * `reason`, later pushes too. Queued items stay available to shift/tryShift/drain.
   * Closing again does nothing (the first reason stays).
   */
  close(reason?: unknown): void {
    if (this.#closed) return
    this.#closed = true
    this.#closeReason = reason
    if (this.#takers.length === 0 && this.#pushers.length === 0) return
    for (const taker of this.#takers.clear()) {
      if (taker.reject !== undefined) taker.reject(this.#error())
      else (taker.resolve as (end: T | undefined) => void)(undefined)
    }
    for (const pusher of this.#pushers.clear()) pusher.reject(this.#error())
  }

  /** Removes and returns all queued items in FIFO order; waiting pushes then get room. */
  drain(): T[] {
    const items = this.#items.clear()
    this.#sizes.clear()
    this.#budget?.release(this.#bytes)
    this.#bytes = 0
    this.#admitWaiting()
    return items
  }

  /** Hands `item` to a waiting taker or queues it if it fits; false when it does not fit. */
  #admit(item: T, size: number): boolean {
    // Takers only wait on an empty queue, so handing over directly keeps FIFO order.
    const taker = this.#takers.shift()
    if (taker !== undefined) {
      taker.resolve(item)
      return true
    }
    if (this.#items.length > 0 && this.#bytes + size > this.capacity) return false
    this.#items.push(item)
    this.#sizes.push(size)
    this.#bytes += size
    this.#budget?.reserve(size)
    return true
  }

  #take(): T {
    const item = this.#items.shift() as T
    const size = this.#sizes.shift() as number
    this.#bytes -= size
    this.#budget?.release(size)
    if (this.#pushers.length > 0) this.#admitWaiting()
    return item
  }

  #admitWaiting(): void {
    for (let pusher = this.#pushers.peek(); pusher !== undefined; pusher = this.#pushers.peek()) {
      if (!this.#admit(pusher.item, pusher.size)) return
      this.#pushers.shift()
      pusher.resolve()
    }
  }
}
