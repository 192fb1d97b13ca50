/** The source catalog: which sources exist and the form each one asks for. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { configJsonSchema } from '../sources/config.js'
import { SourceConfigSchema, type SourceConfig } from '../sources/fields.js'
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

export const catalogRoutes: FastifyPluginAsyncTypebox = async (app) => {
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
  }, async (request) => {
    const sources = app.registry.list({ includeUnreleased: request.query.include_unreleased })
    return { sources: sources.map((s): SourceConfig => s.getSourceConfig()) }
  })

  app.get('/sources/:source_type', {
    schema: {
      operationId: 'getSource',
      tags: ['sources'],
      summary: "A source's form, plus the JSON Schema of its config",
      params: SourceTypeParamsSchema,
      response: { 200: SourceDetailSchema, ...problemResponses(404) }
    }
  }, async (request) => {
    const source = app.registry.get(request.params.source_type)
    return { ...source.getSourceConfig(), configSchema: configJsonSchema(source.fields) as Record<string, unknown> }
  })
}
