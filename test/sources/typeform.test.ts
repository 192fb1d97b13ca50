/**
 * Typeform transport and tables against the Typeform fake on loopback: page numbers with a known page
 * count (fetched concurrently inside the budget), the responses token cursor with since/until on the
 * first page only and the short-page stop, the descending stop per form, incremental vs full refresh,
 * primary keys, status mapping, fan-out rows carrying form_id, the 2-requests-a-second budget with zero
 * 429s, every declared table synced end to end through POST /v1/sources/Typeform/sync, and resume from
 * every state line of a multi-page fan-out.
 */
import t from 'tap'
import { Compile } from 'typebox/compile'
import { buildApp, type App } from '../../src/app.js'
import { createEngineServices, type EngineServices } from '../../src/engine/services.js'
import type { Row } from '../../src/engine/types.js'
import { SyncLineSchema } from '../../src/sync/lines.js'
import { TYPEFORM_ENDPOINTS } from '../../src/sources/typeform/settings.js'
import { typeformSource } from '../../src/sources/typeform/source.js'
import type { AnySource } from '../../src/sources/types.js'
import { FAKE_TYPEFORM_TOKEN, READ_SCOPES, startFakeTypeform, type FakeAccount, type FakeTypeform } from '../fakes/typeform.js'
import { matchesShape, pullTable, syncTable, textPagesAgree, type PullInputs, type SyncResult } from '../helpers/source-sync.js'
import { SCALED_WINDOW_MS, scaledTypeformSource } from './typeform-scaled.js'

const checkLine = Compile(SyncLineSchema)
const MANY_FORMS = 'tfp_many_forms_00000000000000000000000000000'
const NO_RESPONSES_SCOPE = 'tfp_no_responses_scope_0000000000000000000'
const source = scaledTypeformSource()

let fake: FakeTypeform
let services: EngineServices
let app: App

t.before(async () => {
  fake = await startFakeTypeform({
    windowMs: SCALED_WINDOW_MS,
    accounts: [
      // One form with three pages of completed responses, smaller ones, one without responses.
      { token: FAKE_TYPEFORM_TOKEN, forms: [{ completed: 2300, partial: 40, started: 30 }, { completed: 7, partial: 2, started: 2 }, { partial: 1, started: 1 }, {}], workspaces: 3, themes: 4 },
      { token: MANY_FORMS, forms: 450, workspaces: 0, themes: 0 },
      { token: NO_RESPONSES_SCOPE, scopes: READ_SCOPES.filter((s) => s !== 'responses:read') }
    ]
  })
  services = createEngineServices({ allowPrivateUpstreams: true, retry: { baseDelayMs: 5, maxBackoffMs: 20 } })
  app = await buildApp({ settings: { LOG_LEVEL: 'silent', UPSTREAM_BASE_URLS: { Typeform: fake.url }, ALLOW_PRIVATE_UPSTREAMS: true }, services, sources: [source] })
})

t.teardown(async () => {
  await app.close()
  await services.close()
  await fake.close()
})

const main = (): FakeAccount => fake.account(FAKE_TYPEFORM_TOKEN)

/** A config as the route hands it to the source (selects at their defaults unless given). */
function config (overrides: Record<string, unknown> = {}) {
  return { auth_token: FAKE_TYPEFORM_TOKEN, api_base_url: 'https://api.typeform.com', response_types: 'completed', ...overrides }
}

/** Rows (and engine events) of one table from the pipeline handoff of `from` (the scaled source unless told). */
async function pull (target: FakeTypeform, inputs: PullInputs, cfg: Record<string, unknown> = config(), from: AnySource = source, engine: EngineServices = services) {
  return await pullTable(from, cfg, inputs, engine, target.url)
}

async function sync (body: Record<string, unknown>): Promise<SyncResult> {
  return await syncTable(app, 'Typeform', { config: config(), ...body })
}

function since (target: FakeTypeform, mark: number) {
  return target.requests.slice(mark)
}

type Stamped = { submittedMs: number | null, landedMs: number, item: Record<string, unknown> }
/** Typeform's order as the fake implements it: newest first, ties by token (descending). */
const byDescending = (key: (r: Stamped) => number) =>
  (a: Stamped, b: Stamped) => key(b) - key(a) || String(b.item.token).localeCompare(String(a.item.token))

