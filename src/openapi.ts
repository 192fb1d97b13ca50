/**
 * The OpenAPI 3.1 document: @fastify/swagger options, and a transform that lifts every titled schema
 * (SourceConfig, SourceSchema, Problem, the field types...) into components.schemas so generated
 * clients get named types. Used by buildApp (served under /docs); scripts/openapi.ts renders the committed copy.
 */
import type { SwaggerOptions } from '@fastify/swagger'
import { SECURITY_SCHEME } from './plugins/auth.js'

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type JsonObject = { [key: string]: Json }

const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * Replace each schema with a `title` by a $ref to components.schemas[title]. Two different schemas
 * with one title keep the second inline, so the document is never wrong, only less named.
 */
export function liftTitledSchemas (doc: JsonObject): JsonObject {
  const components = isObject(doc.components) ? doc.components : {}
  const named: JsonObject = isObject(components.schemas) ? { ...components.schemas } : {}
  const fingerprint = new Map<string, string>()

  const visit = (node: Json, inSchema: boolean): Json => {
    if (Array.isArray(node)) return node.map((item) => visit(item, inSchema))
    if (!isObject(node)) return node
    const out: JsonObject = {}
    for (const [key, value] of Object.entries(node)) {
      // Under `properties` every key is a property name, and the values are schemas.
      out[key] = key === 'properties' && isObject(value)
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, visit(v, true)]))
        : visit(value, inSchema || key === 'schema')
    }
    const title = out.title
    if (inSchema && typeof title === 'string' && /^[A-Za-z][\w]*$/.test(title) && ('type' in out || 'anyOf' in out)) {
      const text = JSON.stringify(out)
      const seen = fingerprint.get(title)
      if (seen === undefined && !(title in named)) {
        fingerprint.set(title, text)
        named[title] = out
      }
      if (fingerprint.get(title) === text) return { $ref: `#/components/schemas/${title}` }
    }
    return out
  }

  const paths = visit(doc.paths ?? {}, false)
  const sortedNames = Object.fromEntries(Object.entries(named).sort(([a], [b]) => a.localeCompare(b)))
  return { ...doc, paths, components: { ...components, schemas: sortedNames } }
}

export const swaggerOptions: SwaggerOptions = {
  openapi: {
    openapi: '3.1.0',
    info: {
      title: 'warehouse-sources',
      version: '0.1.0',
      description: 'Pull data from third-party APIs into a data warehouse: source forms, credential checks, ' +
        'table lists and NDJSON table syncs. Errors are RFC 9457 problem documents (application/problem+json).'
    },
    tags: [
      { name: 'sources', description: 'Source catalog, credential checks and table lists' },
      { name: 'sync', description: 'Table syncs as NDJSON streams' },
      { name: 'health', description: 'Liveness and readiness' }
    ],
    components: {
      securitySchemes: {
        [SECURITY_SCHEME]: { type: 'http', scheme: 'bearer', description: 'One of the API_TOKENS (only enforced when API_TOKENS is set).' }
      }
    }
  },
  transformObject: (documentObject) => {
    const doc = 'openapiObject' in documentObject ? documentObject.openapiObject : documentObject.swaggerObject
    return liftTitledSchemas(JSON.parse(JSON.stringify(doc)) as JsonObject) as typeof doc
  }
}
