// The node's recent bandwidth: one sample of the total inflow and outflow a second, the last two
// minutes in a fixed ring, so the dashboard's chart is full as soon as the page loads.
import type { FastifyInstance } from 'fastify'
import type { AnyP2p } from './shapes.js'

/** One sample: when, and the total flows then (bytes per second). */
export interface FlowSampleJson {
  readonly time: number
  readonly inflow: number
  readonly outflow: number
}

/** Two minutes of one-second samples. */
export const FLOW_HISTORY_SAMPLES = 120
export const FLOW_SAMPLE_PERIOD_MS = 1000

/** A ring of the last `capacity` flow samples of a P2p layer, taken every `periodMs`. */
export class FlowHistory {
  readonly #ring: (FlowSampleJson | undefined)[]
  #next = 0
  readonly #timer: NodeJS.Timeout

  constructor(p2p: AnyP2p, options: { capacity?: number; periodMs?: number; now?: () => number } = {}) {
    const now = options.now ?? Date.now
    this.#ring = new Array(options.capacity ?? FLOW_HISTORY_SAMPLES).fill(undefined)
    const sample = (): void => {
      const { io } = p2p.stats()
      this.#ring[this.#next] = { time: now(), inflow: Math.round(io.flowIn), outflow: Math.round(io.flowOut) }
      this.#next = (this.#next + 1) % this.#ring.length
    }
    sample()
    this.#timer = setInterval(sample, options.periodMs ?? FLOW_SAMPLE_PERIOD_MS)
    this.#timer.unref()
  }

  /** The samples held, oldest first. */
  samples(): FlowSampleJson[] {
    const out: FlowSampleJson[] = []
    for (let i = 0; i < this.#ring.length; i++) {
      const s = this.#ring[(this.#next + i) % this.#ring.length]
      if (s !== undefined) out.push(s)
    }
    return out
  }

  close(): void {
    clearInterval(this.#timer)
  }
}

/** `GET /network/stat/flows`: the last two minutes of total flows, one sample a second, oldest first. */
export function registerFlowHistory(app: FastifyInstance, history: FlowHistory): void {
  app.get('/network/stat/flows', async () => ({ samples: history.samples() }))
}
