import t from 'tap'
import fc from 'fast-check'
import { Compile } from 'typebox/compile'
import { defineEndpoints, type Endpoint } from '../../src/engine/declarations.js'
import { checkPipelineInputs, findEndpoint, responseMetadata, schemasFromEndpoints } from '../../src/sources/tables.js'
import { SourceSchemaSchema, type PipelineInputs, type SyncType } from '../../src/sources/types.js'
import { SchemaNotFoundError, UnsupportedRequestError, toProblem } from '../../src/errors.js'

const endpoints = defineEndpoints([
  {
    name: 'forms',
    label: 'Forms',
    description: 'Every form of the account.',
    path: '/forms',
    paginator: { type: 'page_number', pageParam: 'page', totalPagesPath: 'page_count' },
    primaryKeys: ['id'],
    incrementalFields: [{ field: 'last_updated_at', label: 'Last updated', type: 'datetime', param: 'since' }],
    partitionKey: 'created_at'
  },
  {
    name: 'responses',
    path: '/forms/{form_id}/responses',
    paginator: { type: 'last_record_cursor', recordField: 'token', param: 'before' },
    primaryKeys: ['form_id', 'token'],
    incrementalFields: [
      { field: 'submitted_at', type: 'datetime' },
      { field: 'sequence', type: 'integer' }
    ],
    supportsAppend: false,
    partitionKey: 'submitted_at',
    partitionFormat: 'week',
    sortMode: 'desc',
    shouldSyncDefault: false
  },
  {
    name: 'workspaces',
    path: '/workspaces',
    paginator: { type: 'single_page' },
    primaryKeys: ['id'],
    partitionKey: 'id',
    partitionMode: 'numerical',
    partitionSize: 1000
  }
] as const)

t.test('schemasFromEndpoints lists every table as the wizard expects', async (t) => {
  const schemas = schemasFromEndpoints(endpoints)
  const check = Compile(SourceSchemaSchema)
  for (const schema of schemas) t.ok(check.Check(schema), `${schema.name} matches SourceSchema`)
  t.strictSame(schemas, [
    {
      name: 'forms',
      label: 'Forms',
      description: 'Every form of the account.',
      supports_incremental: true,
      supports_append: true,
      incremental_fields: [{ label: 'Last updated', type: 'datetime', field: 'last_updated_at', field_type: 'datetime' }],
      primary_keys: ['id'],
      should_sync_default: true
    },
    {
      name: 'responses',
      label: 'responses',
      description: null,
      supports_incremental: true,
      supports_append: false,
      incremental_fields: [
        { label: 'submitted_at', type: 'datetime', field: 'submitted_at', field_type: 'datetime' },
        { label: 'sequence', type: 'integer', field: 'sequence', field_type: 'integer' }
      ],
      primary_keys: ['form_id', 'token'],
      should_sync_default: false
    },
    {
      name: 'workspaces',
      label: 'workspaces',
      description: null,
      supports_incremental: false,
      supports_append: false,
      incremental_fields: [],
      primary_keys: ['id'],
      should_sync_default: true
    }
  ])
  const appendWithoutField: Endpoint = { name: 'x', path: '/x', paginator: { type: 'single_page' }, primaryKeys: ['id'], supportsAppend: true }
  t.equal(schemasFromEndpoints([appendWithoutField])[0]?.supports_append, false, 'append is never offered without an incremental field')
})

t.test('findEndpoint', async (t) => {
  t.equal(findEndpoint(endpoints, 'responses', 'Typeform').path, '/forms/{form_id}/responses')
  const error = t.throws(() => findEndpoint(endpoints, 'Responses', 'Typeform')) as SchemaNotFoundError
  t.ok(error instanceof SchemaNotFoundError)
  t.equal(error.statusCode, 404)
  t.equal(error.message, 'Source "Typeform" has no table named "Responses".')
})

