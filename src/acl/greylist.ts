// The automatic greylist's table: keys banned until a time, at most a fixed number of them
// (greylisting past the bound drops the oldest, like Octez's ring of peer ids).

/** What the table needs of an entry: the time (ms, the ACL clock) from which it no longer counts. */
export interface Expiring {
  readonly until: number
}

/**
 * Greylisted keys with their entries, oldest first. An entry is active while `now < until`.
 * Greylisting a key again replaces its entry and makes it the newest. Expired entries stay
 * (inactive) until `collect` removes them.
 */
export class Greylist<E extends Expiring> {
  readonly capacity: number
  /** Insertion order is the eviction order: a Map iterates oldest first. */
  readonly #entries = new Map<string, E>()

  /** `capacity`: the most entries kept (a positive integer; the caller checks it). */
  constructor(capacity: number) {
    this.capacity = capacity
  }

  /** Number of entries, expired ones included until collected. */
  get size(): number {
    return this.#entries.size
  }

  /** Sets the entry of `key`, making it the newest; returns the oldest entry dropped to stay in bounds, if any. */
  set(key: string, entry: E): E | undefined {
    this.#entries.delete(key)
    this.#entries.set(key, entry)
    if (this.#entries.size <= this.capacity) return undefined
    const [oldestKey, oldest] = this.#entries.entries().next().value as [string, E]
    this.#entries.delete(oldestKey)
    return oldest
  }

  /** The entry of `key` if it is active at `now`. */
  active(key: string, now: number): E | undefined {
    const entry = this.#entries.get(key)
    return entry !== undefined && now < entry.until ? entry : undefined
  }

  /** Removes the entry of `key`; returns whether there was one (active or not). */
  delete(key: string): boolean {
    return this.#entries.delete(key)
  }

  /** Removes the entries `matches` selects; returns how many. */
  deleteWhere(matches: (entry: E) => boolean): number {
    let removed = 0
    for (const [key, entry] of this.#entries) {
      if (matches(entry)) {
        this.#entries.delete(key)
        removed++
      }
    }
    return removed
  }

  /** Removes the entries expired at `now`; returns how many. */
  collect(now: number): number {
    return this.deleteWhere((entry) => now >= entry.until)
  }

  /** Removes every entry; returns how many there were. */
  clear(): number {
    const count = this.#entries.size
    this.#entries.clear()
    return count
  }

  /** The entries active at `now`, oldest first. */
  activeEntries(now: number): E[] {
    const out: E[] = []
    for (const entry of this.#entries.values()) if (now < entry.until) out.push(entry)
    return out
  }
}
