// The memory budget's victim: when the bytes queued by the whole layer pass the budget, the
// connection holding the most is dropped first (untrusted before trusted), until under it.

/** What the guard needs of a live connection. */
export interface BudgetHolder {
  readonly queuedBytes: number
  readonly trusted: boolean
}

/** The connection to drop: the untrusted one holding the most, else the trusted one; none holding nothing. */
export function budgetVictim<T extends BudgetHolder>(holders: Iterable<T>): T | undefined {
  let best: T | undefined
  for (const h of holders) {
    if (h.queuedBytes === 0) continue
    if (
      best === undefined ||
      (best.trusted && !h.trusted) ||
      (best.trusted === h.trusted && h.queuedBytes > best.queuedBytes)
    )
      best = h
  }
  return best
}
