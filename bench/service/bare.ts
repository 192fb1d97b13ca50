/**
 * Child-process entry for the metadata baseline: a bare Fastify app (defaults, no logger, no
 * schemas, no hooks) whose two routes return the JSON the service returned for the same paths.
 * The parent hands the bodies over with the `bodies` RPC before measuring.
 */
import Fastify from 'fastify'
import { serveRpc } from '../lib/rpc.js'

const MAX_LIFETIME_MS = 20 * 60_000

let list: unknown = {}
const details = new Map<string, unknown>()

const app = Fastify()
app.get('/v1/sources', async () => list)
app.get<{ Params: { type: string } }>('/v1/sources/:type', async (request, reply) => {
  const detail = details.get(request.params.type)
  if (detail === undefined) return await reply.code(404).send({ message: 'not found' })
  return detail
})
await app.listen({ host: '127.0.0.1', port: 0 })
const address = app.server.address()
setTimeout(() => process.exit(0), MAX_LIFETIME_MS).unref()
serveRpc({
  bodies: (args) => {
    const given = args as { list: unknown, details: Record<string, unknown> }
    list = given.list
    for (const [type, detail] of Object.entries(given.details)) details.set(type, detail)
    return true
  }
}, { port: typeof address === 'object' && address !== null ? address.port : 0 })
