/** Table lists: for a config (POST), or the static catalog when no credentials are needed (GET). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { problemResponses } from '../plugins/problems.js'
import { parseConfig } from '../sources/config.js'
import { SourceSchemaSchema } from '../sources/types.js'
import { sourceContext } from './context.js'
import { ConfigBodySchema, SourceTypeParamsSchema } from './shared.js'
import { withTargetField } from './upstream-failures.js'

export const SchemaListSchema = Type.Object({ schemas: Type.Array(SourceSchemaSchema) }, { title: 'SchemaList', description: 'The tables (PostHog SourceSchema shape).' })

export const schemaRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/sources/:source_type/schemas', {
    schema: {
      operationId: 'listSchemasForConfig',
      tags: ['sources'],
      summary: 'Tables this config can sync',
      params: SourceTypeParamsSchema,
      body: ConfigBodySchema,
      response: { 200: SchemaListSchema, ...problemResponses(400, 404, 502) }
    }
  }, async (request, reply) => {
    const source = app.registry.get(request.params.source_type)
    const config = parseConfig(source.fields, source.prepareConfig?.(request.body.config) ?? request.body.config)
    try {
      return { schemas: await source.getSchemas(config, sourceContext(app, request, reply, source)) }
    } catch (error) {
      throw withTargetField(error, source, config)
    }
  })

  app.get('/sources/:source_type/schemas', {
    schema: {
      operationId: 'listSchemas',
      tags: ['sources'],
      summary: 'Static table catalog (409 when the source needs credentials to list tables)',
      params: SourceTypeParamsSchema,
      response: { 200: SchemaListSchema, ...problemResponses(404, 409, 502) }
    }
  }, async (request, reply) => {
    const source = app.registry.get(request.params.source_type)
    return { schemas: await source.getSchemas(null, sourceContext(app, request, reply, source)) }
  })
}
