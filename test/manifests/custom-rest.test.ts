/**
 * The inline `CustomRest` source: the manifest travels with the config on validate, schemas and sync
 * (OAuth refresh-token auth and a cursor in the body against a loopback fake); resume tokens bind to
 * the manifest's digest; a bad manifest is a 400 naming /config/manifest; secrets never come back.
 */
import t from 'tap'
import { startRestFake, type RestFake } from '../fakes/rest-fake.js'
import { contractProblems, records, states, sync } from '../sync/helpers.js'
import { startHarness, type Harness } from '../sync/helpers.js'
import { post } from './helpers.js'

const CLIENT_SECRET = 'cs-canary-77f1'
const REFRESH_TOKEN = 'rt-canary-2c90'
const ITEMS = Array.from({ length: 23 }, (_, i) => ({ id: i + 1, name: `item ${i + 1}`, updated: `2024-03-${String(1 + i).padStart(2, '0')}T00:00:00Z` }))

let fake: RestFake
let h: Harness
let tokenRequests = 0
t.before(async () => {
  fake = await startRestFake({
    'POST /oauth/token': (req) => {
      tokenRequests++
      const form = new URLSearchParams(String(req.body))
      const ok = form.get('grant_type') === 'refresh_token' && form.get('refresh_token') === REFRESH_TOKEN && form.get('client_secret') === CLIENT_SECRET
      return ok ? { json: { access_token: 'at-1', expires_in: 3600, token_type: 'bearer' } } : { status: 400, json: { error: 'invalid_grant' } }
    },
    'GET /api/items': (req) => {
      if (req.headers.authorization !== 'Bearer at-1') return { status: 401, json: { message: 'bad token' } }
      const from = Number(req.query.get('cursor') ?? '0')
      const size = Number(req.query.get('page_size') ?? '10')
      const page = ITEMS.slice(from, from + size)
      const more = from + size < ITEMS.length
      return { json: { data: { items: page }, meta: { has_more: more, next_cursor: more ? String(from + size) : null } } }
    },
    // Items updated between two instants, both inclusive (a window of a DatetimeBasedCursor with a step).
    'GET /api/changes': (req) => {
      if (req.headers.authorization !== 'Bearer at-1') return { status: 401, json: { message: 'bad token' } }
      const from = Date.parse(req.query.get('updated_from') ?? '')
      const to = Date.parse(req.query.get('updated_to') ?? '')
      if (Number.isNaN(from) || Number.isNaN(to)) return { status: 400, json: { message: 'updated_from and updated_to are required' } }
      return { json: { data: { items: ITEMS.filter((i) => Date.parse(i.updated) >= from && Date.parse(i.updated) <= to) } } }
    }
  })
  h = await startHarness()
})
t.teardown(async () => { await h.close(); await fake.close() })

function manifest (pageSize = 10): string {
  return `
version: 6.1.0
type: DeclarativeSource
check:
  type: CheckStream
  stream_names: [items]
streams:
  - type: DeclarativeStream
    name: items
    primary_key: id
    retriever:
      type: SimpleRetriever
      requester:
        type: HttpRequester
        url_base: ${fake.url}/api
        path: /items
        authenticator:
          type: OAuthAuthenticator
          token_refresh_endpoint: ${fake.url}/oauth/token
          client_id: "{{ config['client_id'] }}"
          client_secret: "{{ config['client_secret'] }}"
          refresh_token: "{{ config['refresh_token'] }}"
      record_selector:
        type: RecordSelector
        extractor:
          type: DpathExtractor
          field_path: [data, items]
      paginator:
        type: DefaultPaginator
        page_token_option:
          type: RequestOption
          inject_into: request_parameter
          field_name: cursor
        page_size_option:
          type: RequestOption
          inject_into: request_parameter
          field_name: page_size
        pagination_strategy:
          type: CursorPagination
          page_size: ${pageSize}
          cursor_value: "{{ response.meta.next_cursor }}"
          stop_condition: "{{ not response.meta.has_more }}"
spec:
  type: Spec
  connection_specification:
    type: object
    required: [client_id, client_secret, refresh_token]
    properties:
      client_id: { type: string, title: Client ID }
      client_secret: { type: string, title: Client secret, airbyte_secret: true }
      refresh_token: { type: string, title: Refresh token, airbyte_secret: true }
`
}