t.test('forms: page numbers up to page_count, 200 a page, sorted by creation; the known pages are fetched without a 429', async (t) => {
  const mark = fake.requests.length
  const limitedBefore = fake.rateLimited
  const { rows } = await pull(fake, { schema: 'forms' }, config({ auth_token: MANY_FORMS }))
  const seen = since(fake, mark)
  t.same(seen.map((r) => r.query.page).sort(), ['1', '2', '3'], 'page_count 3: exactly three pages')
  t.ok(seen.every((r) => r.path === '/forms' && r.query.page_size === '200' && r.query.sort_by === 'created_at' && r.query.order_by === 'asc'))
  const expected = fake.account(MANY_FORMS).forms.map((f) => f.id)
  t.same(rows.map((r) => r.id), expected, 'every form once, oldest first')
  t.equal(fake.rateLimited, limitedBefore, 'pages 2 and 3 went out together, paced by the limiter: no 429')
})

t.test('responses: before=<token of the last row>, 1000 a page, the short page ends the form; rows carry form_id', async (t) => {
  const form = main().forms[0]
  if (form === undefined) throw new Error('no form')
  const mark = fake.requests.length
  const { rows } = await pull(fake, { schema: 'responses' })
  const walk = since(fake, mark).filter((r) => r.path === `/forms/${form.id}/responses`)
  const completed = form.responses.filter((r) => r.type === 'completed').sort(byDescending((r) => r.submittedMs ?? 0))
  const tokens = completed.map((r) => String(r.item.token))
  t.same(walk.map((r) => r.query), [
    { response_type: 'completed', page_size: '1000' },
    { response_type: 'completed', page_size: '1000', before: tokens[999] },
    { response_type: 'completed', page_size: '1000', before: tokens[1999] }
  ], '2,300 responses: three requests, no empty fourth')
  const mine = rows.filter((r) => r.form_id === form.id)
  t.same(mine.map((r) => r.token), tokens, 'newest submission first, every response once')
  t.ok(rows.every((r) => typeof r.form_id === 'string' && !('_forms_id' in r)), 'form_id on every row, the parent key renamed')
  const small = main().forms[3]
  t.equal(since(fake, mark).filter((r) => r.path === `/forms/${String(small?.id)}/responses`).length, 1, 'a form without responses costs one request')
})

t.test('incremental: since only on the first page of each form; each form stops on its own once a page is older than the watermark', async (t) => {
  const busy = await startFakeTypeform({ windowMs: SCALED_WINDOW_MS, accounts: [{ token: FAKE_TYPEFORM_TOKEN, forms: [{ completed: 4500 }, { completed: 30, maxGapMinutes: 4 * 24 * 60 }] }] })
  t.teardown(() => busy.close())
  const [big, little] = busy.account().forms
  if (big === undefined || little === undefined) throw new Error('no forms')
  const bigDesc = [...big.responses].sort(byDescending((r) => r.submittedMs ?? 0))
  // 1,200 responses of the big form are newer than the watermark, and some of the little form's (spread over months).
  const watermarkMs = bigDesc[1199]?.submittedMs ?? 0
  const littleNewer = little.responses.filter((r) => (r.submittedMs ?? 0) >= watermarkMs).length
  const watermark = new Date(watermarkMs).toISOString()

  let mark = busy.requests.length
  const full = await pull(busy, { schema: 'responses' })
  const fullRequests = since(busy, mark).filter((r) => r.path.endsWith('/responses')).length
  t.equal(full.rows.length, 4530)
  t.equal(fullRequests, 5 + 1, 'full refresh: five pages of the big form, one of the little one')

  mark = busy.requests.length
  const incremental = await pull(busy, { schema: 'responses', syncType: 'incremental', incrementalField: 'submitted_at', lastValue: watermark })
  const bigWalk = since(busy, mark).filter((r) => r.path === `/forms/${big.id}/responses`)
  t.same(bigWalk.map((r) => Object.keys(r.query).sort()), [
    ['page_size', 'response_type', 'since'],
    ['before', 'page_size', 'response_type'],
    ['before', 'page_size', 'response_type']
  ], 'since on the first page only; the third page is wholly older than the watermark and ends the walk (two pages unread)')
  t.equal(bigWalk[0]?.query.since, String(Math.floor(watermarkMs / 1000)))
  t.ok(since(busy, mark).every((r) => r.status === 200), 'Typeform never saw since with a token')
  const littleWalk = since(busy, mark).filter((r) => r.path === `/forms/${little.id}/responses`)
  t.equal(littleWalk.length, 1, 'the little form: one filtered, short page')
  const got = new Set(incremental.rows.map((r) => `${String(r.form_id)}/${String(r.token)}`))
  const newer = [big, little].flatMap((form) => form.responses.filter((r) => (r.submittedMs ?? 0) >= watermarkMs).map((r) => `${form.id}/${String(r.item.token)}`))
  t.equal(newer.length, 1200 + littleNewer)
  t.ok(littleNewer > 0, 'the little form has responses on both sides of the watermark')
  t.ok(newer.every((key) => got.has(key)), 'every response at or after the watermark was read, in both forms')
  t.equal(incremental.response.sortMode, 'desc')
})

