/** Liveness and readiness (outside /v1, never authenticated). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { ServiceUnavailableError } from '../errors.js'
import { problemResponses } from '../plugins/problems.js'

const StatusSchema = Type.Object({ status: Type.String() }, { title: 'Status', description: 'The service answers.' })

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/health', {
    schema: { operationId: 'health', tags: ['health'], summary: 'Liveness: the process answers', response: { 200: StatusSchema } }
  }, async () => ({ status: 'ok' }))

  app.get('/ready', {
    schema: {
      operationId: 'ready',
      tags: ['health'],
      summary: 'Readiness: 503 once shutdown has begun',
      response: { 200: StatusSchema, ...problemResponses(503) }
    }
  }, async () => {
    if (app.lifecycle.shuttingDown) throw new ServiceUnavailableError('The service is shutting down.')
    return { status: 'ready' }
  })
}
