/**
 * GET /metrics: Prometheus text exposition (src/metrics.ts). Registered beside /v1 in a scope with the
 * same bearer auth when API_TOKENS is set (scrapers send `Authorization: Bearer <token>`); it keeps
 * answering during shutdown, so the last counters of a draining instance can still be scraped.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'

const METRICS_DESCRIPTION = 'Prometheus text format (version 0.0.4): syncs started and finished by outcome, rows and ' +
  'pages streamed, upstream requests by status class and retry, rate-limit waits, page caps, in-flight syncs, process metrics.'

export const metricsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/metrics', {
    schema: {
      operationId: 'metrics',
      tags: ['health'],
      summary: 'Prometheus metrics',
      description: METRICS_DESCRIPTION,
      response: { 200: { description: METRICS_DESCRIPTION, content: { 'text/plain': { schema: Type.String() } } } }
    }
  }, async (_request, reply) => {
    const text = await app.metrics.render()
    return reply.type(app.metrics.contentType).header('cache-control', 'no-store').send(text)
  })
}
