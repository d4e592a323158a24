// Line and band charts over time as standalone SVG, for the simulation (the spread of connections
// per node, with the thresholds) and the soak (memory and handles, with the baseline band).

/** One line: its label and its points [time, value], times ascending. */
export interface NodeSeries {
  readonly label: string
  /** Sample times, in the chart's time unit since the run began, ascending, and the values then. */
  readonly points: ReadonlyArray<readonly [number, number]>
  /** A CSS colour; default: a hue spread over the panel's series. */
  readonly color?: string
}

/** A shaded band between a low and a high value over time (e.g. min to max over nodes). */
export interface ChartBand {
  readonly label: string
  /** [time, low, high], times ascending. */
  readonly points: ReadonlyArray<readonly [number, number, number]>
  readonly color?: string
}

/** A time at which something happened (nodes killed, warm-up over), drawn as a vertical line. */
export interface ChartMark {
  readonly at: number
  readonly label: string
}

/** A horizontal reference line (a threshold, a baseline, the edge of a tolerance band). */
export interface ChartLevel {
  readonly value: number
  readonly label: string
  readonly color?: string
}

/** One panel: a y axis, its lines, levels and marks. */
export interface ChartPanel {
  readonly title: string
  readonly yLabel: string
  /** Default 'time (s)'. */
  readonly xLabel?: string
  readonly series: readonly NodeSeries[]
  /** Shaded bands, drawn under the series (listed in the legend before them). */
  readonly bands?: readonly ChartBand[]
  readonly levels?: readonly ChartLevel[]
  readonly marks?: readonly ChartMark[]
  /** The y axis reaches at least this far (it always spans every value and level). */
  readonly yMaxAtLeast?: number
  /** A legend of the series in the bottom left corner (for a few series, not one per node). */
  readonly legend?: boolean
}

/** The simulation's chart: connections per node, the maintenance thresholds, the churn instants. */
export interface ChartInput {
  /** Every sample: its time (s) and each node's connection count (negative while the node is down). */
  readonly samples: ReadonlyArray<{ readonly t: number; readonly counts: readonly number[] }>
  readonly minThreshold: number
  readonly maxThreshold: number
  /** Times (s) at which nodes were killed or restarted. */
  readonly marks: readonly ChartMark[]
  readonly title: string
}

const WIDTH = 900
const PANEL_HEIGHT = 420
const MARGIN = { left: 60, right: 20, top: 40, bottom: 40 }

/** Escapes text for SVG. */
function text(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** A round step (1, 2 or 5 times a power of ten) of about `span / 8`; at least 1 for integer data. */
function tickStep(span: number, integer: boolean): number {
  const raw = span / 8
  const power = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw
  return integer ? Math.max(1, Math.ceil(step)) : step
}

/** A tick label: the value with at most two decimals, trailing zeros dropped. */
function tickLabel(value: number): string {
  return String(Number(value.toFixed(2)))
}

/** The SVG elements of one panel whose top edge is at `top`. */
function panelElements(panel: ChartPanel, top: number): string[] {
  const levels = panel.levels ?? []
  const marks = panel.marks ?? []
  const bands = panel.bands ?? []
  const times = [
    ...panel.series.flatMap((s) => s.points.map((p) => p[0])),
    ...bands.flatMap((b) => b.points.map((p) => p[0])),
  ]
  const values = [
    ...panel.series.flatMap((s) => s.points.map((p) => p[1])),
    ...bands.flatMap((b) => b.points.map((p) => p[2])),
  ]
  const tMax = Math.max(1, ...times, ...marks.map((m) => m.at))
  const yMax = Math.max(panel.yMaxAtLeast ?? 1, ...values, ...levels.map((l) => l.value))
  const plotW = WIDTH - MARGIN.left - MARGIN.right
  const plotH = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom
  const plotTop = top + MARGIN.top
  const bottom = plotTop + plotH
  const x = (t: number) => (MARGIN.left + (t / tMax) * plotW).toFixed(1)
  const y = (v: number) => (plotTop + plotH - (v / yMax) * plotH).toFixed(1)
  const out: string[] = [
    `<text x="${WIDTH / 2}" y="${top + 20}" text-anchor="middle" font-size="14">${text(panel.title)}</text>`,
  ]
  const yStep = tickStep(yMax, values.every(Number.isInteger))
  for (let v = 0; v <= yMax; v += yStep) {
    out.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`,
      `<text x="${MARGIN.left - 6}" y="${y(v)}" text-anchor="end" dominant-baseline="middle">${tickLabel(v)}</text>`,
    )
  }
  const tStep = tickStep(tMax, true)
  for (let t = 0; t <= tMax; t += tStep) {
    out.push(`<text x="${x(t)}" y="${bottom + 16}" text-anchor="middle">${t}</text>`)
  }
  const middle = plotTop + plotH / 2
  out.push(
    `<text x="${WIDTH / 2}" y="${top + PANEL_HEIGHT - 6}" text-anchor="middle">${text(panel.xLabel ?? 'time (s)')}</text>`,
    `<text x="14" y="${middle}" transform="rotate(-90 14 ${middle})" text-anchor="middle">${text(panel.yLabel)}</text>`,
  )
  for (const level of levels) {
    const color = level.color ?? '#c00'
    out.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(level.value)}" y2="${y(level.value)}" stroke="${color}" stroke-dasharray="6 4"/>`,
      `<text x="${WIDTH - MARGIN.right}" y="${Number(y(level.value)) - 4}" text-anchor="end" fill="${color}">${text(level.label)}</text>`,
    )
  }
  for (const mark of marks) {
    out.push(
      `<line x1="${x(mark.at)}" x2="${x(mark.at)}" y1="${plotTop}" y2="${bottom}" stroke="#06c" stroke-dasharray="2 3"/>`,
      `<text x="${Number(x(mark.at)) + 3}" y="${plotTop + 10}" fill="#06c">${text(mark.label)}</text>`,
    )
  }
  const legend: string[] = []
  const entries = bands.length + panel.series.length
  const legendTop = bottom - entries * 14 - 8
  if (panel.legend) {
    const longest = Math.max(
      0,
      ...bands.map((b) => b.label.length),
      ...panel.series.map((s) => s.label.length),
    )
    legend.push(
      `<rect x="${MARGIN.left + 4}" y="${legendTop}" width="${36 + longest * 6}" height="${entries * 14 + 2}" fill="white" fill-opacity="0.8"/>`,
    )
  }
  bands.forEach((b, i) => {
    const color = b.color ?? '#7aa6d6'
    if (panel.legend) {
      const ly = legendTop + 8 + i * 14
      legend.push(
        `<rect x="${MARGIN.left + 8}" y="${ly - 5}" width="20" height="10" fill="${color}" fill-opacity="0.35"/>`,
        `<text x="${MARGIN.left + 32}" y="${ly}" dominant-baseline="middle">${text(b.label)}</text>`,
      )
    }
    if (b.points.length === 0) return
    const upper = b.points.map(([t, , hi]) => `${x(t)},${y(hi)}`)
    const lower = b.points.map(([t, lo]) => `${x(t)},${y(lo)}`).reverse()
    out.push(
      `<polygon fill="${color}" fill-opacity="0.35" stroke="none" points="${[...upper, ...lower].join(' ')}"><title>${text(b.label)}</title></polygon>`,
    )
  })
  panel.series.forEach((s, i) => {
    const color = s.color ?? `hsl(${Math.round((i * 360) / Math.max(1, panel.series.length))},60%,45%)`
    if (panel.legend) {
      const ly = legendTop + 8 + (bands.length + i) * 14
      legend.push(
        `<line x1="${MARGIN.left + 8}" x2="${MARGIN.left + 28}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`,
        `<text x="${MARGIN.left + 32}" y="${ly}" dominant-baseline="middle">${text(s.label)}</text>`,
      )
    }
    if (s.points.length === 0) return
    const path = s.points.map(([t, v]) => `${x(t)},${y(v)}`).join(' ')
    out.push(
      `<polyline fill="none" stroke="${color}" stroke-opacity="0.6" stroke-width="1.2" points="${path}"><title>${text(s.label)}</title></polyline>`,
    )
  })
  out.push(...legend)
  return out
}

