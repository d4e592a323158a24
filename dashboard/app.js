// The dashboard's browser side (plain ES module, no build step): reads the admin RPC, follows
// /network/log as server-sent events, draws the tables, the bandwidth chart and the event log.

const CHART_WINDOW_MS = 120_000
const LOG_LIMIT = 200
const EVENT_KINDS = [
  'connection',
  'disconnection',
  'greylisted',
  'handshake_failed',
  'refused',
  'evicted',
  'low_score',
  'maintenance',
  'acl',
  'gossip',
  'stat',
]
/** Events after which the lists are read again. */
const REFRESHING_KINDS = new Set(['connection', 'disconnection', 'greylisted', 'evicted', 'low_score', 'acl'])

const state = {
  connections: [],
  /** peer id -> { current_inflow, current_outflow } from the latest stat event */
  flows: new Map(),
  /** { t, in, out } samples of the total flows, the last CHART_WINDOW_MS */
  samples: [],
}

const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`)

/** An element with attributes (data-* and the rest) and children (strings become text). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue
    if (name === 'onclick') node.addEventListener('click', value)
    else node.setAttribute(name, value === true ? '' : String(value))
  }
  for (const child of children) node.append(child)
  return node
}

// Formatting, as dune-admin-client prints it.
const rate = (bytesPerSecond) => `${(bytesPerSecond / 1000).toFixed(1)} kB/s`
const score = (n) => (Number.isInteger(n) ? String(n) : n.toFixed(2))

function bytes(n) {
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let unit = 0
  while (n >= 1000 && unit < units.length - 1) {
    n /= 1000
    unit++
  }
  return unit === 0 ? `${n} B` : `${n.toFixed(1)} ${units[unit]}`
}

function duration(ms) {
  const s = Math.floor(ms / 1000)
  const parts = [
    [Math.floor(s / 86_400), 'd'],
    [Math.floor(s / 3600) % 24, 'h'],
    [Math.floor(s / 60) % 60, 'm'],
    [s % 60, 's'],
  ]
  const first = parts.findIndex(([n]) => n > 0)
  if (first === -1) return '0s'
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, u]) => `${n}${u}`)
    .join(' ')
}

const clock = (time) => new Date(time).toLocaleTimeString([], { hour12: false })

// The admin RPC. Its state-changing routes need the node's token, which the node gives its own
// page (same origin) at /dashboard/token.
let tokenRequest = null

async function rpcToken() {
  tokenRequest ??= fetch('/dashboard/token', { headers: { accept: 'application/json' } })
    .then((r) => (r.ok ? r.json() : null))
    .then((body) => body?.token ?? null)
    .catch(() => null)
  const token = await tokenRequest
  if (token === null) tokenRequest = null
  return token
}

async function api(method, path, body) {
  const headers = body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json' }
  if (method !== 'GET') {
    const token = await rpcToken()
    if (token !== null) headers.authorization = `Bearer ${token}`
  }
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  let json = null
  try {
    json = text ? JSON.parse(text) : null
  } catch {
    json = null
  }
  if (!response.ok) throw new Error(json?.error?.message ?? `${method} ${path}: ${response.status}`)
  return json
}

function showError(err) {
  const box = $('error')
  if (err === null) {
    box.hidden = true
    box.textContent = ''
    return
  }
  box.hidden = false
  box.textContent = err instanceof Error ? err.message : String(err)
}

/** Runs an admin action from a button, shows its error, and reads the lists again. */
async function act(button, action) {
  button.disabled = true
  try {
    await action()
    showError(null)
  } catch (err) {
    showError(err)
  } finally {
    button.disabled = false
    await refresh()
  }
}

const peerPath = (peerId) => `/network/peers/${encodeURIComponent(peerId)}`
const pointPath = (point) => `/network/points/${encodeURIComponent(point)}`

// The header.
function renderStat(stat) {
  $('self-peer-id').textContent = stat.peer_id
  $('stat-connections').textContent = String(stat.connections)
  $('stat-known-peers').textContent = String(stat.known_peers)
  $('stat-known-points').textContent = String(stat.known_points)
  $('stat-inflow').textContent = rate(stat.current_inflow)
  $('stat-outflow').textContent = rate(stat.current_outflow)
  $('stat-received').textContent = bytes(stat.total_recv)
  $('stat-sent').textContent = bytes(stat.total_sent)
  $('stat-uptime').textContent = duration(stat.uptime_ms)
  const s = stat.slots
  $('slots').textContent =
    `slots: inbound ${s.inbound}/${s.max_inbound}, outbound ${s.outbound} (min ${s.min_outbound}), ` +
    `ceiling ${s.ceiling}, handshakes ${s.handshakes}/${s.max_handshakes}`
}

// The connections table.
function flowOf(connection) {
  return state.flows.get(connection.peer_id) ?? connection.stats
}

function connectionRow(c) {
  const flow = flowOf(c)
  const trustAction = c.trusted ? 'untrust' : 'trust'
  return el(
    'tr',
    { 'data-testid': 'connection-row', 'data-peer-id': c.peer_id },
    el('td', {}, el('code', { 'data-testid': 'connection-peer-id', title: c.peer_id }, c.peer_id)),
    el('td', {}, c.point ?? `${c.remote_addr}:${c.remote_port}`),
    el(
      'td',
      {},
      c.incoming ? 'incoming' : 'outgoing',
      c.trusted ? el('span', { class: 'tag' }, 'trusted') : '',
    ),
    el(
      'td',
      { class: c.score < 0 ? 'num negative' : 'num', 'data-testid': 'connection-score' },
      score(c.score),
    ),
    el('td', { class: 'num', 'data-testid': 'connection-latency' }, `${Math.round(c.latency_ms)} ms`),
    el('td', { class: 'num', 'data-testid': 'flow-in' }, rate(flow.current_inflow)),
    el('td', { class: 'num', 'data-testid': 'flow-out' }, rate(flow.current_outflow)),
    el(
      'td',
      { class: 'actions' },
      el(
        'button',
        {
          'data-testid': 'ban-peer',
          class: 'danger',
          title: 'ban this peer id (closes the connection)',
          onclick: (e) => act(e.currentTarget, () => api('PATCH', peerPath(c.peer_id), { acl: 'ban' })),
        },
        'ban',
      ),
      el(
        'button',
        {
          'data-testid': `${trustAction}-peer`,
          onclick: (e) => act(e.currentTarget, () => api('PATCH', peerPath(c.peer_id), { acl: trustAction })),
        },
        trustAction,
      ),
      el(
        'button',
        {
          'data-testid': 'kick-peer',
          title: 'send Disconnect and close',
          onclick: (e) =>
            act(e.currentTarget, () =>
              api('DELETE', `/network/connections/${encodeURIComponent(c.peer_id)}`),
            ),
        },
        'kick',
      ),
    ),
  )
}

function renderConnections() {
  const rows = state.connections.map(connectionRow)
  $('connections-body').replaceChildren(...rows)
  $('connections-empty').hidden = rows.length > 0
}

/** Updates the flow cells in place (a stat event every second must not rebuild the rows). */
function renderFlows() {
  for (const row of $('connections-body').children) {
    const flow = state.flows.get(row.dataset.peerId)
    if (!flow) continue
    row.querySelector('[data-testid="flow-in"]').textContent = rate(flow.current_inflow)
    row.querySelector('[data-testid="flow-out"]').textContent = rate(flow.current_outflow)
  }
}

// The peers' heads (nodes running the observer: /network/peers carries a `head` per peer).
const HEADS_EVERY_MS = 5000
let headsTimer = null

function renderHeads(peers) {
  const withHead = peers.filter((p) => p.head)
  const observing = peers.some((p) => 'head' in p)
  $('heads').hidden = !observing
  if (!observing) return
  if (!headsTimer) headsTimer = setInterval(refreshHeads, HEADS_EVERY_MS)
  const levels = withHead.map((p) => p.head.level).sort((a, b) => a - b)
  const highest = levels.at(-1)
  // As /metrics: the middle level, or the mean of the two middle ones rounded down.
  const mid = levels.length >> 1
  const median = levels.length % 2 === 1 ? levels[mid] : Math.floor((levels[mid - 1] + levels[mid]) / 2)
  $('heads-spread').textContent =
    levels.length === 0
      ? 'no head announced yet'
      : `${levels.length} peers: levels ${levels[0]} to ${highest} (spread ${highest - levels[0]}, median ${median})`
  const rows = withHead
    .sort((a, b) => b.head.level - a.head.level)
    .map((p) =>
      el(
        'tr',
        { 'data-testid': 'head-row', 'data-peer-id': p.peer_id },
        el('td', {}, el('code', { title: p.peer_id }, p.peer_id)),
        el('td', { class: 'num', 'data-testid': 'head-level' }, String(p.head.level)),
        el('td', {}, el('code', { title: p.head.block_hash }, `${p.head.block_hash.slice(0, 12)}…`)),
        el('td', {}, p.head.timestamp),
        el('td', {}, el('code', {}, p.head.fitness.join(' '))),
        el('td', { class: 'num', 'data-testid': 'head-behind' }, String(highest - p.head.level)),
      ),
    )
  $('heads-body').replaceChildren(...rows)
}

async function refreshHeads() {
  try {
    renderHeads(await api('GET', '/network/peers'))
  } catch (err) {
    showError(err)
  }
}

// The ACL lists.
const ACL_LISTS = [
  { key: 'banned_ips', title: 'banned IPs', action: 'unban', path: pointPath },
  { key: 'banned_points', title: 'banned points', action: 'unban', path: pointPath },
  { key: 'banned_peers', title: 'banned peers', action: 'unban', path: peerPath },
  { key: 'trusted_ips', title: 'trusted IPs', action: 'untrust', path: pointPath },
  { key: 'trusted_points', title: 'trusted points', action: 'untrust', path: pointPath },
  { key: 'trusted_peers', title: 'trusted peers', action: 'untrust', path: peerPath },
]

function aclList(title, key, items) {
  return el(
    'div',
    { class: 'acl-list', 'data-testid': `acl-${key.replace('_', '-')}` },
    el('h3', {}, title),
    items.length === 0 ? el('p', { class: 'empty' }, 'none') : el('ul', {}, ...items),
  )
}

function renderAcl(acl) {
  const lists = ACL_LISTS.map(({ key, title, action, path }) =>
    aclList(
      title,
      key,
      acl[key].map((value) =>
        el(
          'li',
          { 'data-testid': 'acl-entry', 'data-list': key, 'data-value': value },
          el('code', {}, value),
          el(
            'button',
            {
              'data-testid': action,
              onclick: (e) => act(e.currentTarget, () => api('PATCH', path(value), { acl: action })),
            },
            action,
          ),
        ),
      ),
    ),
  )
  const now = Date.now()
  const greylisted = (list, value, entry) =>
    el(
      'li',
      { 'data-testid': 'acl-entry', 'data-list': list, 'data-value': value },
      el('code', {}, value),
      el('span', { class: 'muted' }, ` ${entry.reason}, ${duration(Math.max(0, entry.until - now))} left`),
    )
  lists.push(
    aclList(
      'greylisted IPs',
      'greylist_ips',
      acl.greylist.ips.map((e) => greylisted('greylist_ips', e.ip, e)),
    ),
    aclList(
      'greylisted points',
      'greylist_points',
      (acl.greylist.points ?? []).map((e) => greylisted('greylist_points', e.point, e)),
    ),
    aclList(
      'greylisted peers',
      'greylist_peers',
      acl.greylist.peers.map((e) => greylisted('greylist_peers', e.peer_id, e)),
    ),
  )
  $('acl-lists').replaceChildren(...lists)
}

function setUpLogFilter() {
  const hide = $('log-hide-gossip')
  hide.addEventListener('change', () => $('event-log').classList.toggle('hide-gossip', hide.checked))
}

function setUpAclForm() {
  const form = $('acl-form')
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    const action = e.submitter?.value ?? 'ban'
    const target = $('acl-target').value.trim()
    const path = $('acl-kind').value === 'peer' ? peerPath(target) : pointPath(target)
    act(e.submitter ?? form, async () => {
      await api('PATCH', path, { acl: action })
      $('acl-target').value = ''
    })
  })
  $('flush-greylist').addEventListener('click', (e) =>
    act(e.currentTarget, () => api('DELETE', '/network/greylist')),
  )
}

// The bandwidth chart: two polylines over the last two minutes, drawn in SVG.
const SVG = 'http://www.w3.org/2000/svg'

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag)
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value))
  if (text !== undefined) node.textContent = text
  return node
}

/** 1, 2 or 5 times a power of ten, at least `value`. */
function niceCeiling(value) {
  const power = 10 ** Math.floor(Math.log10(value))
  return [1, 2, 5, 10].map((m) => m * power).find((v) => v >= value)
}

function renderChart() {
  const chart = $('bandwidth-chart')
  const [width, height, left, right, top, bottom] = [640, 200, 70, 10, 10, 22]
  const now = Date.now()
  const samples = state.samples
  const max = niceCeiling(Math.max(1000, ...samples.map((s) => Math.max(s.in, s.out))))
  const x = (t) => left + ((t - (now - CHART_WINDOW_MS)) / CHART_WINDOW_MS) * (width - left - right)
  const y = (v) => top + (1 - v / max) * (height - top - bottom)
  const parts = []
  for (const fraction of [0, 0.5, 1]) {
    const gy = y(max * fraction)
    parts.push(svg('line', { class: 'grid', x1: left, x2: width - right, y1: gy, y2: gy }))
    parts.push(
      svg('text', { class: 'axis', x: left - 6, y: gy + 4, 'text-anchor': 'end' }, rate(max * fraction)),
    )
  }
  for (const [offset, label] of [
    [CHART_WINDOW_MS, '-2 min'],
    [CHART_WINDOW_MS / 2, '-1 min'],
    [0, 'now'],
  ]) {
    const anchor = offset === 0 ? 'end' : offset === CHART_WINDOW_MS ? 'start' : 'middle'
    parts.push(
      svg('text', { class: 'axis', x: x(now - offset), y: height - 6, 'text-anchor': anchor }, label),
    )
  }
  for (const series of ['in', 'out']) {
    const points = samples.map((s) => `${x(s.t).toFixed(1)},${y(s[series]).toFixed(1)}`).join(' ')
    parts.push(svg('polyline', { class: `series ${series}`, 'data-testid': `chart-${series}`, points }))
  }
  chart.replaceChildren(...parts)
}

function addSample(stat) {
  const now = Date.now()
  state.samples.push({ t: now, in: stat.current_inflow, out: stat.current_outflow })
  while (state.samples.length > 0 && state.samples[0].t < now - CHART_WINDOW_MS) state.samples.shift()
}

/** Fills the chart at once with the node's last two minutes of flows (GET /network/stat/flows). */
async function loadFlowHistory() {
  try {
    const { samples } = await api('GET', '/network/stat/flows')
    const first = state.samples[0]?.t ?? Number.POSITIVE_INFINITY
    const past = samples
      .filter((s) => s.time < first)
      .map((s) => ({ t: s.time, in: s.inflow, out: s.outflow }))
    state.samples.unshift(...past)
    renderChart()
  } catch (err) {
    showError(err)
  }
}

// The event log.
function describe(kind, d) {
  const where = d.point ?? d.remote_addr
  const dir = d.incoming ? 'incoming' : 'outgoing'
  switch (kind) {
    case 'connection':
      return `connected to ${d.peer_id} at ${where} (${dir})`
    case 'disconnection':
      return `disconnected from ${d.peer_id} at ${where} (${dir}): ${d.reason}`
    case 'greylisted':
      return `greylisted ${d.ip ?? d.point ?? d.peer_id}: ${d.reason}`
    case 'handshake_failed':
      return `handshake ${d.incoming ? 'from' : 'to'} ${d.remote_addr} failed: ${d.error}`
    case 'refused':
      return `refused ${d.remote_addr}: ${d.reason}`
    case 'evicted':
      return `evicted ${d.peer_id} at ${d.remote_addr} to make room for ${d.newcomer}`
    case 'low_score':
      return `low score ${score(d.score)}: ${d.peer_id} greylisted`
    case 'maintenance':
      return `maintenance (${d.reason}): ${d.before} -> ${d.after} connections`
    case 'acl':
      return `${d.action}${d.target === undefined || d.target === null ? '' : ` ${d.target}`}`
    case 'gossip':
      return d.from ? `gossip from ${d.from}: ${d.text}` : `gossip published here: ${d.text}`
    default:
      return JSON.stringify(d)
  }
}

function logEvent(kind, data) {
  const log = $('event-log')
  log.prepend(
    el(
      'li',
      { 'data-testid': 'event', 'data-kind': kind, class: kind },
      el('time', {}, clock(typeof data.time === 'number' ? data.time : Date.now())),
      el('span', { class: 'kind' }, kind),
      el('span', { class: 'text' }, describe(kind, data)),
    ),
  )
  while (log.children.length > LOG_LIMIT) log.lastElementChild.remove()
}

// Reading the node.
let refreshing = null
let refreshAgain = false

/** Reads stat, connections and ACL again; calls made meanwhile are joined into one more read. */
async function refresh() {
  if (refreshing) {
    refreshAgain = true
    return refreshing
  }
  refreshing = (async () => {
    do {
      refreshAgain = false
      try {
        const [stat, connections, acl, peers] = await Promise.all([
          api('GET', '/network/stat'),
          api('GET', '/network/connections'),
          api('GET', '/network/acl'),
          api('GET', '/network/peers'),
        ])
        state.connections = connections
        renderStat(stat)
        renderConnections()
        renderAcl(acl)
        renderHeads(peers)
      } catch (err) {
        showError(err)
      }
    } while (refreshAgain)
    refreshing = null
  })()
  return refreshing
}

function follow() {
  const status = $('live-status')
  const source = new EventSource('/network/log?stat_interval_ms=1000')
  source.addEventListener('open', () => {
    status.dataset.state = 'live'
    status.textContent = 'live'
    refresh()
  })
  source.addEventListener('error', () => {
    status.dataset.state = 'reconnecting'
    status.textContent = 'reconnecting…'
  })
  for (const kind of EVENT_KINDS) {
    source.addEventListener(kind, (message) => {
      let data
      try {
        data = JSON.parse(message.data)
      } catch {
        return
      }
      if (kind === 'stat') {
        renderStat(data)
        state.flows = new Map((data.connections_flows ?? []).map((f) => [f.peer_id, f]))
        renderFlows()
        addSample(data)
        renderChart()
        return
      }
      logEvent(kind, data)
      if (REFRESHING_KINDS.has(kind)) refresh()
    })
  }
}

setUpAclForm()
setUpLogFilter()
renderChart()
refresh()
loadFlowHistory()
follow()
