/**
 * Klaviyo tables against the Klaviyo fake on loopback: links.next pagination from real bodies, JSON:API
 * rows flattened, incremental vs full-refresh filters (the campaigns' channel filter combined with the
 * time filter), primary keys, status mapping, 429/Retry-After and per-endpoint burst windows, fan-out
 * row shape, every declared table synced end to end through POST /v1/sources/Klaviyo/sync, and resume
 * from every state line.
 */
import t from 'tap'
import pino from 'pino'
import { Compile } from 'typebox/compile'
import { buildApp, type App } from '../../src/app.js'
import type { Endpoint } from '../../src/engine/declarations.js'
import type { EngineEvent, Row } from '../../src/engine/types.js'
import { createEngineServices, type EngineServices } from '../../src/engine/services.js'
import { SyncLineSchema } from '../../src/sync/lines.js'
import { KLAVIYO_DEFAULTS, KLAVIYO_ENDPOINTS } from '../../src/sources/klaviyo/settings.js'
import { klaviyoSource } from '../../src/sources/klaviyo/source.js'
import type { PipelineInputs, SourceContext } from '../../src/sources/types.js'
import { matchesShape } from '../helpers/shapes.js'
import { REVISION_PATTERN, startFakeKlaviyo, type FakeKlaviyo, type LoggedRequest, type Resource } from '../fakes/klaviyo.js'
import { textPagesAgree } from '../helpers/source-sync.js'

const checkLine = Compile(SyncLineSchema)
const ENDPOINTS = KLAVIYO_ENDPOINTS.map((e) => ({ ...KLAVIYO_DEFAULTS, ...e })) as unknown as readonly Endpoint[]

let fake: FakeKlaviyo
let services: EngineServices
let app: App

t.before(async () => {
  fake = await startFakeKlaviyo()
  services = createEngineServices({ allowPrivateUpstreams: true, retry: { baseDelayMs: 5, maxBackoffMs: 20 } })
  app = await buildApp({ settings: { LOG_LEVEL: 'silent', UPSTREAM_BASE_URLS: { Klaviyo: fake.url }, ALLOW_PRIVATE_UPSTREAMS: true }, services })
})

t.teardown(async () => {
  await app.close()
  await services.close()
  await fake.close()
})

/** Rows (and engine events) of one table, straight from the source's pipeline handoff. */
async function pull (target: FakeKlaviyo, inputs: Omit<PipelineInputs, 'syncType'> & Partial<Pick<PipelineInputs, 'syncType'>>, engine = services) {
  const events: EngineEvent[] = []
  const ctx: SourceContext = { services: engine, baseUrlOverride: target.url, log: pino({ level: 'silent' }), signal: new AbortController().signal, onEvent: (e) => events.push(e) }
  const response = await klaviyoSource.sourceForPipeline({ api_key: target.key }, { syncType: 'full_refresh', ...inputs }, ctx)
  const rows: Row[] = []
  for await (const page of response.pages) rows.push(...page.rows)
  return { rows, events, response }
}

interface SyncResult { status: number, lines: Array<Record<string, unknown>>, records: Row[], terminal: Record<string, unknown> | undefined }

async function sync (body: Record<string, unknown>, target = app): Promise<SyncResult> {
  const response = await target.inject({ method: 'POST', url: '/v1/sources/Klaviyo/sync', payload: { config: { api_key: fake.key }, ...body } })
  if (response.statusCode !== 200) return { status: response.statusCode, lines: [response.json()], records: [], terminal: undefined }
  const lines = response.body.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>)
  return { status: 200, lines, records: lines.filter((l) => l.type === 'record').map((l) => l.data as Row), terminal: lines.at(-1) }
}

function since (mark: number, target = fake): LoggedRequest[] {
  return target.requests.slice(mark)
}

const time = (value: unknown): number => Date.parse(String(value))