/** Renders the panels one under the other; each panel's axes span its samples, levels and marks. */
export function lineChart(panels: readonly ChartPanel[]): string {
  const height = PANEL_HEIGHT * panels.length
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<title>${text(panels.map((p) => p.title).join('; '))}</title>`,
    `<rect width="${WIDTH}" height="${height}" fill="white"/>`,
    ...panels.flatMap((panel, i) => panelElements(panel, i * PANEL_HEIGHT)),
    '</svg>',
  ]
  return `${out.join('\n')}\n`
}

/** Per sample: the min, median and max connections over the nodes that are up, and how many are outside the thresholds. */
export function connectionSpread(
  samples: ChartInput['samples'],
  minThreshold: number,
  maxThreshold: number,
): Array<{
  t: number
  min: number
  median: number
  max: number
  below: number
  above: number
  down: number
}> {
  return samples.map(({ t, counts }) => {
    const up = counts.filter((c) => c >= 0).sort((a, b) => a - b)
    const mid = up.length >> 1
    const upper = up[mid] ?? 0 // 0 when no node is up
    const median = up.length % 2 === 1 ? upper : ((up[mid - 1] ?? upper) + upper) / 2
    return {
      t,
      min: up[0] ?? 0,
      median,
      max: up[up.length - 1] ?? 0,
      below: up.filter((c) => c < minThreshold).length,
      above: up.filter((c) => c > maxThreshold).length,
      down: counts.length - up.length,
    }
  })
}

/**
 * The simulation's chart, two panels: the min-max band and the median of connections per node
 * with the thresholds, then how many nodes are below or above the thresholds (and down); the
 * churn instant is marked on both.
 */
export function connectionsChart(input: ChartInput): string {
  const spread = connectionSpread(input.samples, input.minThreshold, input.maxThreshold)
  return lineChart([
    {
      title: input.title,
      yLabel: 'connections per node',
      bands: [
        { label: 'min to max over the nodes', points: spread.map((s) => [s.t, s.min, s.max] as const) },
      ],
      series: [{ label: 'median', color: '#1f4e8c', points: spread.map((s) => [s.t, s.median] as const) }],
      marks: input.marks,
      yMaxAtLeast: input.maxThreshold + 1,
      legend: true,
      levels: [
        { value: input.minThreshold, label: `min_threshold ${input.minThreshold}` },
        { value: input.maxThreshold, label: `max_threshold ${input.maxThreshold}` },
      ],
    },
    {
      title: 'nodes outside the thresholds',
      yLabel: 'nodes',
      marks: input.marks,
      legend: true,
      series: [
        {
          label: `below min_threshold ${input.minThreshold}`,
          color: '#c05000',
          points: spread.map((s) => [s.t, s.below] as const),
        },
        {
          label: `above max_threshold ${input.maxThreshold}`,
          color: '#8a2be2',
          points: spread.map((s) => [s.t, s.above] as const),
        },
        { label: 'down (churn)', color: '#777', points: spread.map((s) => [s.t, s.down] as const) },
      ],
    },
  ])
}
