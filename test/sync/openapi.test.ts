/** The sync route's line union is in the OpenAPI document, and real lines validate against it. */
import t from 'tap'
import { Value } from 'typebox/value'
import { renderOpenApiDocument } from '../../scripts/openapi.js'
import { demoConfig, startHarness, sync } from './helpers.js'

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
interface Doc { paths: Record<string, Record<string, Json>>, components: { schemas: Record<string, Json> } }

function inline (doc: Doc, node: Json, depth = 0): Json {
  if (depth > 64) throw new Error('recursive schema')
  if (Array.isArray(node)) return node.map((n) => inline(doc, n, depth + 1))
  if (node === null || typeof node !== 'object') return node
  const ref = node.$ref
  if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) {
    const target = doc.components.schemas[ref.slice('#/components/schemas/'.length)]
    if (target === undefined) throw new Error(`dangling ${ref}`)
    return inline(doc, target, depth + 1)
  }
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, inline(doc, v, depth + 1)]))
}

t.test('POST /v1/sources/{source_type}/sync documents the NDJSON line union and the request body', async (t) => {
  const doc = JSON.parse(await renderOpenApiDocument()) as Doc
  const post = doc.paths['/v1/sources/{source_type}/sync']?.post as Record<string, Json> | undefined
  t.ok(post, 'the route is documented')
  const ok = (post?.responses as Record<string, Json>)['200'] as { content: Record<string, { schema: Json }> }
  t.same(Object.keys(ok.content), ['application/x-ndjson'])
  t.same(ok.content['application/x-ndjson']?.schema, { $ref: '#/components/schemas/SyncLine' })
  const union = doc.components.schemas.SyncLine as { anyOf: Array<{ $ref: string }> }
  t.same(union.anyOf.map((s) => s.$ref.split('/').at(-1)).sort(),
    ['SyncEndLine', 'SyncErrorLine', 'SyncLogLine', 'SyncRecordLine', 'SyncSchemaLine', 'SyncStateLine'])
  t.ok(doc.components.schemas.SyncRequest, 'the request body is a named schema')
  t.ok(Object.keys(post?.responses as Record<string, Json>).includes('404'))

  // Lines of a real stream validate against the schema as published (refs inlined).
  const lineSchema = inline(doc, { $ref: '#/components/schemas/SyncLine' }) as Record<string, unknown>
  const h = await startHarness()
  t.teardown(h.close)
  const result = await sync(h, 'demo', { config: demoConfig(h, { rows: 4, page_size: 2 }), schema: 'customer_notes' })
  t.ok(result.lines.length > 3)
  for (const line of result.lines) t.ok(Value.Check(lineSchema as never, line), `${line.type} line valid against the published schema`)
  t.notOk(Value.Check(lineSchema as never, { type: 'end', rows: 1 }), 'an end line without watermarks is not')
})
