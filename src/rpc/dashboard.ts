// The live dashboard: serves the static page in `dashboard/` (at the package root) under
// /dashboard/ and redirects / to it; only the files of an allow-list, so no path leaves the folder.
import { readFile } from 'node:fs/promises'
import type { FastifyInstance, FastifyReply } from 'fastify'

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

/** Registers GET / and GET /dashboard (redirects) and GET /dashboard/* on the admin RPC server. */
export function registerDashboard(app: FastifyInstance): void {
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
