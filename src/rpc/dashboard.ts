// The live dashboard: serves the static page in `dashboard/` (an allow-list of files, no path leaves
// the folder) under /dashboard/, redirects / to it, and gives the page its RPC token (same origin).
import { readFile } from 'node:fs/promises'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { RpcError } from './errors.js'

/** The dashboard's folder, the same from src/rpc (tsx) and dist/rpc (built). */
const DASHBOARD_DIR = new URL('../../dashboard/', import.meta.url)

/** The files served, with their content types; anything else is a 404. */
const FILES: ReadonlyMap<string, string> = new Map([
  ['index.html', 'text/html; charset=utf-8'],
  ['app.js', 'text/javascript; charset=utf-8'],
  ['style.css', 'text/css; charset=utf-8'],
])

async function sendFile(reply: FastifyReply, name: string): Promise<FastifyReply> {
  const type = FILES.get(name)
  if (type === undefined) {
    return reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no dashboard file ${name}` } })
  }
  const body = await readFile(new URL(name, DASHBOARD_DIR))
  return reply.type(type).header('cache-control', 'no-cache').send(body)
}

/**
 * Registers GET / and GET /dashboard (redirects), GET /dashboard/* and GET /dashboard/token on
 * the admin RPC server. The token route answers only a same-origin request (the browser's
 * Sec-Fetch-Site; the server's Host check has already refused any other name, so a rebound
 * DNS name cannot read it), so that the page can send the token on its state-changing calls.
 */
export function registerDashboard(app: FastifyInstance, token: string): void {
  app.get('/dashboard/token', (request, reply) => {
    const site = request.headers['sec-fetch-site']
    if (site !== undefined && site !== 'same-origin' && site !== 'none') {
      throw new RpcError(
        'FORBIDDEN',
        `the token is only given to the node's own dashboard (Sec-Fetch-Site ${site})`,
      )
    }
    return reply.header('cache-control', 'no-store').send({ token })
  })
  app.get('/', (_request, reply) => reply.redirect('/dashboard/'))
  app.get('/dashboard/', (_request, reply) => sendFile(reply, 'index.html'))
  // Unless the server ignores trailing slashes (then the route above already answers it).
  if (!app.hasRoute({ method: 'GET', url: '/dashboard' })) {
    app.get('/dashboard', (_request, reply) => reply.redirect('/dashboard/'))
  }
  app.get<{ Params: { file: string } }>('/dashboard/:file', (request, reply) =>
    sendFile(reply, request.params.file),
  )
}
