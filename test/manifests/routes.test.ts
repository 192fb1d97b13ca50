/**
 * Three Airbyte manifests (Workable, Freshdesk, Pipedrive; written from Airbyte's component docs) loaded
 * from MANIFESTS_DIR and served like built-in sources, against loopback fakes of those APIs: the source
 * list with forms, credential checks, table lists, syncs with state lines, exact resume, incremental
 * params, substreams, error handling and a secret that never leaks.
 */
import t from 'tap'
import { Compile } from 'typebox/compile'
import { SourceConfigSchema } from '../../src/sources/fields.js'
import { FRESHDESK_KEY, FRESHDESK_TICKETS, PIPEDRIVE_DEALS, PIPEDRIVE_TOKEN, WORKABLE_CANDIDATES, WORKABLE_JOBS, WORKABLE_TOKEN } from '../fakes/manifest-apis.js'
import { contractProblems, records, states, sync as syncOn, terminal, type Harness, type SyncBody } from '../sync/helpers.js'
import { post, startManifestHarness, type ManifestHarness } from './helpers.js'

const checkSourceConfig = Compile(SourceConfigSchema)
let h: ManifestHarness
const sync = async (_h: ManifestHarness, source: string, body: SyncBody): ReturnType<typeof syncOn> => await syncOn(h as unknown as Harness, source, body)
t.before(async () => { h = await startManifestHarness() })
t.teardown(async () => { await h.close() })

const workable = { api_key: WORKABLE_TOKEN, subdomain: 'acme', start_date: '2024-01-01T00:00:00Z' }
const freshdesk = { domain: 'acme.freshdesk.com', api_key: FRESHDESK_KEY }
const pipedrive = { authorization: { selection: 'Token', api_token: PIPEDRIVE_TOKEN } }

t.test('GET /v1/sources lists the manifest sources with their forms', async (t) => {
  const response = await fetch(`${h.url}/v1/sources`)
  const list = (await response.json() as { sources: Array<{ name: string }> }).sources
  const names = list.map((s) => s.name)
  for (const name of ['Workable', 'Freshdesk', 'Pipedrive', 'CustomRest']) t.ok(names.includes(name), name)
  for (const config of list) t.ok(checkSourceConfig.Check(config), `${config.name} matches SourceConfig`)
  const wk = list.find((s) => s.name === 'Workable') as unknown as { fields: Array<{ name: string, type: string, secret?: boolean, required: boolean }> }
  t.same(wk.fields.map((f) => [f.name, f.type, f.required]), [['api_key', 'password', true], ['subdomain', 'text', true], ['start_date', 'text', true]])
  t.equal(wk.fields[0]?.secret, true)
  const pd = list.find((s) => s.name === 'Pipedrive') as unknown as { fields: Array<{ name: string, type: string, options?: Array<{ value: string, fields?: unknown[] }> }> }
  t.equal(pd.fields[0]?.type, 'select')
  t.same(pd.fields[0]?.options?.map((o) => o.value), ['Token'])
  t.equal(pd.fields[1]?.type, 'select', 'an enum is a select')
})

t.test('validate runs the manifest check (CheckStream)', async (t) => {
  t.same((await post(h, '/v1/sources/Workable/validate', { config: workable })).body, { valid: true })
  const bad = await post(h, '/v1/sources/Workable/validate', { config: { ...workable, api_key: 'wrong' } })
  t.equal(bad.body.valid, false)
  t.notMatch(JSON.stringify(bad.body), WORKABLE_TOKEN)
  t.same((await post(h, '/v1/sources/Freshdesk/validate', { config: freshdesk })).body, { valid: true })
  t.same((await post(h, '/v1/sources/Pipedrive/validate', { config: pipedrive })).body, { valid: true })
  t.same((await post(h, '/v1/sources/Pipedrive/validate', { config: { authorization: { auth_type: 'Token', api_token: PIPEDRIVE_TOKEN } } })).body, { valid: true },
    'the spec\'s own oneOf shape (keyed by the discriminator) is accepted too')
  // A missing sub-field is named.
  const missing = await post(h, '/v1/sources/Pipedrive/validate', { config: { authorization: { selection: 'Token' } } })
  t.equal(missing.status, 400)
  t.match(JSON.stringify(missing.body), '/config/authorization/api_token')
})

t.test('schemas list streams with primary keys and incremental fields', async (t) => {
  const { body } = await post(h, '/v1/sources/Workable/schemas', { config: workable })
  const tables = body.schemas as Array<{ name: string, primary_keys: string[], supports_incremental: boolean, incremental_fields: Array<{ field: string }> }>
  t.same(tables.map((s) => s.name), ['jobs', 'candidates', 'job_questions'])
  t.same(tables.map((s) => s.primary_keys), [['id'], ['id'], ['id']])
  t.same(tables.filter((s) => s.supports_incremental).map((s) => s.incremental_fields.map((f) => f.field)), [['updated_at']])
})

t.test('CursorPagination with RequestPath: every job once, in order, with states that resume exactly', async (t) => {
  const before = h.workable.requests.length
  const full = await sync(h, 'Workable', { config: workable, schema: 'jobs' })
  t.same(contractProblems(full.lines), [])
  t.same(records(full.lines).map((r) => r.id), WORKABLE_JOBS.map((j) => j.id))
  const marks = states(full.lines)
  t.equal(marks.length, 2, 'a state after each page but the last (120 jobs, 50 a page)')
  for (const mark of marks) {
    const rest = await sync(h, 'Workable', { config: workable, schema: 'jobs', resume_state: mark.state })
    t.same(records(rest.lines).map((r) => r.id), WORKABLE_JOBS.slice(mark.rows).map((j) => j.id), `resume after ${mark.rows} rows`)
  }
  const first = h.workable.requests[before]
  t.equal(first?.query.get('limit'), '50', 'page_size_option sends the page size')
})