t.test('the fake keeps the documented contract: revision required, page[size] bounds, channel filter, next links', async (t) => {
  const headers = { authorization: `Klaviyo-API-Key ${fake.key}`, accept: 'application/vnd.api+json' }
  const get = async (path: string, extra: Record<string, string> = {}) => {
    const response = await fetch(fake.url + path, { headers: { ...headers, ...extra } })
    return { status: response.status, headers: response.headers, body: await response.json() as Record<string, any> }
  }
  const noRevision = await get('/api/lists')
  t.equal(noRevision.status, 400)
  t.match(noRevision.body.errors[0], { code: 'invalid', source: { parameter: 'revision' } })
  t.ok(REVISION_PATTERN.test('2026-04-15'))
  const rev = { revision: '2026-04-15' }
  t.equal((await get('/api/lists?page[size]=11', rev)).status, 400, 'lists page at most 10')
  t.equal((await get('/api/metrics?page[size]=5', rev)).status, 400, 'metrics has no page[size]')
  const campaigns = await get('/api/campaigns', rev)
  t.equal(campaigns.status, 400)
  t.match(campaigns.body.errors[0].detail, /channel filter is required/)
  const first = await get('/api/lists?sort=updated', rev)
  t.equal(first.status, 200)
  t.equal(first.body.data.length, 10)
  t.match(first.body.links.next, new RegExp(`^${fake.url}/api/lists/\\?sort=updated&page%5Bcursor%5D=`))
  t.match(first.headers.get('ratelimit-limit'), /^\d+$/)
  t.match(first.headers.get('ratelimit-reset'), /^\d+$/)
  const last = await get(new URL(first.body.links.next as string).pathname + new URL(first.body.links.next as string).search.replace(/page%5Bcursor%5D=[^&]+/, `page%5Bcursor%5D=${Buffer.from('{"o":20}').toString('base64url')}`), rev)
  t.equal(last.body.data.length, fake.data.lists.length - 20)
  t.equal(last.body.links.next, undefined, 'no next link on the last page')
  const quoted = await get("/api/profiles?filter=greater-than(updated,'2024-01-01T00:00:00Z')", rev)
  t.equal(quoted.status, 400, 'a quoted datetime is a string, not a time: the filter is invalid')
  t.match(quoted.body.errors[0], { code: 'invalid', source: { parameter: 'filter' } })
})

t.test('links.next pagination: page[size] sent once, next links followed verbatim until absent, rows flattened', async (t) => {
  const mark = fake.requests.length
  const { rows } = await pull(fake, { schema: 'profiles' })
  const seen = since(mark)
  t.same(seen.map((r) => r.path), ['/api/profiles', '/api/profiles/', '/api/profiles/'], 'the first page by path, then the absolute next links')
  t.same(seen[0]?.query, { sort: 'updated', 'page[size]': '100' })
  for (const request of seen.slice(1)) {
    t.same(Object.keys(request.query).sort(), ['page[cursor]', 'page[size]', 'sort'], 'params carried by the link, not repeated')
  }
  t.equal(rows.length, fake.data.profiles.length)
  t.equal(new Set(rows.map((r) => r.id)).size, rows.length, 'no row twice')
  const sorted = [...rows].sort((a, b) => time(a.updated) - time(b.updated))
  t.same(rows.map((r) => r.id), sorted.map((r) => r.id), 'ascending by updated (sort=updated)')
  const row = rows[0] as Row
  t.same(Object.keys(row).slice(0, 2), ['type', 'id'])
  t.notOk('attributes' in row || 'links' in row, 'attributes hoisted, links left out')
  t.match(row, { type: 'profile', email: /@example\.com$|^$/, location: { city: String }, relationships: {} })
  t.ok(rows.some((r) => r.email === null) && rows.some((r) => r.phone_number === null), 'nulls pass through')
})

