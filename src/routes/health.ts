/** Liveness and readiness (outside /v1, never authenticated). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { ServiceUnavailableError } from '../errors.js'
import { problemResponses } from '../plugins/problems.js'

const StatusSchema = Type.Object({ status: Type.String() }, { title: 'Status', description: 'The service answers.' })

const RedisStatusSchema = Type.Object({
  state: Type.Union([Type.Literal('connecting'), Type.Literal('connected'), Type.Literal('unavailable'), Type.Literal('closed')], {
    description: 'The connection to REDIS_URL.'
  }),
  budgets: Type.Union([Type.Literal('shared'), Type.Literal('local_share')], {
    description: '`shared`: rate-limit budgets and pauses are shared with the other replicas. `local_share`: Redis is away; ' +
      'syncs go on, each replica within its budget divided by `replicas`.'
  }),
  replicas: Type.Integer({ description: 'RATE_LIMIT_REPLICAS: what budgets are divided by while Redis is away.' })
}, { title: 'RedisStatus' })

const ReadySchema = Type.Object({
  status: Type.String(),
  redis: Type.Optional(RedisStatusSchema)
}, {
  title: 'Readiness',
  description: 'Ready for work. `redis` only with REDIS_URL set; Redis being away does not make the service unready (syncs continue on local budgets).'
})

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/health', {
    schema: { operationId: 'health', tags: ['health'], summary: 'Liveness: the process answers', response: { 200: StatusSchema } }
  }, async () => ({ status: 'ok' }))

  app.get('/ready', {
    schema: {
      operationId: 'ready',
      tags: ['health'],
      summary: 'Readiness: 503 once shutdown has begun; the state of Redis when configured',
      response: { 200: ReadySchema, ...problemResponses(503) }
    }
  }, async () => {
    if (app.lifecycle.shuttingDown) throw new ServiceUnavailableError('The service is shutting down.')
    const shared = app.engine.sharedBudget
    if (shared === undefined) return { status: 'ready' }
    return {
      status: 'ready',
      redis: { state: shared.state, budgets: shared.state === 'connected' ? 'shared' as const : 'local_share' as const, replicas: shared.replicas }
    }
  })
}
