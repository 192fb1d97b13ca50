/** Pure pieces of the sync route: resume tokens, error-line mapping, table/field resolution. */
import t from 'tap'
import { AbortedError, InternalError, ServiceUnavailableError, UpstreamAuthError, UpstreamHttpError, ValidationError } from '../../src/errors.js'
import { defineSource, type SourceSchema } from '../../src/sources/types.js'
import { errorLineFor } from '../../src/sync/error-line.js'
import { resolveIncrementalField } from '../../src/sources/catalog.js'
import { checkWatermarks, findTable } from '../../src/sync/request.js'
import { decodeResumeToken, encodeResumeToken, type ResumeBinding } from '../../src/sync/resume-state.js'
import { EventLines } from '../../src/sync/run-sync.js'

const binding: ResumeBinding = { source: 'Demo', schema: 'orders', syncType: 'incremental', incrementalField: 'updated_at' }
const point = { engine: { v: 1, request: { method: 'GET', url: 'http://x/orders?cursor=abc' } }, watermarks: { lastValue: '2024-02-01T00:00:00Z', earliestValue: '2024-01-01T00:00:00Z' } }

t.test('resume tokens round-trip and carry the run watermarks', async (t) => {
  const token = encodeResumeToken(binding, point)
  t.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/)
  t.same(decodeResumeToken(token, binding), point)
})

t.test('a token is refused for any other binding, and when damaged', async (t) => {
  const token = encodeResumeToken(binding, point)
  const others: ResumeBinding[] = [
    { ...binding, source: 'Github' },
    { ...binding, schema: 'customers' },
    { ...binding, syncType: 'append' },
    { ...binding, incrementalField: 'created_at' },
    { ...binding, syncType: 'full_refresh', incrementalField: null }
  ]
  for (const other of others) {
    const error = t.throws(() => decodeResumeToken(token, other)) as ValidationError
    t.ok(error instanceof ValidationError)
    t.equal(error.errors[0]?.path, '/resume_state')
  }
  const [body, digest] = token.split('.')
  const edited = Buffer.from(Buffer.from(body ?? '', 'base64url').toString().replace('cursor=abc', 'cursor=abd')).toString('base64url')
  t.throws(() => decodeResumeToken(`${edited}.${digest ?? ''}`, binding), { message: /digest mismatch/ })
  t.throws(() => decodeResumeToken('', binding), ValidationError)
  t.throws(() => decodeResumeToken('a.b.c', binding), ValidationError)
})

const fixture = defineSource({
  name: 'Fixture',
  fields: [],
  getSourceConfig: () => ({ name: 'Fixture', fields: [] }),
  validateCredentials: async () => ({ valid: true }),
  getSchemas: async () => [],
  sourceForPipeline: async () => { throw new Error('unused') },
  getNonRetryableErrors: () => new Map<string, string | null>([
    ['401', 'The API key was rejected. Reconnect the source.'],
    ['Upstream returned', 'second rule: never reached for a 401'],
    ['quota exhausted', null]
  ])
})

t.test('error lines: first case-insensitive match wins and makes the line not retryable', async (t) => {
  const auth = errorLineFor(new UpstreamAuthError('Upstream returned 401 for GET https://api.x/a.', 401, 'https://api.x/a'), fixture, 's1')
  t.same(auth, { type: 'error', code: 'UPSTREAM_AUTH_FAILED', message: 'The API key was rejected. Reconnect the source.', retryable: false, state: 's1' })
  const quota = errorLineFor(new UpstreamHttpError('Upstream returned 429 for GET https://api.x/a after 5 attempts: QUOTA EXHAUSTED.', 429, 'https://api.x/a'), fixture, null)
  t.match(quota, { retryable: false, message: /second rule/ }, 'an earlier rule matching the same message wins')
  const kept = errorLineFor(new UpstreamHttpError('Quota exhausted for today.', 429, 'https://api.x/a'), fixture, null)
  t.match(kept, { retryable: false, message: 'Quota exhausted for today.' }, 'a null message keeps the original words')
  const transient = errorLineFor(new UpstreamHttpError('Gateway timeout at https://api.x/a.', 504, 'https://api.x/a'), fixture, 's2')
  t.same(transient, { type: 'error', code: 'UPSTREAM_HTTP_ERROR', message: 'Gateway timeout at https://api.x/a.', retryable: true, state: 's2' })
  t.match(errorLineFor(new ServiceUnavailableError('The service is shutting down.'), fixture, 's3'), { code: 'SERVICE_UNAVAILABLE', retryable: true, state: 's3' })
  t.match(errorLineFor(new AbortedError('x'), fixture, null), { code: 'ABORTED', retryable: true })
  const internal = errorLineFor(new TypeError('secret internals at db-7.local'), fixture, null)
  t.same(internal, { type: 'error', code: 'INTERNAL', message: 'An internal error occurred.', retryable: true, state: null })
  t.match(errorLineFor(new InternalError('db-7.local'), fixture, null), { message: 'An internal error occurred.' })
})