t.test('DatetimeBasedCursor: start_datetime without a watermark, the watermark with one', async (t) => {
  const before = h.workable.requests.length
  const all = await sync(h, 'Workable', { config: workable, schema: 'candidates', sync_type: 'incremental' })
  t.same(contractProblems(all.lines), [])
  t.equal(records(all.lines).length, WORKABLE_CANDIDATES.length)
  t.equal(h.workable.requests[before]?.query.get('updated_after'), '2024-01-01T00:00:00Z')
  const end = terminal(all.lines) as { last_value?: unknown }
  t.equal(end.last_value, WORKABLE_CANDIDATES.at(-1)?.updated_at)
  const mid = WORKABLE_CANDIDATES[60]?.updated_at as string
  const since = await sync(h, 'Workable', { config: workable, schema: 'candidates', sync_type: 'incremental', last_value: mid })
  t.same(records(since.lines).map((r) => r.id), WORKABLE_CANDIDATES.slice(60).map((c) => c.id))
  t.equal(h.workable.hits('/spi/v3/candidates').at(-1)?.query.has('updated_after'), true)
})

t.test('SubstreamPartitionRouter: questions of every job, with the partition added as a column', async (t) => {
  const result = await sync(h, 'Workable', { config: workable, schema: 'job_questions' })
  t.same(contractProblems(result.lines), [])
  const rows = records(result.lines)
  const expected = WORKABLE_JOBS.flatMap((j) => Array.from({ length: Number(j.shortcode.slice(2)) % 3 }, (_, q) => ({ id: `${j.shortcode}-q${q}`, job_shortcode: j.shortcode })))
  t.same(rows.map((r) => ({ id: r.id, job_shortcode: r.job_shortcode })), expected)
  const marks = states(result.lines)
  const mark = marks[Math.floor(marks.length / 2)] as { state: string, rows: number }
  const rest = await sync(h, 'Workable', { config: workable, schema: 'job_questions', resume_state: mark.state })
  t.same(records(rest.lines).map((r) => r.id), expected.slice(mark.rows).map((r) => r.id), 'resumes exactly mid fan-out')
})

t.test('PageIncrement, lookback, RemoveFields, a retried 429 and a substream over a parent declared inline', async (t) => {
  h.freshdesk.throttle('/api/v2/tickets', 1)
  const result = await sync(h, 'Freshdesk', { config: freshdesk, schema: 'tickets', sync_type: 'incremental', last_value: FRESHDESK_TICKETS[10]?.updated_at })
  t.same(contractProblems(result.lines), [])
  const rows = records(result.lines)
  // A one-hour lookback re-reads the six tickets updated in the hour before the watermark (updates are 10 minutes apart).
  t.same(rows.map((r) => r.id), FRESHDESK_TICKETS.slice(4).map((r) => r.id))
  t.notOk(rows.some((r) => 'priority' in r), 'RemoveFields drops the column')
  const hits = h.freshdesk.hits('/api/v2/tickets')
  t.equal(hits.at(-1)?.query.get('page'), '2', 'a short second page ends it: no request for an empty page')
  t.equal(hits.at(-1)?.query.get('updated_since'), '2024-01-01T00:40:00Z')
  const conversations = await sync(h, 'Freshdesk', { config: freshdesk, schema: 'conversations' })
  t.same(contractProblems(conversations.lines), [])
  const replies = records(conversations.lines)
  t.equal(replies.length, FRESHDESK_TICKETS.reduce((n, t) => n + (t.id % 3), 0))
  t.ok(replies.every((r) => r.parent_ticket_id === r.ticket_id), 'the partition value is added as parent_ticket_id')
})

t.test('OffsetIncrement with the key in a query param, config params, and the spec oneOf', async (t) => {
  const result = await sync(h, 'Pipedrive', { config: { authorization: { auth_type: 'Token', api_token: PIPEDRIVE_TOKEN }, deal_status: 'open' }, schema: 'deals' })
  t.equal(result.status, 200)
  t.same(contractProblems(result.lines), [])
  t.same(records(result.lines).map((r) => r.id), PIPEDRIVE_DEALS.map((d) => d.id))
  const hits = h.pipedrive.hits('/v1/deals')
  t.same(hits.slice(-5).map((r) => r.query.get('start')), ['0', '10', '20', '30', '40'])
  t.equal(hits.at(-1)?.query.get('status'), 'open')
  t.equal(hits.at(-1)?.query.get('limit'), '10')
  for (const line of result.lines) t.notMatch(JSON.stringify(line), PIPEDRIVE_TOKEN)
})

t.test('a resume token from another source or table is refused', async (t) => {
  const full = await sync(h, 'Workable', { config: workable, schema: 'jobs' })
  const state = states(full.lines)[0]?.state as string
  const other = await sync(h, 'Workable', { config: workable, schema: 'candidates', resume_state: state })
  t.equal(other.status, 400)
  t.match(JSON.stringify(other.body), '/resume_state')
})
