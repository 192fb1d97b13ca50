/** The source catalog: which sources exist and the form each one asks for. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import Type from 'typebox'
import { configJsonSchema } from '../sources/config.js'
import { SourceConfigSchema, type SourceConfig } from '../sources/fields.js'
import type { AnySource } from '../sources/types.js'
import { problemResponses } from '../plugins/problems.js'
import { SourceTypeParamsSchema } from './shared.js'

export const SourceListSchema = Type.Object({ sources: Type.Array(SourceConfigSchema) }, { title: 'SourceList', description: 'The sources and their forms.' })

export const SourceDetailSchema = Type.Object({
  ...SourceConfigSchema.properties,
  configSchema: Type.Object({}, {
    additionalProperties: true,
    description: 'JSON Schema of the parsed config this form produces.'
  })
}, { title: 'SourceDetail', description: 'The source form plus the JSON Schema of its config.' })

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8'

/**
 * Catalog bodies are static (a source's form and config schema never change while the service runs), so
 * each is serialised once, by the route's own response serializer (the bytes the schema defines), and
 * later requests send the cached bytes: fast-json-stringify checks each `fields` item against every
 * branch of the field union, which cost more than the rest of the request.
 */
function bodyCache<K> (): (reply: FastifyReply, key: K, body: () => unknown) => FastifyReply {
  const bodies = new Map<K, Buffer>()
  return (reply, key, body) => {
    let bytes = bodies.get(key)
    if (bytes === undefined) {
      const serialized = reply.serialize(body()) // a string: the routes' serializers are compiled from JSON schemas
      bodies.set(key, bytes = Buffer.isBuffer(serialized) ? serialized : Buffer.from(serialized as string, 'utf8'))
    }
    return reply.type(JSON_CONTENT_TYPE).send(bytes)
  }
}

export const catalogRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const sendList = bodyCache<boolean>()
  const sendDetail = bodyCache<AnySource>()

  app.get('/sources', {
    schema: {
      operationId: 'listSources',
      tags: ['sources'],
      summary: 'List sources and their forms',
      querystring: Type.Object({
        include_unreleased: Type.Optional(Type.Boolean({ default: false, description: 'Also list sources marked unreleasedSource.' }))
      }),
      response: { 200: SourceListSchema, ...problemResponses(400) }
    }
  }, async (request, reply) => {
    const includeUnreleased = request.query.include_unreleased === true
    return sendList(reply, includeUnreleased, () => ({
      sources: app.registry.list({ includeUnreleased }).map((s): SourceConfig => s.getSourceConfig())
    }))
  })

  app.get('/sources/:source_type', {
    schema: {
      operationId: 'getSource',
      tags: ['sources'],
      summary: "A source's form, plus the JSON Schema of its config",
      params: SourceTypeParamsSchema,
      response: { 200: SourceDetailSchema, ...problemResponses(404) }
    }
  }, async (request, reply) => {
    const source = app.registry.get(request.params.source_type)
    return sendDetail(reply, source, () => ({ ...source.getSourceConfig(), configSchema: configJsonSchema(source.fields) as Record<string, unknown> }))
  })
}
