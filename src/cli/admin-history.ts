// dune-admin-client's views of a peer's or a point's history (GET /network/…/log): one line per
// event, oldest first, with its age, kind, the other side and the detail.
import type { PeerEventJson, PointEventJson } from '../rpc/routes-history.js'
import { formatAge, formatTable } from './admin-format.js'

export function pointLogView(events: readonly PointEventJson[], now: number): string {
  if (events.length === 0) return 'No events.\n'
  return formatTable(
    [{ header: 'WHEN' }, { header: 'EVENT' }, { header: 'PEER ID' }, { header: 'DETAIL' }],
    events.map((e) => [formatAge(e.timestamp, now), e.kind, e.peer_id ?? '-', e.detail ?? '']),
  )
}

export function peerLogView(events: readonly PeerEventJson[], now: number): string {
  if (events.length === 0) return 'No events.\n'
  return formatTable(
    [{ header: 'WHEN' }, { header: 'EVENT' }, { header: 'ADDRESS' }, { header: 'DETAIL' }],
    events.map((e) => [
      formatAge(e.timestamp, now),
      e.kind,
      e.port === null ? e.addr : e.addr.includes(':') ? `[${e.addr}]:${e.port}` : `${e.addr}:${e.port}`,
      e.detail ?? '',
    ]),
  )
}
