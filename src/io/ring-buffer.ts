// A growable FIFO on a power-of-two circular array: O(1) push and shift without the
// O(n) cost of Array#shift; the queue, the scheduler's wait lists and the meters use it.

const MIN_SLOTS = 4
/** Shared by every empty ring until its first push: an idle queue holds no slots. */
const NO_SLOTS: never[] = []

/** FIFO of values (never `undefined`), amortised O(1) push/shift; shrinks back after a burst. */
export class RingBuffer<T> {
  #slots: (T | undefined)[] = NO_SLOTS
  #head = 0
  #length = 0

  /** Number of values held. */
  get length(): number {
    return this.#length
  }

  /** Appends `value` at the tail. */
  push(value: T): void {
    if (this.#length === this.#slots.length) this.#resize(Math.max(MIN_SLOTS, this.#slots.length * 2))
    this.#slots[(this.#head + this.#length) & (this.#slots.length - 1)] = value
    this.#length++
  }

  /** Removes and returns the head value, or `undefined` when empty. */
  shift(): T | undefined {
    if (this.#length === 0) return undefined
    const slots = this.#slots
    const value = slots[this.#head]
    slots[this.#head] = undefined
    this.#head = (this.#head + 1) & (slots.length - 1)
    this.#length--
    if (slots.length > MIN_SLOTS && this.#length < slots.length >>> 2) this.#resize(slots.length >>> 1)
    return value
  }

  /** The head value without removing it, or `undefined` when empty. */
  peek(): T | undefined {
    return this.#length === 0 ? undefined : this.#slots[this.#head]
  }

  /** Removes every value and returns them in FIFO order. */
  clear(): T[] {
    const out: T[] = new Array(this.#length)
    for (let i = 0; i < out.length; i++)
      out[i] = this.#slots[(this.#head + i) & (this.#slots.length - 1)] as T
    this.#slots = NO_SLOTS
    this.#head = 0
    this.#length = 0
    return out
  }

  #resize(size: number): void {
    const slots: (T | undefined)[] = new Array(size)
    const mask = this.#slots.length - 1
    for (let i = 0; i < this.#length; i++) slots[i] = this.#slots[(this.#head + i) & mask]
    this.#slots = slots
    this.#head = 0
  }
}