t.test('response types: completed only by default; all three with landed_at when chosen', async (t) => {
  const form = main().forms[1]
  if (form === undefined) throw new Error('no form')
  const completed = await pull(fake, { schema: 'responses' })
  t.equal(completed.rows.filter((r) => r.form_id === form.id).length, 7)
  t.ok(completed.rows.every((r) => typeof r.submitted_at === 'string'))
  const mark = fake.requests.length
  const all = await pull(fake, { schema: 'responses', syncType: 'incremental', incrementalField: 'landed_at' }, config({ response_types: 'all' }))
  t.ok(since(fake, mark).filter((r) => r.path.endsWith('/responses')).every((r) => r.query.response_type === 'completed,partial,started'))
  const mine = all.rows.filter((r) => r.form_id === form.id)
  t.equal(mine.length, 11)
  t.same(mine.map((r) => r.token), [...form.responses].sort(byDescending((r) => r.landedMs)).map((r) => r.item.token), 'newest landing first')
  t.ok(mine.some((r) => r.submitted_at === null), 'unsubmitted responses keep a null submitted_at')
  t.ok(all.rows.every((r) => typeof r.landed_at === 'string' && 'submitted_at' in r), 'every row has both timestamps')
  t.same(all.response.partitionKeys, ['landed_at'])
})

t.test('primary keys are present and unique for every table', async (t) => {
  for (const endpoint of TYPEFORM_ENDPOINTS) {
    const { rows } = await pull(fake, { schema: endpoint.name })
    t.ok(rows.length > 0, `${endpoint.name}: rows`)
    t.notOk(rows.some((r) => endpoint.primaryKeys.some((k) => r[k] === undefined || r[k] === null)), `${endpoint.name}: ${endpoint.primaryKeys.join('+')} always set`)
    const keys = rows.map((r) => JSON.stringify(endpoint.primaryKeys.map((k) => r[k])))
    t.equal(new Set(keys).size, rows.length, `${endpoint.name}: ${endpoint.primaryKeys.join('+')} unique`)
  }
})

t.test('status mapping through the sync route', async (t) => {
  const formId = main().forms[1]?.id
  const cases: Array<{ name: string, body: Record<string, unknown>, arrange?: () => void, expect: (r: SyncResult, requests: number) => void }> = [
    {
      name: '401 rejected token: one request, non-retryable error line in friendly words',
      body: { schema: 'forms', config: config({ auth_token: 'tfp_wrong_0000000000000000000000000000000' }) },
      expect: (r, requests) => {
        t.equal(requests, 1)
        t.match(r.terminal, { type: 'error', code: 'UPSTREAM_AUTH_FAILED', retryable: false, message: /rejected the personal access token/ })
      }
    },
    {
      name: '403 missing responses:read: non-retryable, names the scopes',
      body: { schema: 'responses', config: config({ auth_token: NO_RESPONSES_SCOPE }) },
      expect: (r) => t.match(r.terminal, { type: 'error', code: 'UPSTREAM_AUTH_FAILED', retryable: false, message: /responses:read/ })
    },
    {
      name: '404 for a form deleted during the sync: its responses are skipped, the sync ends normally',
      body: { schema: 'responses' },
      arrange: () => {
        // The form list comes first; the next request is the first form's responses.
        fake.failNext(200, { total_items: 1, page_count: 1, items: [{ ...main().forms[1]?.item }] })
        fake.failNext(404, { code: 'FORM_NOT_FOUND', description: `Form ${String(formId)} was not found` })
      },
      expect: (r) => {
        t.match(r.terminal, { type: 'end', rows: 0 })
        t.ok(r.lines.some((l) => l.type === 'log' && l.event === 'response_ignored'))
      }
    },
    {
      name: '500 once: retried, then every row',
      body: { schema: 'workspaces' },
      arrange: () => fake.failNext(500),
      expect: (r, requests) => {
        t.equal(requests, 2)
        t.equal(r.records.length, main().workspaces.length)
        t.ok(r.lines.some((l) => l.type === 'log' && l.event === 'retry'))
      }
    },
    {
      name: '429 without a wait hint: backed off through the limiter, then every row',
      body: { schema: 'themes' },
      arrange: () => fake.failNext(429, { code: 'RATE_LIMIT_EXCEEDED', description: 'Too many requests' }),
      expect: (r, requests) => {
        t.equal(requests, 2)
        t.equal(r.records.length, main().themes.length)
        t.ok(r.lines.some((l) => l.type === 'log' && l.event === 'rate_limit_wait'))
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
      c.expect(result, since(fake, mark).length)
    })
  }
  const mismatch = await sync({ schema: 'responses', config: config({ response_types: 'all' }), sync_type: 'incremental', incremental_field: 'submitted_at' })
  t.equal(mismatch.status, 400, 'submitted_at with unfinished responses is refused before streaming')
  t.match(mismatch.lines[0], { errors: [{ path: '/incremental_field' }] })
})

