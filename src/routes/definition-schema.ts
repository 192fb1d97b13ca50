/**
 * The source definition format as a JSON Schema, at a stable path (also committed as
 * openapi/source-definition.schema.json): what MANIFESTS_DIR files and CustomRest manifests in our own
 * format are checked against. Public like the OpenAPI document: it holds no data.
 */
import type { FastifyPluginAsync } from 'fastify'
import { DEFINITION_SCHEMA_PATH, definitionJsonSchemaText } from '../sources/definition-schema.js'

export const definitionSchemaRoutes: FastifyPluginAsync = async (app) => {
  const body = definitionJsonSchemaText()
  app.get(DEFINITION_SCHEMA_PATH, {
    schema: {
      operationId: 'getSourceDefinitionSchema',
      tags: ['catalog'],
      summary: 'The JSON Schema of the source definition format',
      description: 'The format MANIFESTS_DIR files and CustomRest manifests use when they are not Airbyte manifests (see docs/manifests.md).',
      response: { 200: { description: 'A JSON Schema (draft 2020-12).', content: { 'application/schema+json': { schema: { type: 'object' } } } } }
    }
  }, async (_request, reply) => {
    return await reply.type('application/schema+json').header('cache-control', 'public, max-age=3600').send(body)
  })
}
