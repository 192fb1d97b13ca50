/** Pure pieces of the sync route: resume tokens, error-line mapping, table/field resolution. */
import t from 'tap'
import { AbortedError, InternalError, ServiceUnavailableError, UpstreamAuthError, UpstreamHttpError, UpstreamRaisedError, ValidationError } from '../../src/errors.js'
import { defineSource, type SourceSchema } from '../../src/sources/types.js'
import { errorLineFor } from '../../src/sync/error-line.js'
import { resolveIncrementalField } from '../../src/sources/tables.js'
import { checkWatermarks, findTable } from '../../src/sync/request.js'
import { createHmac } from 'node:crypto'
import { ResumeTokens, type ResumeBinding } from '../../src/sync/resume-state.js'
import { EventLines } from '../../src/sync/run-sync.js'

const binding: ResumeBinding = { source: 'Demo', schema: 'orders', syncType: 'incremental', incrementalField: 'updated_at' }
const point = { engine: { v: 2, next: { u: '/orders?cursor=abc' } }, watermarks: { lastValue: '2024-02-01T00:00:00Z', earliestValue: '2024-01-01T00:00:00Z' } }
const SECRET = 'a-test-secret-of-at-least-32-bytes!'
const tokens = new ResumeTokens([SECRET])
const encodeResumeToken = (b: ResumeBinding, p: typeof point): string => tokens.encode(b, p)
const decodeResumeToken = (token: string, b: ResumeBinding): unknown => tokens.decode(token, b)

t.test('resume tokens round-trip and carry the run watermarks', async (t) => {
  const token = encodeResumeToken(binding, point)
  t.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/)
  t.same(decodeResumeToken(token, binding), point)
  const full = { ...binding, syncType: 'full_refresh' as const, incrementalField: null }
  const none = { ...point, watermarks: { lastValue: null, earliestValue: null } }
  t.same(tokens.decode(tokens.encode(full, none), full), none, 'null fields left out and restored')
})

t.test('resume tokens are HMAC-signed: a recomputed plain digest, another secret or an old version is refused', async (t) => {
  const token = encodeResumeToken(binding, point)
  const [body] = token.split('.')
  const envelope = JSON.parse(Buffer.from(body ?? '', 'base64url').toString()) as Record<string, unknown>
  const forgedBody = Buffer.from(JSON.stringify({ ...envelope, e: { v: 2, next: { u: 'http://127.0.0.1:1/v1/sources' } } })).toString('base64url')
  const { createHash } = await import('node:crypto')
  const plainDigest = createHash('sha256').update(forgedBody).digest('base64url').slice(0, 22)
  const refused = t.throws(() => decodeResumeToken(`${forgedBody}.${plainDigest}`, binding)) as ValidationError
  t.match(refused, { errors: [{ path: '/resume_state', message: /signature mismatch/ }] }, 'the old plain SHA-256 digest no longer signs')
  const other = new ResumeTokens(['another-secret-of-at-least-32-bytes'])
  t.throws(() => other.decode(token, binding), ValidationError, 'a token signed under another secret')
  const withTag = (b: string): string => `${b}.${createHmac('sha256', SECRET).update(b).digest('base64url').slice(0, 22)}`
  const v1 = Buffer.from(JSON.stringify({ ...envelope, v: 1 })).toString('base64url')
  t.throws(() => decodeResumeToken(withTag(v1), binding), { errors: [{ path: '/resume_state', message: /version 1/ }] })
  t.same(decodeResumeToken(withTag(body ?? ''), binding), point, 'the tag is HMAC-SHA-256 of the body, 22 base64url characters')
})

t.test('a token is bound to the watermarks its run was asked to start from', async (t) => {
  const asked = { ...binding, requested: { lastValue: '2024-01-01T00:00:00Z', earliestValue: null } }
  const token = tokens.encode(asked, point)
  t.same(tokens.decode(token, asked), point)
  for (const requested of [{ lastValue: '2024-06-01T00:00:00Z', earliestValue: null }, { lastValue: null, earliestValue: null }]) {
    t.throws(() => tokens.decode(token, { ...binding, requested }), { errors: [{ path: '/resume_state', message: /last_value "2024-01-01T00:00:00Z"/ }] })
  }
  t.throws(() => tokens.decode(tokens.encode(binding, point), asked), ValidationError, 'and the other way round')
})