t.test('the real budget: a multi-page sync at 2 requests a second gets no 429 (and without a budget it would)', async (t) => {
  const control = 'tfp_control_account_000000000000000000000'
  const paced = await startFakeTypeform({ accounts: [{ token: FAKE_TYPEFORM_TOKEN, forms: [{ completed: 2100 }, { completed: 5 }], workspaces: 0, themes: 0 }, { token: control, forms: 0 }] })
  const engine = createEngineServices({ allowPrivateUpstreams: true, retry: { baseDelayMs: 5, maxBackoffMs: 20 } })
  t.teardown(async () => { await engine.close(); await paced.close() })
  const { rows } = await pull(paced, { schema: 'responses' }, config(), typeformSource, engine)
  t.equal(rows.length, 2105)
  t.equal(paced.requests.length, 1 + 3 + 1, 'forms, three pages of the first form, one of the second')
  t.equal(paced.rateLimited, 0, 'no 429: the limiter paced the sync')
  const worst = Math.max(...paced.requests.map((r) => paced.requests.filter((o) => o.at > r.at - 1000 && o.at <= r.at).length))
  t.ok(worst <= 2, `at most 2 requests arrived in any second (${worst})`)

  // Control: three requests at once, unpaced (another account), and the fake answers the third with a 429 and no wait hint.
  const answers = await Promise.all([1, 2, 3].map(async () => {
    const response = await fetch(`${paced.url}/workspaces`, { headers: { authorization: `Bearer ${control}` } })
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() as unknown }
  }))
  t.same(answers.map((a) => a.status).sort(), [200, 200, 429], 'the fake enforces 2 a second')
  t.match(answers.find((a) => a.status === 429), { retryAfter: null, body: { code: String, description: String } })
  t.equal(paced.rateLimited, 1, 'and counts its 429s')
})

/** What a record of each table must look like (besides its primary keys and partition key). */
const SHAPES: Record<string, Record<string, unknown>> = {
  forms: { id: String, title: String, type: String, created_at: String, last_updated_at: String, settings: { is_public: Boolean }, _links: { display: String }, self: { href: String } },
  responses: { form_id: String, token: String, response_id: String, landing_id: String, landed_at: String, submitted_at: String, metadata: { user_agent: String, platform: String }, calculated: { score: Number }, answers: Array },
  workspaces: { id: String, name: String, account_id: String, shared: Boolean, forms: { count: Number, href: String } },
  themes: { id: String, name: String, visibility: String, font: String, colors: { answer: String, background: String }, fields: { alignment: String } }
}

function expectedCount (table: string): number {
  const account = main()
  switch (table) {
    case 'forms': return account.forms.length
    case 'responses': return account.forms.reduce((n, f) => n + f.responses.filter((r) => r.type === 'completed').length, 0)
    case 'workspaces': return account.workspaces.length
    case 'themes': return account.themes.length
    default: throw new Error(`no expectation for ${table}`)
  }
}

