// The simulation's chart as a standalone SVG: connections per node over time, one line per
// node, with the maintenance thresholds and the churn instants marked.

/** One node's connection count at each sample. */
export interface NodeSeries {
  readonly label: string
  /** Sample times, seconds since the simulation began, ascending, and the counts then. */
  readonly points: ReadonlyArray<readonly [number, number]>
}

export interface ChartInput {
  readonly series: readonly NodeSeries[]
  readonly minThreshold: number
  readonly maxThreshold: number
  /** Times (s) at which nodes were killed or restarted. */
  readonly marks: ReadonlyArray<{ readonly at: number; readonly label: string }>
  readonly title: string
}

const WIDTH = 900
const HEIGHT = 420
const MARGIN = { left: 50, right: 20, top: 40, bottom: 40 }

/** Escapes text for SVG. */
function text(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** Renders the chart; axes span every sample and at least the thresholds. */
export function connectionsChart(input: ChartInput): string {
  const times = input.series.flatMap((s) => s.points.map((p) => p[0]))
  const counts = input.series.flatMap((s) => s.points.map((p) => p[1]))
  const tMax = Math.max(1, ...times, ...input.marks.map((m) => m.at))
  const yMax = Math.max(input.maxThreshold + 1, ...counts)
  const plotW = WIDTH - MARGIN.left - MARGIN.right
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom
  const x = (t: number) => (MARGIN.left + (t / tMax) * plotW).toFixed(1)
  const y = (c: number) => (MARGIN.top + plotH - (c / yMax) * plotH).toFixed(1)
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="11">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="14">${text(input.title)}</text>`,
  ]
  for (let c = 0; c <= yMax; c += Math.max(1, Math.ceil(yMax / 10))) {
    out.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(c)}" y2="${y(c)}" stroke="#eee"/>`,
      `<text x="${MARGIN.left - 6}" y="${y(c)}" text-anchor="end" dominant-baseline="middle">${c}</text>`,
    )
  }
  const tStep = Math.max(1, Math.ceil(tMax / 10))
  for (let t = 0; t <= tMax; t += tStep) {
    out.push(`<text x="${x(t)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${t}</text>`)
  }
  out.push(
    `<text x="${WIDTH / 2}" y="${HEIGHT - 6}" text-anchor="middle">time (s)</text>`,
    `<text x="14" y="${HEIGHT / 2}" transform="rotate(-90 14 ${HEIGHT / 2})" text-anchor="middle">connections</text>`,
  )
  for (const [level, name] of [
    [input.minThreshold, 'min_threshold'],
    [input.maxThreshold, 'max_threshold'],
  ] as const) {
    out.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(level)}" y2="${y(level)}" stroke="#c00" stroke-dasharray="6 4"/>`,
      `<text x="${WIDTH - MARGIN.right}" y="${Number(y(level)) - 4}" text-anchor="end" fill="#c00">${name} ${level}</text>`,
    )
  }
  for (const mark of input.marks) {
    out.push(
      `<line x1="${x(mark.at)}" x2="${x(mark.at)}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#06c" stroke-dasharray="2 3"/>`,
      `<text x="${Number(x(mark.at)) + 3}" y="${MARGIN.top + 10}" fill="#06c">${text(mark.label)}</text>`,
    )
  }
  input.series.forEach((s, i) => {
    if (s.points.length === 0) return
    const hue = Math.round((i * 360) / Math.max(1, input.series.length))
    const path = s.points.map(([t, c]) => `${x(t)},${y(c)}`).join(' ')
    out.push(
      `<polyline fill="none" stroke="hsl(${hue},60%,45%)" stroke-opacity="0.6" stroke-width="1.2" points="${path}"><title>${text(s.label)}</title></polyline>`,
    )
  })
  out.push('</svg>')
  return `${out.join('\n')}\n`
}