/** The items stream read through a DatetimeBasedCursor with both bounds and a 7-day step. */
function windowedManifest (): string {
  return manifest()
    .replace('path: /items', 'path: /changes')
    .replace(/      paginator:\n[\s\S]*?stop_condition: .*\n/, '      paginator:\n        type: NoPagination\n')
    .replace('spec:\n', `    incremental_sync:
      type: DatetimeBasedCursor
      cursor_field: updated
      datetime_format: "%Y-%m-%dT%H:%M:%SZ"
      start_datetime: "{{ config['start_date'] }}"
      end_datetime: "2024-03-31T00:00:00Z"
      step: P7D
      cursor_granularity: PT1S
      start_time_option: { type: RequestOption, inject_into: request_parameter, field_name: updated_from }
      end_time_option: { type: RequestOption, inject_into: request_parameter, field_name: updated_to }
spec:
`)
    .replace('      refresh_token: { type: string, title: Refresh token, airbyte_secret: true }\n', '      refresh_token: { type: string, title: Refresh token, airbyte_secret: true }\n      start_date: { type: string, title: Start date, format: date-time }\n')
}

const manifestConfig = { client_id: 'cid', client_secret: CLIENT_SECRET, refresh_token: REFRESH_TOKEN }
const config = (text = manifest()): Record<string, unknown> => ({ manifest: text, manifest_config: manifestConfig })

t.test('validate, schemas and sync run the manifest sent with the config', async (t) => {
  t.same((await post(h, '/v1/sources/CustomRest/validate', { config: config() })).body, { valid: true })
  t.ok(tokenRequests >= 1, 'the refresh token was exchanged')
  const schemas = await post(h, '/v1/sources/CustomRest/schemas', { config: config() })
  t.same(schemas.body.schemas.map((s: { name: string, primary_keys: string[] }) => [s.name, s.primary_keys]), [['items', ['id']]])
  const result = await sync(h, 'CustomRest', { config: config(), schema: 'items' })
  t.same(contractProblems(result.lines), [])
  t.same(records(result.lines).map((r) => r.id), ITEMS.map((i) => i.id))
  const mark = states(result.lines)[0] as { state: string, rows: number }
  const rest = await sync(h, 'CustomRest', { config: config(), schema: 'items', resume_state: mark.state })
  t.same(records(rest.lines).map((r) => r.id), ITEMS.slice(mark.rows).map((i) => i.id), 'resumes exactly with the same manifest')
  for (const line of [...result.lines, ...rest.lines]) {
    t.notMatch(JSON.stringify(line), CLIENT_SECRET)
    t.notMatch(JSON.stringify(line), REFRESH_TOKEN)
  }
})

t.test('a resume token from another version of the manifest is refused', async (t) => {
  const result = await sync(h, 'CustomRest', { config: config(), schema: 'items' })
  const token = states(result.lines)[0]?.state as string
  const other = await sync(h, 'CustomRest', { config: config(manifest(5)), schema: 'items', resume_state: token })
  t.equal(other.status, 400)
  t.match(JSON.stringify(other.body), '/resume_state')
  t.match(JSON.stringify(other.body), 'another version of the source definition')
})

t.test('a bad manifest is a 400 naming /config/manifest, with the pointer of each problem', async (t) => {
  const broken = manifest().replace('type: CursorPagination', 'type: Foo')
  const answer = await post(h, '/v1/sources/CustomRest/validate', { config: config(broken) })
  t.equal(answer.status, 400)
  const text = JSON.stringify(answer.body)
  t.match(text, '/config/manifest')
  t.match(text, '/streams/0/retriever/paginator/pagination_strategy/type: unsupported \\"Foo\\"')
  t.notMatch(text, CLIENT_SECRET)
  const missing = await post(h, '/v1/sources/CustomRest/validate', { config: { manifest: manifest(), manifest_config: { client_id: 'x' } } })
  t.equal(missing.status, 400)
  t.match(JSON.stringify(missing.body), '/config/manifest_config/client_secret')
})

