/**
 * Endpoint variants in a definition: keys that apply when a form choice is made (Typeform's response
 * types change the incremental field), seen by the table list for that config and by its syncs; a
 * variant naming no form field or no option of its select is a load error naming its JSON pointer, as
 * is a base URL placeholder that names no field.
 */
import t from 'tap'
import pino from 'pino'
import { createEngineServices } from '../../src/engine/services.js'
import { DefinitionError, type SourceDefinition } from '../../src/sources/definition.js'
import { checkDefinition, defineRestSource } from '../../src/sources/rest-source.js'
import { TYPEFORM_DEFINITION } from '../../src/sources/typeform/source.js'
import type { SourceContext } from '../../src/sources/types.js'

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T

function problemsOf (value: unknown): string[] {
  try {
    checkDefinition(value)
  } catch (error) {
    if (error instanceof DefinitionError) return error.problems
    throw error
  }
  return []
}

const definition = {
  name: 'Shapes',
  label: 'Shapes',
  category: 'Test',
  fields: [
    { type: 'password', name: 'key', label: 'Key', required: true, placeholder: '', secret: true },
    {
      type: 'select',
      name: 'mode',
      label: 'Mode',
      required: true,
      defaultValue: 'plain',
      options: [{ label: 'Plain', value: 'plain' }, { label: 'Fancy', value: 'fancy' }, { label: 'Odd', value: 'odd' }]
    }
  ],
  client: { baseUrl: { default: 'http://127.0.0.1:9' }, auth: { type: 'bearer', token: { field: 'key' } } },
  endpoints: [{
    name: 'items',
    path: '/items',
    paginator: { type: 'single_page' },
    params: { kind: 'plain', keep: 'yes' },
    primaryKeys: ['id'],
    incrementalFields: [{ field: 'created_at', type: 'datetime', param: 'since' }],
    partitionKey: 'created_at',
    variants: [
      { when: { field: 'mode', is: ['fancy', 'odd'] }, params: { kind: 'fancy' }, incrementalFields: [{ field: 'updated_at', type: 'datetime', param: 'updated_since' }] },
      { when: { field: 'mode', is: 'odd' }, partitionKey: 'updated_at', description: 'odd' }
    ]
  }],
  check: { steps: [{ path: '/me' }] }
} as const satisfies SourceDefinition

t.test('a variant applies for the configs it names, over the endpoint, in order; the others see the endpoint', async (t) => {
  const source = defineRestSource(definition)
  const services = createEngineServices({ allowPrivateUpstreams: true })
  t.teardown(() => services.close())
  const ctx: SourceContext = { services, log: pino({ level: 'silent' }), signal: new AbortController().signal }
  const fieldsOf = async (mode: 'plain' | 'fancy' | 'odd' | null) =>
    (await source.getSchemas(mode === null ? null : { key: 'k', mode }, ctx))[0]?.incremental_fields.map((f) => f.field)
  t.same(await fieldsOf(null), ['created_at'], 'the static table list is the endpoint itself')
  t.same(await fieldsOf('plain'), ['created_at'])
  t.same(await fieldsOf('fancy'), ['updated_at'])
  t.same(await fieldsOf('odd'), ['updated_at'])
  const [plain, fancy, odd] = (['plain', 'fancy', 'odd'] as const).map((mode) => source.endpointsFor({ key: 'k', mode }, ctx)[0])
  t.same(plain?.params, { kind: 'plain', keep: 'yes' })
  t.same(fancy?.params, { kind: 'fancy', keep: 'yes' }, 'params merge key by key')
  t.match(odd, { partitionKey: 'updated_at', description: 'odd', params: { kind: 'fancy' } }, 'later variants apply over earlier ones')
  t.notOk(plain !== undefined && 'variants' in plain, 'the engine declaration carries no variants')

  const response = await source.sourceForPipeline({ key: 'k', mode: 'odd' }, { schema: 'items', syncType: 'incremental', incrementalField: 'updated_at' }, ctx)
  t.same(response.partitionKeys, ['updated_at'])
  await t.rejects(source.sourceForPipeline({ key: 'k', mode: 'fancy' }, { schema: 'items', syncType: 'incremental', incrementalField: 'created_at' }, ctx),
    { code: 'UNSUPPORTED_REQUEST', errors: [{ path: '/incremental_field' }] }, 'a field of another variant is refused')
})

t.test('variants and base URL placeholders are checked against the form', async (t) => {
  const bad = clone(definition) as unknown as { endpoints: Array<{ variants: Array<{ when: Record<string, unknown>, incrementalFields?: unknown[] }> }>, client: { baseUrl: { default: string } } }
  const variants = bad.endpoints[0]?.variants ?? []
  ;(variants[0] as { when: Record<string, unknown> }).when.field = 'nope'
  ;(variants[1] as { when: Record<string, unknown> }).when.is = 'weird'
  ;(variants[1] as Record<string, unknown>).fanOut = { parent: 'nobody', resolveParam: 'x', resolveField: 'id' }
  bad.client.baseUrl.default = 'https://{region}.example.test'
  t.same(problemsOf(bad).sort(), [
    '/client/baseUrl/default: no form field "region"',
    '/endpoints/0/variants/0/when/field: no form field "nope"',
    '/endpoints/0/variants/1/fanOut/parent: "nobody" is neither a table nor a static parent list',
    '/endpoints/0/variants/1/when/is: "weird" is not an option of select "mode"'
  ])
  const broken = clone(definition) as unknown as { endpoints: Array<{ variants: Array<Record<string, unknown>> }> }
  ;(broken.endpoints[0]?.variants[0] as Record<string, unknown>).paginator = { type: 'cursor', param: 'after' }
  t.match(problemsOf(broken), [/exactly one of cursorPath and cursorHeader/], 'each variant passes the engine checks')
  const typo = clone(definition) as unknown as { endpoints: Array<{ variants: Array<Record<string, unknown>> }> }
  ;(typo.endpoints[0]?.variants[0] as Record<string, unknown>).pagecap = 2
  t.match(problemsOf(typo), [/\/endpoints\/0\/variants\/0/], 'a typo in a variant names its pointer')
})

t.test('the Typeform definition is plain data: a JSON round trip is lossless and still valid', async (t) => {
  const json = clone(TYPEFORM_DEFINITION)
  t.same(json, TYPEFORM_DEFINITION)
  t.same(problemsOf(json), [])
})