t.test('incremental requests carry the declared filter; full refresh sends only the fixed params', async (t) => {
  const watermark = '2024-03-01T08:30:00.500Z'
  const cases: Array<{ schema: string, field: string, filter: string, full: Record<string, string> }> = [
    { schema: 'profiles', field: 'updated', filter: 'greater-than(updated,2024-03-01T08:30:00Z)', full: { sort: 'updated', 'page[size]': '100' } },
    { schema: 'events', field: 'datetime', filter: 'greater-or-equal(datetime,2024-03-01T08:30:00Z)', full: { sort: 'datetime', 'page[size]': '1000' } },
    { schema: 'campaigns', field: 'updated_at', filter: "and(equals(messages.channel,'email'),greater-or-equal(updated_at,2024-03-01T08:30:00Z))", full: { filter: "equals(messages.channel,'email')", sort: 'updated_at' } },
    { schema: 'sms_campaigns', field: 'updated_at', filter: "and(equals(messages.channel,'sms'),greater-or-equal(updated_at,2024-03-01T08:30:00Z))", full: { filter: "equals(messages.channel,'sms')", sort: 'updated_at' } },
    { schema: 'flows', field: 'updated', filter: 'greater-or-equal(updated,2024-03-01T08:30:00Z)', full: { sort: 'updated', 'page[size]': '50' } },
    { schema: 'lists', field: 'updated', filter: 'greater-than(updated,2024-03-01T08:30:00Z)', full: { sort: 'updated', 'page[size]': '10' } },
    { schema: 'segments', field: 'updated', filter: 'greater-than(updated,2024-03-01T08:30:00Z)', full: { sort: 'updated', 'page[size]': '10' } },
    { schema: 'templates', field: 'updated', filter: 'greater-or-equal(updated,2024-03-01T08:30:00Z)', full: { sort: 'updated', 'page[size]': '10' } }
  ]
  for (const c of cases) {
    let mark = fake.requests.length
    const full = await pull(fake, { schema: c.schema })
    t.same(since(mark)[0]?.query, c.full, `${c.schema}: full refresh params`)
    mark = fake.requests.length
    const incremental = await pull(fake, { schema: c.schema, syncType: 'incremental', incrementalField: c.field, lastValue: watermark })
    const first = since(mark)[0]
    t.equal(first?.query.filter, c.filter, `${c.schema}: ${c.filter}`)
    t.equal(first?.status, 200, `${c.schema}: the fake accepts the filter`)
    t.ok(incremental.rows.length < full.rows.length, `${c.schema}: the server filtered (${incremental.rows.length} of ${full.rows.length})`)
    t.ok(incremental.rows.every((r) => time(r[c.field]) >= Date.parse('2024-03-01T08:30:00Z')), `${c.schema}: only rows after the watermark`)
  }
  const email = await pull(fake, { schema: 'campaigns' })
  const sms = await pull(fake, { schema: 'sms_campaigns' })
  t.equal(email.rows.length + sms.rows.length, fake.data.campaigns.length, 'email and SMS passes cover every campaign once')
  t.notOk(email.rows.some((r) => sms.rows.some((s) => s.id === r.id)))
})

t.test('a watermark in the future is capped at now before it is sent', async (t) => {
  const mark = fake.requests.length
  const before = Date.now()
  await pull(fake, { schema: 'events', syncType: 'incremental', incrementalField: 'datetime', lastValue: '2999-01-01T00:00:00Z' })
  const sent = /greater-or-equal\(datetime,(.+)\)/.exec(since(mark)[0]?.query.filter ?? '')?.[1]
  t.ok(sent !== undefined && Date.parse(sent) <= Date.now() && Date.parse(sent) >= before - 1000, `capped: ${String(sent)}`)
})

t.test('primary keys are present and unique for every table', async (t) => {
  for (const endpoint of ENDPOINTS) {
    const { rows } = await pull(fake, { schema: endpoint.name })
    t.ok(rows.length > 0, `${endpoint.name}: rows`)
    const keys = rows.map((r) => JSON.stringify(endpoint.primaryKeys.map((k) => r[k])))
    t.notOk(rows.some((r) => endpoint.primaryKeys.some((k) => r[k] === undefined || r[k] === null)), `${endpoint.name}: ${endpoint.primaryKeys.join('+')} always set`)
    t.equal(new Set(keys).size, rows.length, `${endpoint.name}: ${endpoint.primaryKeys.join('+')} unique`)
  }
})