t.test('resume token secrets rotate: the first signs, every one verifies; short secrets are refused', async (t) => {
  const old = new ResumeTokens([SECRET])
  const rotated = new ResumeTokens(['the-new-secret-of-at-least-32-bytes', SECRET])
  t.same(rotated.decode(old.encode(binding, point), binding), point, 'a token of the previous secret still verifies')
  t.throws(() => old.decode(rotated.encode(binding, point), binding), ValidationError, 'new tokens are signed with the new secret')
  t.throws(() => new ResumeTokens(['short']), /at least 32 bytes/)
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
  t.throws(() => decodeResumeToken(`${edited}.${digest ?? ''}`, binding), { message: /signature mismatch/ })
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
  errorRules: [
    { status: 401, message: 'The API key was rejected. Reconnect the source.' },
    { code: 'UPSTREAM_HTTP_ERROR', status: 429, vendorMessage: 'quota', message: 'second rule: wins over the next one' },
    { vendorMessage: 'quota exhausted', message: null },
    { code: 'UPSTREAM_RAISED', message: 'Try again tomorrow.', retryable: true }
  ]
})

t.test('error lines: the first rule matching code, status and vendor message decides message and retryability', async (t) => {
  const auth = errorLineFor(new UpstreamAuthError('Upstream returned 401 for GET https://api.x/a.', 401, 'https://api.x/a'), fixture, 's1')
  t.same(auth, { type: 'error', code: 'UPSTREAM_AUTH_FAILED', message: 'The API key was rejected. Reconnect the source.', retryable: false, state: 's1' })
  const quota = errorLineFor(new UpstreamHttpError('Upstream returned 429 for GET https://api.x/a after 5 attempts: QUOTA EXHAUSTED.', 429, 'https://api.x/a', { vendorMessage: 'QUOTA EXHAUSTED' }), fixture, null)
  t.match(quota, { retryable: false, message: /second rule/ }, 'an earlier rule matching the same error wins; vendor messages match case-insensitively')
  const kept = errorLineFor(new UpstreamHttpError('Quota exhausted for today.', 503, 'https://api.x/a', { vendorMessage: 'Quota exhausted for today' }), fixture, null)
  t.match(kept, { retryable: false, message: 'Quota exhausted for today.' }, 'a null message keeps the original words')
  const reworded = errorLineFor(new UpstreamHttpError('The engine says this differently: 401.', 500, 'https://api.x/a'), fixture, null)
  t.match(reworded, { retryable: true, message: 'The engine says this differently: 401.' }, 'the engine\'s wording never matches a rule')
  t.match(errorLineFor(new UpstreamRaisedError('Daily quota.'), fixture, null), { retryable: true, message: 'Try again tomorrow.' }, 'a rule may keep a failure retryable')
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

t.test('NdjsonWriter writeRawRecords: text pages with their bytes, ASCII or not, columns and tails ASCII or not, arrive as JSON.stringify gives them', async (t) => {
  const { createServer } = await import('node:http')
  const { NdjsonWriter } = await import('../../src/sync/ndjson-writer.js')
  const { scanRows } = await import('../../src/engine/raw-rows.js')
  const decorate = (value: string) => (row: Record<string, unknown>): Record<string, unknown> => ({ ...row, repository: value })
  const cases = [
    { rows: [{ id: 1, name: 'plain' }, {}], column: 'octo/ascii', state: 'ascii' },
    { rows: [{ id: 2, name: 'plain' }], column: 'octo/été', state: 'ascii' },
    { rows: [{ id: 3, name: 'plain' }], column: 'octo/ascii', state: 'token-ü' },
    { rows: [{ id: 4, name: 'Crème 🚀', lone: '\ud800' }], column: 'octo/ascii', state: 'ascii' }
  ]
  const pages = cases.map(({ rows, column }) => {
    const text = JSON.stringify(rows)
    return scanRows(text, ['repository'], undefined, Buffer.from(text, 'utf8'))?.withColumns([['repository', column]], [], decorate(column))
  })
  t.same(pages.map((page) => page?.ascii), [true, true, true, false], 'which pages are ASCII')
  const server = createServer((_req, res) => {
    const writer = new NdjsonWriter(res)
    writer.start({})
    void (async () => {
      for (const [i, page] of pages.entries()) if (page !== undefined) await writer.writeRawRecords(page, page.count, { type: 'state', state: cases[i]?.state ?? '', rows: i, progress: { rows: i, pages: i } })
      await writer.finish({ type: 'end', rows: 5, last_value: null, earliest_value: null })
    })()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.close() })
  const address = server.address() as { port: number }
  const body = await (await fetch(`http://127.0.0.1:${address.port}/`)).text()
  const expected = cases.flatMap(({ rows, column, state }, i) => [
    ...rows.map((data) => JSON.stringify({ type: 'record', data: { ...data, repository: column } })),
    JSON.stringify({ type: 'state', state, rows: i, progress: { rows: i, pages: i } })
  ]).concat(JSON.stringify({ type: 'end', rows: 5, last_value: null, earliest_value: null })).join('\n') + '\n'
  t.equal(body, expected)
})

t.test('NdjsonWriter pageRecords: one stringify for the page, split at the separator; a row holding the separator is refused', async (t) => {
  const { pageRecords } = await import('../../src/sync/ndjson-writer.js')
  const token = 'ab'.repeat(12)
  const lines = (rows: unknown[], tail: string): string => rows.map((data) => JSON.stringify({ type: 'record', data }) + '\n').join('') + tail
  const rows = [{ id: 1, tags: ['a', 'b'], text: `,"${token}", inside a string is escaped` }, { id: 2, name: 'Crème 🚀', lone: '\ud800' }, { id: 3, list: [{ x: null }] }]
  t.equal(pageRecords(rows, '{"type":"state"}\n', token)?.toString('utf8'), lines(rows, '{"type":"state"}\n'), 'the same bytes as one JSON.stringify per row')
  t.equal(pageRecords([rows[0]!], '', token)?.toString('utf8'), lines([rows[0]!], ''), 'one row')
  t.equal(pageRecords([], 'tail\n', token)?.toString('utf8'), 'tail\n', 'no rows: the tail alone')
  for (const at of [0, 1, 2]) {
    const holding = rows.map((r, i) => i === at ? { ...r, values: ['x', token, 'y'] } : r)
    t.equal(pageRecords(holding, '', token), undefined, `a row holding the separator (row ${at + 1}) makes the page go line by line`)
  }
})

t.test('NdjsonWriter rawRecords: the lines of a text page are the bytes its parsed and decorated rows give', async (t) => {
  const { pageRecords, rawRecords } = await import('../../src/sync/ndjson-writer.js')
  const { scanRows } = await import('../../src/engine/raw-rows.js')
  const rows = [{ id: 1, name: 'Crème 🚀', lone: '\ud800', sep: '\u2028' }, {}, { id: 3, list: [{ x: null }], n: 1.5e-7 }, { id: 4, text: 'ASCII "quoted" \\ line\nbreak' }]
  const decorate = (row: Record<string, unknown>): Record<string, unknown> => { row.repository = 'octo/été'; row.none = undefined; return row }
  const raw = scanRows(JSON.stringify(rows), ['repository', 'none'])?.withColumns([['repository', 'octo/été'], ['none', undefined]], [], decorate)
  if (raw === undefined) { t.fail('the page was refused'); return }
  const objects = rows.map((row) => decorate({ ...row }))
  for (const n of [4, 2, 1, 0]) {
    t.equal(rawRecords(raw, n, '{"type":"state"}\n'), pageRecords(objects.slice(0, n), '{"type":"state"}\n')?.toString('utf8'), `${n} rows and the tail`)
  }
  const plain = scanRows('[{"a":1},{}]')
  t.equal(plain === undefined ? undefined : rawRecords(plain, 2, ''), '{"type":"record","data":{"a":1}}\n{"type":"record","data":{}}\n', 'no columns')
})

t.test('Lifecycle: many open streams listening for shutdown raise no MaxListenersExceededWarning', async (t) => {
  const { Lifecycle } = await import('../../src/plugins/lifecycle.js')
  const warnings: string[] = []
  const onWarning = (warning: Error): void => { if (warning.name === 'MaxListenersExceededWarning') warnings.push(warning.message) }
  process.on('warning', onWarning)
  t.teardown(() => { process.off('warning', onWarning) })
  const lifecycle = new Lifecycle()
  let aborted = 0
  for (let i = 0; i < 100; i++) lifecycle.signal.addEventListener('abort', () => { aborted++ }, { once: true })
  lifecycle.beginShutdown()
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(aborted, 100, 'every stream hears the shutdown')
  t.same(warnings, [])
})
