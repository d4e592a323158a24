// The live dashboard: serves the static page in `dashboard/` (at the package root) under
// /dashboard/ and redirects / to it. A stub until the dashboard lands.
import type { FastifyInstance } from 'fastify'

/** Registers GET / (redirect) and GET /dashboard/* on the admin RPC server. */
export function registerDashboard(app: FastifyInstance): void {
  app.get('/', (_request, reply) => reply.redirect('/dashboard/'))
}