t.test('every declared table syncs end to end through the sync route with rows of the declared shape', async (t) => {
  t.same(Object.keys(SHAPES).sort(), TYPEFORM_ENDPOINTS.map((e) => e.name).sort(), 'a shape for every declared table')
  for (const endpoint of TYPEFORM_ENDPOINTS) {
    await t.test(endpoint.name, async (t) => {
      const mark = fake.rateLimited
      const result = await sync({ schema: endpoint.name })
      t.equal(result.status, 200)
      t.ok(result.lines.every((l) => checkLine.Check(l)), 'every line matches the line schema')
      const sortMode = 'sortMode' in endpoint ? endpoint.sortMode : 'asc'
      t.match(result.lines[0], { type: 'schema', name: endpoint.name, primary_keys: [...endpoint.primaryKeys], table_format: 'delta', sort_mode: sortMode })
      t.match(result.terminal, { type: 'end', rows: expectedCount(endpoint.name) })
      t.equal(result.records.length, expectedCount(endpoint.name))
      const misshapen = result.records.filter((record) => !matchesShape(record, SHAPES[endpoint.name] ?? {}))
      t.same(misshapen.slice(0, 3), [], 'every record has the declared shape')
      const key = 'partitionKey' in endpoint ? endpoint.partitionKey : undefined
      if (key !== undefined) t.ok(result.records.every((record) => !Number.isNaN(Date.parse(String(record[key])))), `partition key ${key} is always a timestamp`)
      t.equal(fake.rateLimited, mark, 'no 429')
    })
  }
  await t.test('responses with partial and started responses', async (t) => {
    const result = await sync({ schema: 'responses', config: config({ response_types: 'all' }) })
    const total = main().forms.reduce((n, f) => n + f.responses.length, 0)
    t.match(result.lines[0], { type: 'schema', partition_keys: ['landed_at'], sort_mode: 'desc' })
    t.match(result.terminal, { type: 'end', rows: total })
    t.ok(result.records.every((r) => !Number.isNaN(Date.parse(String(r.landed_at)))), 'partition key landed_at is always a timestamp')
    t.ok(result.records.some((r) => r.submitted_at === null && !('answers' in r)), 'started responses: no submission, no answers')
  })
})

t.test('resuming from any state line of the responses sync yields exactly the rest of the rows', async (t) => {
  const full = await sync({ schema: 'responses' })
  const keys = full.records.map((r) => `${String(r.form_id)}/${String(r.token)}`)
  t.equal(new Set(keys).size, keys.length)
  let seenRows = 0
  const states: Array<{ state: string, rows: number }> = []
  for (const line of full.lines) {
    if (line.type === 'record') seenRows++
    if (line.type === 'state') states.push({ state: String(line.state), rows: seenRows })
  }
  t.ok(states.length >= 4, `several pages, across forms (${states.length} states)`)
  for (const { state, rows } of states) {
    const rest = await sync({ schema: 'responses', resume_state: state })
    t.same(rest.records.map((r) => `${String(r.form_id)}/${String(r.token)}`), keys.slice(rows), `resume after ${rows} rows`)
  }
})

t.test('incremental sync through the route: the watermark is the max submitted_at; the next run sends it as since', async (t) => {
  const first = await sync({ schema: 'responses', sync_type: 'incremental', incremental_field: 'submitted_at' })
  const maxSubmitted = main().forms.flatMap((f) => f.responses).filter((r) => r.type === 'completed').map((r) => String(r.item.submitted_at)).sort().at(-1)
  t.match(first.terminal, { type: 'end', last_value: maxSubmitted })
  const mark = fake.requests.length
  const second = await sync({ schema: 'responses', sync_type: 'incremental', incremental_field: 'submitted_at', last_value: first.terminal?.last_value })
  const firstPages = since(fake, mark).filter((r) => r.path.endsWith('/responses') && r.query.before === undefined)
  t.equal(firstPages.length, main().forms.length)
  t.ok(firstPages.every((r) => r.query.since === String(Date.parse(String(maxSubmitted)) / 1000)))
  t.ok(second.records.length >= 1 && second.records.every((r) => String(r.submitted_at) >= String(maxSubmitted)), 'only the newest rows (since is inclusive)')
  t.equal(second.records.length, 1)
})

t.test('text pages: every table writes the same record lines from the upstream text where it can', async (t) => {
  const counts = await textPagesAgree(t, typeformSource, config(), services, fake.url)
  t.ok(Object.keys(counts).length > 0, `text pages by table (${JSON.stringify(counts)})`)
})
