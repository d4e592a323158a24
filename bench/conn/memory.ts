// Memory figures of a benchmark peer process, taken after garbage collection so that the
// difference between two readings is live memory (the peers run with --expose-gc).
import { setImmediate as nextTurn } from 'node:timers/promises'

export interface MemoryFigures {
  rss: number
  heapUsed: number
}

const collect = (globalThis as { gc?: () => void }).gc

/** RSS and used heap after two full collections (once without --expose-gc: no collection). */
export async function measureMemory(): Promise<MemoryFigures> {
  if (collect !== undefined) {
    collect()
    await nextTurn()
    collect()
  }
  const { rss, heapUsed } = process.memoryUsage()
  return { rss, heapUsed }
}