const table: SourceSchema = {
  name: 'orders',
  label: 'Orders',
  description: null,
  supports_incremental: true,
  supports_append: false,
  incremental_fields: [
    { label: 'Updated', type: 'datetime', field: 'updated_at', field_type: 'datetime' },
    { label: 'Id', type: 'integer', field: 'id', field_type: 'integer' }
  ],
  primary_keys: ['id'],
  should_sync_default: true
}

t.test('table and incremental field resolution', async (t) => {
  t.throws(() => findTable([table], 'Fixture', 'invoices'), { code: 'SCHEMA_NOT_FOUND' })
  t.equal(resolveIncrementalField(table, 'full_refresh', 'id'), null)
  t.match(resolveIncrementalField(table, 'incremental', 'id'), { field: 'id', type: 'integer' })
  t.throws(() => resolveIncrementalField(table, 'incremental', undefined), { errors: [{ path: '/incremental_field', message: /"updated_at", "id"/ }] })
  t.throws(() => resolveIncrementalField(table, 'append', 'id'), { errors: [{ path: '/sync_type' }] })
  t.match(resolveIncrementalField({ ...table, incremental_fields: [table.incremental_fields[1] as never] }, 'incremental', undefined), { field: 'id' })
  checkWatermarks({ field: 'id', type: 'integer' }, { last_value: '42' })
  t.throws(() => checkWatermarks({ field: 'id', type: 'integer' }, { last_value: 'abc', earliest_value: 'x' }), { errors: [{ path: '/last_value' }, { path: '/earliest_value' }] })
})

t.test('engine events become log lines; held until the stream starts', async (t) => {
  const events = new EventLines()
  events.onEvent({ level: 'warn', event: 'rate_limit_wait', waitMs: 5, type: 'spoofed' })
  const written: unknown[] = []
  events.attach({ writeNow: (line: unknown) => { written.push(line); return true } } as never)
  events.onEvent({ level: 'info', event: 'page_cap_reached', resource: 'notes', parent: 'customers:4' })
  t.same(written, [
    { type: 'log', level: 'warn', event: 'rate_limit_wait', waitMs: 5 },
    { type: 'log', level: 'info', event: 'page_cap_reached', resource: 'notes', parent: 'customers:4' }
  ])
})

t.test('NdjsonWriter: record and state lines are byte-identical to JSON.stringify, ASCII or not', async (t) => {
  const { createServer } = await import('node:http')
  const { NdjsonWriter } = await import('../../src/sync/ndjson-writer.js')
  const pages = [
    [{ id: 1, name: 'plain ascii', nested: { a: [1, 2.5, null, true] } }, { id: 2, text: 'quote " and \\ and \n newline' }],
    [{ id: 3, name: 'Crème brûlée', emoji: '🚀 launch', cjk: '日本語' }, { id: 4, lone: '\ud800 surrogate' }],
    []
  ]
  const state = { type: 'state' as const, state: 'token-ü', rows: 4, progress: { rows: 4, pages: 2 } }
  const server = createServer((_req, res) => {
    const writer = new NdjsonWriter(res)
    writer.start({})
    void (async () => {
      await writer.writeRecords(pages[0] ?? [])
      await writer.writeRecords(pages[1] ?? [], state)
      await writer.writeRecords(pages[2] ?? [], { type: 'state', state: 'ascii', rows: 4, progress: { rows: 4, pages: 3, total_pages: 3 } })
      await writer.finish({ type: 'end', rows: 4, last_value: null, earliest_value: null })
    })()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.close() })
  const address = server.address() as { port: number }
  const body = await (await fetch(`http://127.0.0.1:${address.port}/`)).text()
  const expected = [
    ...pages.flat().map((data) => JSON.stringify({ type: 'record', data })),
    JSON.stringify(state),
    JSON.stringify({ type: 'state', state: 'ascii', rows: 4, progress: { rows: 4, pages: 3, total_pages: 3 } }),
    JSON.stringify({ type: 'end', rows: 4, last_value: null, earliest_value: null })
  ].join('\n') + '\n'
  t.equal(body, expected)
})