t.test('fan-out rows carry their parent id; relationships become ids; events get profile_id and metric_id', async (t) => {
  const mark = fake.requests.length
  const { rows } = await pull(fake, { schema: 'list_profiles' })
  const expected = fake.data.lists.flatMap((l) => (fake.data.listMembers.get(l.id) ?? []).map((p) => `${l.id}/${p.id}`))
  t.same(rows.map((r) => `${String(r.list_id)}/${String(r.id)}`).sort(), expected.sort())
  t.notOk(rows.some((r) => Object.keys(r).some((k) => k.startsWith('_'))), 'parent id renamed to list_id')
  t.match(rows[0], { type: 'profile', id: String, list_id: String, joined_group_at: String, email: String })
  const members = since(mark).filter((r) => /^\/api\/lists\/[^/]+\/profiles\/?$/.test(r.path))
  t.ok(members.some((r) => r.path.endsWith('/profiles/')), 'a list with more than 100 members pages through its next links')
  t.ok(members.every((r) => r.status === 200))

  const segments = await pull(fake, { schema: 'segment_profiles' })
  t.ok(segments.rows.length > 0 && segments.rows.every((r) => typeof r.segment_id === 'string'))

  const events = await pull(fake, { schema: 'events', syncType: 'incremental', incrementalField: 'datetime', lastValue: '2024-01-13T00:00:00Z' })
  const raw = new Map(fake.data.events.map((e) => [e.id, e]))
  for (const row of events.rows.slice(0, 20)) {
    const source = raw.get(String(row.id)) as Resource
    const rel = source.relationships as Record<string, { data: { id: string } | Array<{ id: string }> }>
    t.same(row.relationships, { profile: (rel.profile?.data as { id: string }).id, metric: (rel.metric?.data as { id: string }).id, attributions: (rel.attributions?.data as Array<{ id: string }>).map((a) => a.id) })
    t.equal(row.profile_id, (rel.profile?.data as { id: string }).id)
    t.equal(row.metric_id, (rel.metric?.data as { id: string }).id)
    t.equal(typeof row.timestamp, 'number')
  }
  const campaigns = await pull(fake, { schema: 'campaigns' })
  t.ok(campaigns.rows.some((r) => Array.isArray((r.relationships as Row).tags) && ((r.relationships as Row).tags as unknown[]).length > 0), 'to-many relationships as id lists')
})

t.test('a list deleted between the parent page and its members is skipped, not a failure', async (t) => {
  const gone = await startFakeKlaviyo({ lists: 3 })
  t.teardown(() => gone.close())
  gone.data.listMembers.delete(gone.data.lists[1]?.id ?? '')
  const { rows, events } = await pull(gone, { schema: 'list_profiles' })
  t.ok(events.some((e) => e.event === 'response_ignored' && e.status === 404))
  t.same([...new Set(rows.map((r) => r.list_id))].sort(), [gone.data.lists[0]?.id, gone.data.lists[2]?.id].filter((id) => (gone.data.listMembers.get(id ?? '')?.length ?? 0) > 0).sort())
})

t.test('status mapping through the sync route', async (t) => {
  const cases: Array<{ name: string, body: Record<string, unknown>, arrange?: () => void, expect: (r: SyncResult, requests: LoggedRequest[]) => void }> = [
    {
      name: '401 invalid key: one request, a non-retryable error line in friendly words',
      body: { schema: 'lists', config: { api_key: 'pk_wrong_000000000000000000000000' } },
      expect: (r, requests) => {
        t.equal(requests.length, 1)
        t.match(r.terminal, { type: 'error', code: 'UPSTREAM_AUTH_FAILED', retryable: false, message: /rejected the API key/ })
      }
    },
    {
      name: '403 missing scope: non-retryable, names the scopes per table',
      body: { schema: 'metrics' },
      arrange: () => { fake.failNext(403, { code: 'permission_denied', detail: 'You do not have permission to perform this action.' }) },
      expect: (r) => t.match(r.terminal, { type: 'error', code: 'UPSTREAM_AUTH_FAILED', retryable: false, message: /metrics → metrics:read/ })
    },
    {
      name: '400 (a rejected filter): not retried, the vendor detail kept, never the raw body',
      body: { schema: 'tags' },
      arrange: () => { fake.failNext(400, { code: 'invalid', detail: 'Invalid filter provided.' }) },
      expect: (r, requests) => {
        t.equal(requests.length, 1)
        t.match(r.terminal, { type: 'error', retryable: false, message: /400.*Invalid filter provided/ })
        t.notMatch(String(r.terminal?.message), /"errors"/)
      }
    },
    {
      name: '503 once: retried, then every row',
      body: { schema: 'metrics' },
      arrange: () => { fake.failNext(503, { code: 'error' }) },
      expect: (r, requests) => {
        t.same(requests.map((q) => q.status), [503, 200])
        t.equal(r.records.length, fake.data.metrics.length)
        t.ok(r.lines.some((l) => l.type === 'log' && l.event === 'retry'))
      }
    },
    {
      name: '429 with Retry-After: waited, retried, every row',
      body: { schema: 'metrics' },
      arrange: () => { fake.failNext(429, { code: 'throttled', detail: 'Request was throttled. Expected available in 1 second.', headers: { 'retry-after': '1' } }) },
      expect: (r, requests) => {
        t.same(requests.map((q) => q.status), [429, 200])
        t.ok((requests[1]?.at ?? 0) - (requests[0]?.at ?? 0) >= 950, 'waited the Retry-After second')
        t.ok(r.lines.some((l) => l.type === 'log' && l.event === 'rate_limit_wait' && l.reason === 'retry_after'))
        t.equal(r.records.length, fake.data.metrics.length)
      }
    }
  ]
  for (const c of cases) {
    await t.test(c.name, async () => {
      c.arrange?.()
      const mark = fake.requests.length
      const result = await sync(c.body)
      t.equal(result.status, 200)
      t.ok(result.lines.every((l) => checkLine.Check(l)), 'every line matches the line schema')
      c.expect(result, since(mark))
    })
  }
})

