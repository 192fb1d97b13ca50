import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { Value } from 'typebox/value'
import { renderOpenApiDocument } from '../../scripts/openapi.js'

const OPENAPI = fileURLToPath(new URL('../../openapi/openapi.json', import.meta.url))

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

/** A component schema with every #/components/schemas ref inlined (our schemas are not recursive). */
export function componentSchema (doc: { components: { schemas: Record<string, Json> } }, name: string): Json {
  const inline = (node: Json, depth: number): Json => {
    if (depth > 64) throw new Error('recursive schema')
    if (Array.isArray(node)) return node.map((n) => inline(n, depth + 1))
    if (node === null || typeof node !== 'object') return node
    const ref = node.$ref
    if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) {
      const target = doc.components.schemas[ref.slice('#/components/schemas/'.length)]
      if (target === undefined) throw new Error(`dangling ${ref}`)
      return inline(target, depth + 1)
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, inline(v, depth + 1)]))
  }
  const schema = doc.components.schemas[name]
  if (schema === undefined) throw new Error(`no component ${name}`)
  return inline(schema, 0)
}

/** PostHog's Typeform form, as given in the foundation issue. */
export const TYPEFORM = {
  name: 'Typeform',
  label: 'Typeform',
  category: 'Productivity',
  releaseStatus: 'ga',
  iconPath: '/static/services/typeform.png',
  caption: 'Enter a Typeform personal access token',
  fields: [
    { type: 'password', name: 'auth_token', label: 'Personal access token', required: true, placeholder: 'tfp_...', secret: true },
    {
      type: 'select',
      name: 'api_base_url',
      label: 'API base URL',
      required: false,
      defaultValue: 'https://api.typeform.com',
      options: [
        { label: 'https://api.typeform.com', value: 'https://api.typeform.com' },
        { label: 'https://api.eu.typeform.com', value: 'https://api.eu.typeform.com' }
      ]
    }
  ]
}

t.test('openapi/openapi.json is what `npm run openapi` writes today', async (t) => {
  const committed = await readFile(OPENAPI, 'utf8')
  const current = await renderOpenApiDocument()
  t.ok(committed === current, 'openapi/openapi.json is stale: run `npm run openapi` and commit it')
})

t.test('the document: OpenAPI 3.1, every route, problem responses, bearer security on /v1', async (t) => {
  const doc = JSON.parse(await readFile(OPENAPI, 'utf8'))
  t.equal(doc.openapi, '3.1.0')
  for (const path of ['/health', '/ready', '/v1/sources', '/v1/sources/{source_type}', '/v1/sources/{source_type}/validate', '/v1/sources/{source_type}/schemas']) {
    t.ok(doc.paths[path], path)
  }
  t.ok(doc.paths['/v1/sources/{source_type}/schemas'].get && doc.paths['/v1/sources/{source_type}/schemas'].post, 'GET and POST schemas')
  for (const [path, item] of Object.entries<Record<string, { operationId?: string, security?: unknown, responses: Record<string, { content?: Record<string, unknown> }> }>>(doc.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      t.type(operation.operationId, 'string', `${method} ${path} has an operationId`)
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) >= 400) t.ok(response.content?.['application/problem+json'], `${method} ${path} ${status} is a problem document`)
      }
      if (path.startsWith('/v1/')) {
        t.same(operation.security, [{ bearerAuth: [] }], `${method} ${path} declares bearer auth`)
        t.ok(operation.responses['401'], `${method} ${path} declares 401`)
      }
    }
  }
  t.match(doc.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer' })
  for (const name of ['SourceConfig', 'SourceSchema', 'Problem', 'CredentialCheck']) t.ok(doc.components.schemas[name], `component ${name}`)
})

t.test("PostHog's Typeform form validates against the published SourceConfig schema", async (t) => {
  const doc = JSON.parse(await readFile(OPENAPI, 'utf8'))
  const schema = componentSchema(doc, 'SourceConfig') as Parameters<typeof Value.Check>[0]
  t.ok(Value.Check(schema, TYPEFORM), 'Typeform example is a valid SourceConfig')
  // The schema has teeth: broken variants are refused.
  const broken = [
    { ...TYPEFORM, fields: [{ ...TYPEFORM.fields[0], type: 'checkbox' }] },
    { ...TYPEFORM, releaseStatus: 'stable' },
    { ...TYPEFORM, fields: [{ ...TYPEFORM.fields[1], options: [{ label: 'x' }] }] },
    { label: 'no name', fields: [] }
  ]
  for (const value of broken) t.notOk(Value.Check(schema, value), JSON.stringify(value).slice(0, 80))
})