t.test('DatetimeBasedCursor with step and cursor_granularity reads consecutive windows, each item once, resumable', async (t) => {
  const windowed = { manifest: windowedManifest(), manifest_config: { ...manifestConfig, start_date: '2024-03-01T00:00:00Z' } }
  const before = fake.hits('/api/changes').length
  const result = await sync(h, 'CustomRest', { config: windowed, schema: 'items', sync_type: 'incremental' })
  t.equal(result.status, 200)
  t.same(contractProblems(result.lines), [])
  t.same(records(result.lines).map((r) => r.id), ITEMS.map((i) => i.id))
  t.same(fake.hits('/api/changes').slice(before).map((r) => `${r.query.get('updated_from') ?? ''}..${r.query.get('updated_to') ?? ''}`), [
    '2024-03-01T00:00:00Z..2024-03-07T23:59:59Z', '2024-03-08T00:00:00Z..2024-03-14T23:59:59Z', '2024-03-15T00:00:00Z..2024-03-21T23:59:59Z',
    '2024-03-22T00:00:00Z..2024-03-28T23:59:59Z', '2024-03-29T00:00:00Z..2024-03-31T00:00:00Z'
  ], 'windows of 7 days from start_datetime, a second apart, the last cut at end_datetime')
  const marks = states(result.lines)
  t.equal(marks.length, 4, 'a state after every window but the last')
  for (const mark of marks) {
    const rest = await sync(h, 'CustomRest', { config: windowed, schema: 'items', sync_type: 'incremental', resume_state: mark.state })
    t.same(records(rest.lines).map((r) => r.id), ITEMS.slice(mark.rows).map((i) => i.id), `resume after ${mark.rows} rows`)
  }
  const since = await sync(h, 'CustomRest', { config: windowed, schema: 'items', sync_type: 'incremental', last_value: '2024-03-20T00:00:00Z' })
  t.same(records(since.lines).map((r) => r.id), ITEMS.filter((i) => i.updated >= '2024-03-20T00:00:00Z').map((i) => i.id), 'the watermark starts the windows')
  t.equal(fake.hits('/api/changes').at(-2)?.query.get('updated_from'), '2024-03-20T00:00:00Z')
})

t.test('step without cursor_granularity is a 400 naming the field', async (t) => {
  const text = windowedManifest().replace('      cursor_granularity: PT1S\n', '')
  const answer = await post(h, '/v1/sources/CustomRest/validate', { config: { manifest: text, manifest_config: { ...manifestConfig, start_date: '2024-03-01T00:00:00Z' } } })
  t.equal(answer.status, 400)
  t.match(JSON.stringify(answer.body), '/streams/0/incremental_sync/step: step and cursor_granularity are set together')
})

t.test('without a config there are no tables to list', async (t) => {
  const response = await fetch(`${h.url}/v1/sources/CustomRest/schemas`)
  t.equal(response.status, 409)
})

t.test('the secrets of a manifest config never reach a log line', async (t) => {
  const logged = await startHarness({ captureLogs: true })
  t.teardown(async () => { await logged.close() })
  await post(logged, '/v1/sources/CustomRest/validate', { config: config() })
  await sync(logged, 'CustomRest', { config: config(), schema: 'items' })
  await post(logged, '/v1/sources/CustomRest/validate', { config: { manifest: manifest(), manifest_config: { ...manifestConfig, refresh_token: 'wrong' } } })
  t.ok(logged.logs.length > 0)
  for (const line of logged.logs) {
    t.notMatch(line, CLIENT_SECRET)
    t.notMatch(line, REFRESH_TOKEN)
  }
})