t.test('every request carries the key, the revision and the JSON:API media type', async (t) => {
  const mark = fake.requests.length
  await pull(fake, { schema: 'segments' })
  const seen = since(mark)
  t.ok(seen.length >= 2)
  for (const r of seen) {
    t.equal(r.headers.authorization, `Klaviyo-API-Key ${fake.key}`)
    t.equal(r.headers.revision, '2026-04-15')
    t.equal(r.headers.accept, 'application/vnd.api+json')
  }
})

t.test('rate windows: the per-endpoint burst budget keeps concurrent syncs of one key under the fake\'s window; a 429 from shared usage waits', async (t) => {
  // tags: 3 a second. Three syncs of two pages each start together: without the budget they would send six at once.
  const windowed = await startFakeKlaviyo({ tags: 57 })
  t.teardown(() => windowed.close())
  const engine = createEngineServices({ allowPrivateUpstreams: true, retry: { baseDelayMs: 5, maxBackoffMs: 20 } })
  t.teardown(() => engine.close())
  const results = await Promise.all([1, 2, 3].map(async () => await pull(windowed, { schema: 'tags' }, engine)))
  t.ok(results.every((r) => r.rows.length === 57))
  const tags = windowed.requestsTo('tags')
  t.equal(tags.length, 6)
  t.same(tags.filter((r) => r.status !== 200), [], 'no 429: the client held the burst window')
  const starts = tags.map((r) => r.at).sort((a, b) => a - b)
  t.ok((starts[3] ?? 0) - (starts[0] ?? 0) >= 900, 'the fourth request waited for the next second')

  // Another integration using the same account leaves less room than the budget assumes: the fake allows 1 a second.
  const shared = await startFakeKlaviyo({ flows: 40, limits: { flows: { burst: 1, steady: 60 } } })
  t.teardown(() => shared.close())
  const busy = await Promise.all([pull(shared, { schema: 'flows' }, engine), pull(shared, { schema: 'flows' }, engine)])
  t.ok(busy.every((r) => r.rows.length === 40))
  const throttled = shared.requestsTo('flows').filter((r) => r.status === 429)
  t.ok(throttled.length >= 1, 'the fake throttled')
  t.ok(busy.some((r) => r.events.some((e) => e.event === 'rate_limit_wait' && e.reason === 'retry_after')), 'the engine waited Retry-After')
})

/** What a record of each table must look like (besides its primary keys). */
const SHAPES: Record<string, Record<string, unknown>> = {
  profiles: { type: String, id: String, created: String, updated: String, location: { city: String }, relationships: Object },
  events: { type: String, datetime: String, timestamp: Number, uuid: String, event_properties: Object, profile_id: String, metric_id: String },
  campaigns: { type: String, name: String, status: String, created_at: String, updated_at: String, audiences: { included: Array }, send_options: Object },
  sms_campaigns: { type: String, name: String, status: String, created_at: String, updated_at: String },
  flows: { type: String, name: String, status: String, created: String, updated: String, archived: Boolean },
  lists: { type: String, name: String, created: String, updated: String, opt_in_process: String },
  segments: { type: String, name: String, created: String, updated: String, is_active: Boolean },
  metrics: { type: String, name: String, created: String, updated: String },
  templates: { type: String, name: String, editor_type: String, html: String, created: String },
  tags: { type: String, name: String, relationships: { 'tag-group': String } },
  list_profiles: { type: String, list_id: String, joined_group_at: String, created: String },
  segment_profiles: { type: String, segment_id: String, joined_group_at: String, created: String }
}

function expectedCount (table: string): number {
  const d = fake.data
  const count = (m: Map<string, unknown[]>): number => [...m.values()].reduce((n, list) => n + list.length, 0)
  switch (table) {
    case 'campaigns': return d.campaigns.filter((c) => c.id.startsWith('01HCEM')).length
    case 'sms_campaigns': return d.campaigns.filter((c) => c.id.startsWith('01HCSM')).length
    case 'list_profiles': return count(d.listMembers)
    case 'segment_profiles': return count(d.segmentMembers)
    default: return (d[table as 'profiles'] as unknown[]).length
  }
}