t.test('responseMetadata', async (t) => {
  const cases: Array<[string, ReturnType<typeof responseMetadata>]> = [
    ['forms', { primaryKeys: ['id'], partitionMode: 'datetime', partitionKeys: ['created_at'], partitionFormat: 'month', partitionCount: null, partitionSize: null, sortMode: 'asc', tableFormat: 'delta' }],
    ['responses', { primaryKeys: ['form_id', 'token'], partitionMode: 'datetime', partitionKeys: ['submitted_at'], partitionFormat: 'week', partitionCount: null, partitionSize: null, sortMode: 'desc', tableFormat: 'delta' }],
    ['workspaces', { primaryKeys: ['id'], partitionMode: 'numerical', partitionKeys: ['id'], partitionFormat: null, partitionCount: null, partitionSize: 1000, sortMode: 'asc', tableFormat: 'delta' }]
  ]
  for (const [name, expected] of cases) t.strictSame(responseMetadata(findEndpoint(endpoints, name)), expected, name)
  const unpartitioned: Endpoint = { name: 'x', path: '/x', paginator: { type: 'single_page' }, primaryKeys: ['id'], partitionMode: 'md5' }
  t.strictSame(responseMetadata(unpartitioned), {
    primaryKeys: ['id'], partitionMode: null, partitionKeys: null, partitionFormat: null, partitionCount: null, partitionSize: null, sortMode: 'asc', tableFormat: 'delta'
  }, 'no partition key: no partitioning')
  const metadata = responseMetadata(findEndpoint(endpoints, 'forms'))
  metadata.primaryKeys.push('mutated')
  t.strictSame(findEndpoint(endpoints, 'forms').primaryKeys, ['id'], 'the declaration is not shared with the response')
})

t.test('checkPipelineInputs', async (t) => {
  const ok: Array<[string, string, Pick<PipelineInputs, 'syncType' | 'incrementalField'>, string | null]> = [
    ['full refresh', 'workspaces', { syncType: 'full_refresh' }, null],
    ['full refresh ignores a field', 'workspaces', { syncType: 'full_refresh', incrementalField: 'nope' }, null],
    ['incremental with the only field implied', 'forms', { syncType: 'incremental' }, 'last_updated_at'],
    ['append with the only field implied', 'forms', { syncType: 'append' }, 'last_updated_at'],
    ['incremental, chosen field', 'responses', { syncType: 'incremental', incrementalField: 'sequence' }, 'sequence']
  ]
  for (const [name, table, inputs, field] of ok) {
    t.equal(checkPipelineInputs(findEndpoint(endpoints, table), inputs)?.field ?? null, field, name)
  }
  const bad: Array<[string, string, Pick<PipelineInputs, 'syncType' | 'incrementalField'>, string, RegExp]> = [
    ['incremental on a full-refresh table', 'workspaces', { syncType: 'incremental' }, '/sync_type', /incremental is not supported by table "workspaces"/],
    ['append on a table without append', 'responses', { syncType: 'append', incrementalField: 'sequence' }, '/sync_type', /append is not supported by table "responses"/],
    ['undeclared field', 'forms', { syncType: 'incremental', incrementalField: 'updated_at' }, '/incremental_field', /not an incremental field.*"last_updated_at"/],
    ['field required when several are declared', 'responses', { syncType: 'incremental' }, '/incremental_field', /is required.*"submitted_at", "sequence"/]
  ]
  for (const [name, table, inputs, path, message] of bad) {
    const error = t.throws(() => checkPipelineInputs(findEndpoint(endpoints, table), inputs), name) as UnsupportedRequestError
    t.ok(error instanceof UnsupportedRequestError, name)
    t.equal(error.statusCode, 400)
    t.equal(error.errors[0]?.path, path, `${name}: names the field`)
    t.match(error.errors[0]?.message, message, name)
    t.strictSame(toProblem(error).errors, error.errors, `${name}: the problem document carries the field`)
  }
})

t.test('property: discover and read agree for any table and sync request', async (t) => {
  const syncTypes: SyncType[] = ['full_refresh', 'incremental', 'append']
  fc.assert(fc.property(
    fc.constantFrom(...endpoints),
    fc.constantFrom(...syncTypes),
    fc.option(fc.constantFrom('last_updated_at', 'submitted_at', 'sequence', 'id', ''), { nil: undefined }),
    (endpoint, syncType, incrementalField) => {
      const schema = schemasFromEndpoints([endpoint])[0]
      if (schema === undefined) return false
      const listed = schema.incremental_fields.map((f) => f.field)
      let accepted: string | null
      try {
        accepted = checkPipelineInputs(endpoint, { syncType, ...(incrementalField === undefined ? {} : { incrementalField }) })?.field ?? null
      } catch (error) {
        if (!(error instanceof UnsupportedRequestError)) return false
        // refused only when the table list says so, or the field is not one it lists
        const unsupported = (syncType === 'incremental' && !schema.supports_incremental) || (syncType === 'append' && !schema.supports_append)
        const badField = incrementalField !== undefined && incrementalField !== '' && !listed.includes(incrementalField)
        const ambiguous = (incrementalField === undefined || incrementalField === '') && listed.length > 1
        return unsupported || badField || ambiguous
      }
      if (syncType === 'full_refresh') return accepted === null
      const supported = syncType === 'incremental' ? schema.supports_incremental : schema.supports_append
      return supported && accepted !== null && listed.includes(accepted)
    }
  ), { numRuns: 300 })
  t.pass('300 requests')
})