t.test('every declared table syncs end to end through the sync route with rows of the declared shape', async (t) => {
  t.same(Object.keys(SHAPES).sort(), ENDPOINTS.map((e) => e.name).sort(), 'a shape for every declared table')
  for (const endpoint of ENDPOINTS) {
    await t.test(endpoint.name, async (t) => {
      const result = await sync({ schema: endpoint.name })
      t.equal(result.status, 200)
      t.ok(result.lines.every((l) => checkLine.Check(l)), 'every line matches the line schema')
      t.match(result.lines[0], { type: 'schema', name: endpoint.name, primary_keys: [...endpoint.primaryKeys], table_format: 'delta', sort_mode: endpoint.sortMode ?? 'asc' })
      t.match(result.terminal, { type: 'end', rows: expectedCount(endpoint.name) })
      t.equal(result.records.length, expectedCount(endpoint.name))
      const misshapen = result.records.filter((record) => !matchesShape(record, SHAPES[endpoint.name] ?? {}))
      t.same(misshapen.slice(0, 2), [], 'every record has the declared shape')
      t.notOk(result.records.some((r) => 'attributes' in r || 'links' in r), 'flattened')
      const key = endpoint.partitionKey
      if (key !== undefined) t.ok(result.records.every((r) => !Number.isNaN(time(r[key]))), `partition key ${key} is always a timestamp`)
    })
  }
})

t.test('resuming from any state line yields exactly the rest of the rows (plain and fan-out)', async (t) => {
  // A fake of its own: resuming from every state re-reads the rest each time, which would crowd the shared fake's windows.
  const small = await startFakeKlaviyo({ profiles: 230, lists: 6 })
  const engine = createEngineServices({ allowPrivateUpstreams: true, retry: { baseDelayMs: 5, maxBackoffMs: 20 } })
  const own = await buildApp({ settings: { LOG_LEVEL: 'silent', UPSTREAM_BASE_URLS: { Klaviyo: small.url }, ALLOW_PRIVATE_UPSTREAMS: true }, services: engine })
  t.teardown(async () => { await own.close(); await engine.close(); await small.close() })
  for (const schema of ['profiles', 'list_profiles']) {
    const full = await sync({ schema, config: { api_key: small.key } }, own)
    const ids = full.records.map((r) => `${String(r.list_id ?? '')}/${String(r.id)}`)
    t.equal(new Set(ids).size, ids.length)
    let seenRows = 0
    const states: Array<{ state: string, rows: number }> = []
    for (const line of full.lines) {
      if (line.type === 'record') seenRows++
      if (line.type === 'state') states.push({ state: String(line.state), rows: seenRows })
    }
    t.ok(states.length >= 2, `${schema}: several pages (${states.length} states)`)
    for (const { state, rows } of states) {
      const rest = await sync({ schema, config: { api_key: small.key }, resume_state: state }, own)
      t.same(rest.records.map((r) => `${String(r.list_id ?? '')}/${String(r.id)}`), ids.slice(rows), `${schema}: resume after ${rows} rows`)
    }
  }
  t.same(small.requests.filter((r) => r.status !== 200), [], 'no request throttled or refused')
})

t.test('incremental sync through the route: the watermark is the max updated; the next run filters on it', async (t) => {
  const first = await sync({ schema: 'profiles', sync_type: 'incremental', incremental_field: 'updated' })
  const max = fake.data.profiles.map((p) => String(p.attributes.updated)).sort((a, b) => time(a) - time(b)).at(-1)
  t.match(first.terminal, { type: 'end', last_value: max })
  const mark = fake.requests.length
  const second = await sync({ schema: 'profiles', sync_type: 'incremental', incremental_field: 'updated', last_value: first.terminal?.last_value })
  t.equal(since(mark)[0]?.query.filter, `greater-than(updated,${new Date(time(max)).toISOString().replace(/\.\d{3}Z$/, 'Z')})`)
  t.equal(second.records.length, 0, 'nothing changed since')
})

t.test('text pages: JSON:API rows are flattened, so every table is parsed and writes the same record lines', async (t) => {
  const counts = await textPagesAgree(t, klaviyoSource, { api_key: fake.key }, services, fake.url)
  t.ok(Object.keys(counts).length > 0)
})
