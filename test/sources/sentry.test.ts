/**
 * Sentry transport and tables against the Sentry fake on loopback: cursor Link pagination from real
 * headers (results="false" stops; a results="true" page followed by an empty one ends cleanly), the issue
 * window for incremental vs full refresh, primary keys, fan-out row shape with parent identifiers, the page
 * cap per issue, status mapping, 429s without Retry-After that wait for the reset header, the concurrency
 * budget, every declared table synced end to end through POST /v1/sources/Sentry/sync, and resume from
 * every state line of a multi-page fan-out.
 */
import t from 'tap'
import pino from 'pino'
import { Compile } from 'typebox/compile'
import { buildApp, type App } from '../../src/app.js'
import type { EngineEvent, Row } from '../../src/engine/types.js'
import { createEngineServices, type EngineServices } from '../../src/engine/services.js'
import { SyncLineSchema } from '../../src/sync/lines.js'
import { ISSUE_EVENTS_PAGE_CAP, SENTRY_ENDPOINTS } from '../../src/sources/sentry/settings.js'
import { SENTRY_BUDGET, sentrySource } from '../../src/sources/sentry/source.js'
import type { PipelineInputs, SourceContext } from '../../src/sources/types.js'
import { startFakeSentry, type FakeOrg, type FakeSentry } from '../fakes/sentry.js'
import { matchesShape } from '../helpers/shapes.js'
import { textPagesAgree } from '../helpers/source-sync.js'

const checkLine = Compile(SyncLineSchema)
const DAY = 86_400_000

let fake: FakeSentry
let services: EngineServices
let app: App

t.before(async () => {
  fake = await startFakeSentry()
  services = createEngineServices({ allowPrivateUpstreams: true, retry: { baseDelayMs: 5, maxBackoffMs: 20 } })
  app = await buildApp({ settings: { LOG_LEVEL: 'silent', UPSTREAM_BASE_URLS: { Sentry: fake.url }, ALLOW_PRIVATE_UPSTREAMS: true }, services })
})

t.teardown(async () => {
  await app.close()
  await services.close()
  await fake.close()
})

function config (token = fake.token, organization = 'acme') {
  return { auth_token: token, organization_slug: organization }
}

/** Rows (and engine events) of one table, straight from the source's pipeline handoff. */
async function pull (target: FakeSentry, inputs: Omit<PipelineInputs, 'syncType'> & Partial<Pick<PipelineInputs, 'syncType'>>) {
  const events: EngineEvent[] = []
  const ctx: SourceContext = { services, baseUrlOverride: target.url, log: pino({ level: 'silent' }), signal: new AbortController().signal, onEvent: (e) => events.push(e) }
  const response = await sentrySource.sourceForPipeline(config(target.token), { syncType: 'full_refresh', ...inputs }, ctx)
  const rows: Row[] = []
  for await (const page of response.pages) rows.push(...page.rows)
  return { rows, events, response }
}

interface SyncResult { status: number, lines: Array<Record<string, unknown>>, records: Row[], terminal: Record<string, unknown> | undefined }

async function sync (body: Record<string, unknown>): Promise<SyncResult> {
  const response = await app.inject({ method: 'POST', url: '/v1/sources/Sentry/sync', payload: { config: config(), ...body } })
  if (response.statusCode !== 200) return { status: response.statusCode, lines: [response.json()], records: [], terminal: undefined }
  const lines = response.body.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>)
  return { status: 200, lines, records: lines.filter((l) => l.type === 'record').map((l) => l.data as Row), terminal: lines.at(-1) }
}

function since (target: FakeSentry, mark: number) {
  return target.requests.slice(mark)
}

t.test('cursor pagination: next links followed verbatim, results="true" then an empty page ends cleanly', async (t) => {
  const mark = fake.requests.length
  const { rows } = await pull(fake, { schema: 'members' })
  const seen = since(fake, mark)
  t.same(seen.map((r) => [r.path, r.query.cursor, r.query.per_page]), [
    ['/api/0/organizations/acme/members/', undefined, '100'],
    ['/api/0/organizations/acme/members/', '0:100:0', '100'],
    ['/api/0/organizations/acme/members/', '0:200:0', '100']
  ], 'two full pages, then the empty page the second one\'s results="true" promised')
  t.equal(rows.length, fake.org().members.length)
  t.equal(new Set(rows.map((r) => r.id)).size, rows.length, 'no row twice')
  t.ok(rows.some((r) => r.user === null && r.pending === true), 'pending invitations carry user: null')
})

t.test('the fake answers Link headers as documented: both parts always, results and cursor attributes', async (t) => {
  const headers = { authorization: `Bearer ${fake.token}` }
  const link = async (path: string): Promise<string> => {
    const response = await fetch(fake.url + path, { headers })
    await response.arrayBuffer()
    return response.headers.get('link') ?? ''
  }
  t.match(await link('/api/0/organizations/acme/projects/'),
    /^<http:\/\/127\.0\.0\.1:\d+\/api\/0\/organizations\/acme\/projects\/\?&cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1", <[^>]+\?&cursor=0:100:0>; rel="next"; results="false"; cursor="0:100:0"$/)
  t.match(await link('/api/0/organizations/acme/issues/?query=&limit=50&cursor=0:50:0'), /rel="previous"; results="true".*[?&]query=&limit=50&cursor=0:100:0>; rel="next"; results="true"/)
  const tooBig = await fetch(`${fake.url}/api/0/organizations/acme/projects/?per_page=500`, { headers })
  t.equal(tooBig.status, 400)
  t.match(await tooBig.json(), { detail: /Cannot exceed 100/ })
})

t.test('results="false" on the first page: one request; projects fan out to client keys without secrets', async (t) => {
  let mark = fake.requests.length
  const projects = await pull(fake, { schema: 'projects' })
  t.equal(since(fake, mark).length, 1)
  t.equal(projects.rows.length, fake.org().projects.length)
  mark = fake.requests.length
  const keys = await pull(fake, { schema: 'project_client_keys' })
  t.same(since(fake, mark).map((r) => r.path), [
    '/api/0/organizations/acme/projects/',
    '/api/0/projects/acme/web/keys/',
    '/api/0/projects/acme/api/keys/',
    '/api/0/projects/acme/empty/keys/'
  ])
  t.equal(keys.rows.length, [...fake.org().keysByProject.values()].reduce((n, list) => n + list.length, 0))
  for (const row of keys.rows) {
    t.equal(row.secret, null)
    t.match(row.dsn, { secret: null, public: /^https:\/\/[0-9a-f]{32}@/ })
    t.equal(row.project_id, String(row.projectId), 'project_id from the parent project')
  }
  t.notOk(JSON.stringify(keys.rows).includes(String(fake.org().keysByProject.get('web')?.[0]?.secret)), 'no legacy secret anywhere in the rows')
})

t.test('issues: query= brings every status, sort=date; full refresh sends no window, incremental sends start and end', async (t) => {
  const org = fake.org()
  let mark = fake.requests.length
  const full = await pull(fake, { schema: 'issues' })
  const fullFirst = since(fake, mark)[0]
  t.same(fullFirst?.query, { query: '', sort: 'date', limit: '100' })
  t.equal(full.rows.length, org.issues.length)
  t.same(new Set(full.rows.map((r) => r.status)), new Set(['unresolved', 'resolved', 'ignored']), 'resolved and ignored issues come too')
  const lastSeen = full.rows.map((r) => Date.parse(String(r.lastSeen)))
  t.same(lastSeen, [...lastSeen].sort((a, b) => b - a), 'most recently seen first')

  const watermark = new Date(org.anchor - 20 * DAY).toISOString()
  mark = fake.requests.length
  const incremental = await pull(fake, { schema: 'issues', syncType: 'incremental', incrementalField: 'lastSeen', lastValue: watermark })
  const seen = since(fake, mark)
  t.equal(seen[0]?.query.start, watermark.replace(/\.\d{3}Z$/, 'Z'))
  t.ok(Date.parse(String(seen[0]?.query.end)) > Date.parse(String(seen[0]?.query.start)), 'end after start')
  t.ok(seen.every((r) => r.status === 200), 'Sentry accepted the window')
  const expected = org.issues.filter((i) => Date.parse(String(i.lastSeen)) >= Date.parse(watermark)).map((i) => i.id).sort()
  t.same(incremental.rows.map((r) => r.id).sort(), expected, 'exactly the issues seen since the watermark')
  t.ok(expected.length > 0 && expected.length < org.issues.length)
})

t.test('incremental through the route: the watermark is the max lastSeen; the next run starts its window there', async (t) => {
  const first = await sync({ schema: 'issues', sync_type: 'incremental', incremental_field: 'lastSeen' })
  const maxSeen = fake.org().issues.map((i) => String(i.lastSeen)).sort().at(-1)
  t.match(first.terminal, { type: 'end', rows: fake.org().issues.length, last_value: maxSeen })
  const mark = fake.requests.length
  const second = await sync({ schema: 'issues', sync_type: 'incremental', incremental_field: 'lastSeen', last_value: first.terminal?.last_value })
  const [request] = since(fake, mark)
  t.equal(request?.query.start, String(maxSeen).replace(/\.\d{3}Z$/, 'Z'))
  t.ok(Date.parse(String(request?.query.end)) > Date.parse(String(request?.query.start)))
  t.match(second.terminal, { type: 'end' })
  t.ok(second.records.length >= 1 && second.records.every((r) => String(r.lastSeen) >= String(maxSeen).slice(0, 19)), 'only the newest issues (start is inclusive)')
})

t.test('primary keys are present and unique for every table', async (t) => {
  for (const endpoint of SENTRY_ENDPOINTS) {
    const { rows } = await pull(fake, { schema: endpoint.name })
    t.ok(rows.length > 0, `${endpoint.name}: rows`)
    const keys = rows.map((r) => JSON.stringify(endpoint.primaryKeys.map((k) => r[k])))
    t.notOk(rows.some((r) => endpoint.primaryKeys.some((k) => r[k] === undefined || r[k] === null)), `${endpoint.name}: ${endpoint.primaryKeys.join('+')} always set`)
    t.equal(new Set(keys).size, rows.length, `${endpoint.name}: ${endpoint.primaryKeys.join('+')} unique`)
  }
})

t.test('fan-out rows carry their parent identifiers, renamed', async (t) => {
  const org = fake.org()
  const events = await pull(fake, { schema: 'project_events' })
  const expected = org.projects.flatMap((p) => (org.eventsByProject.get(String(p.slug)) ?? []).map((e) => `${String(p.id)}/${String(p.slug)}/${String(e.id)}`))
  t.same(events.rows.map((r) => `${String(r.project_id)}/${String(r.project_slug)}/${String(r.id)}`), expected, 'every event, project by project, newest first')
  t.notOk(events.rows.some((r) => Object.keys(r).some((k) => k.startsWith('_'))), 'no _<parent>_<field> left')
  t.ok(events.rows.some((r) => r.user === null) && events.rows.some((r) => r.user !== null))

  const issueEvents = await pull(fake, { schema: 'issue_events' })
  const byIssue = new Map(org.issues.map((i) => [String(i.id), i]))
  t.equal(issueEvents.rows.length, [...org.eventsByIssue.values()].reduce((n, list) => n + list.length, 0))
  for (const row of issueEvents.rows.slice(0, 50)) {
    const issue = byIssue.get(String(row.issue_id))
    t.equal(row.groupID, row.issue_id, 'issue_id is the event\'s issue')
    t.equal(row.project_id, (issue?.project as Row | undefined)?.id, 'project_id from the issue\'s project')
  }
})

t.test('hard page cap per issue logs page_cap_reached with the issue', async (t) => {
  const busy = await startFakeSentry({ orgs: [{ issues: 3, hotIssueEvents: 730 }] })
  t.teardown(() => busy.close())
  const { rows, events } = await pull(busy, { schema: 'issue_events' })
  const hot = busy.org().issues[0] as Row
  t.equal(rows.filter((r) => r.issue_id === hot.id).length, ISSUE_EVENTS_PAGE_CAP * 100, 'the busy issue stops at the cap')
  t.equal(rows.length, ISSUE_EVENTS_PAGE_CAP * 100 + 2 + 3, 'the other issues are read whole')
  const caps = events.filter((e) => e.event === 'page_cap_reached')
  t.equal(caps.length, 1)
  t.match(caps[0], { level: 'warn', resource: 'issue_events', pageCap: ISSUE_EVENTS_PAGE_CAP, parent: `issues:${String(hot.id)}` })
})

t.test('status mapping through the sync route', async (t) => {
  const cases: Array<{ name: string, body: Record<string, unknown>, arrange?: () => void, expect: (r: SyncResult, requests: number) => void }> = [
    {
      name: '401 invalid token: one request, non-retryable error line in friendly words',
      body: { schema: 'teams', config: config('sntryu_wrong_000000000000000000') },
      expect: (r, requests) => {
        t.equal(requests, 1)
        t.match(r.terminal, { type: 'error', code: 'UPSTREAM_AUTH_FAILED', retryable: false, message: /rejected the auth token/ })
      }
    },
    {
      name: '403 missing scope: non-retryable, names the scopes',
      body: { schema: 'members' },
      arrange: () => fake.failNext(403, { detail: 'You do not have permission to perform this action.' }),
      expect: (r) => t.match(r.terminal, { type: 'error', code: 'UPSTREAM_AUTH_FAILED', retryable: false, message: /member:read/ })
    },
    {
      name: '404 unknown organisation: non-retryable, says what to check',
      body: { schema: 'releases', config: config(fake.token, 'initech') },
      expect: (r) => t.match(r.terminal, { type: 'error', retryable: false, message: /organization slug/ })
    },
    {
      name: '502 once: retried, then every row',
      body: { schema: 'environments' },
      arrange: () => fake.failNext(502, { detail: 'Bad gateway' }),
      expect: (r, requests) => {
        t.equal(requests, 2)
        t.equal(r.records.length, fake.org().environments.length, 'hidden environments too')
        t.ok(r.lines.some((l) => l.type === 'log' && l.event === 'retry'))
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
})

t.test('a 429 without Retry-After waits until X-Sentry-Rate-Limit-Reset, then retries', async (t) => {
  for (const kind of ['rate', 'concurrent'] as const) {
    if (kind === 'rate') fake.exhaustRateLimit()
    else fake.exceedConcurrency()
    const mark = fake.requests.length
    const { rows, events } = await pull(fake, { schema: 'monitors' })
    const [limited, retried] = since(fake, mark)
    t.equal(limited?.status, 429)
    t.equal(retried?.status, 200)
    t.match(events.find((e) => e.event === 'rate_limit_wait'), { status: 429, reason: 'reset_header' }, `${kind}: waited for the reset header`)
    const resetMs = (Math.floor((limited?.at ?? 0) / 1000) + 1) * 1000
    t.ok((retried?.at ?? 0) >= resetMs - 5, `${kind}: retried at or after the reset second`)
    t.equal(rows.length, fake.org().monitors.length)
  }
})

t.test('budgets: never more requests in flight than the concurrency budget; a spent window pauses until its reset', async (t) => {
  const slow = await startFakeSentry({ orgs: [{ issues: 40 }], delayMs: 15, concurrentLimit: SENTRY_BUDGET.maxConcurrent })
  t.teardown(() => slow.close())
  const { rows } = await pull(slow, { schema: 'issue_events' })
  t.equal(rows.length, [...slow.org().eventsByIssue.values()].reduce((n, list) => n + list.length, 0))
  t.ok(slow.maxConcurrent() <= SENTRY_BUDGET.maxConcurrent, `at most ${SENTRY_BUDGET.maxConcurrent} at once (saw ${slow.maxConcurrent()})`)
  t.notOk(slow.requests.some((r) => r.status === 429), 'the concurrency limit was never hit')

  const tight = await startFakeSentry({ orgs: [{ issues: 20 }], rateLimit: 8 })
  t.teardown(() => tight.close())
  const limited = await pull(tight, { schema: 'issue_events' })
  t.equal(limited.rows.length, [...tight.org().eventsByIssue.values()].reduce((n, list) => n + list.length, 0), 'every row despite the spent windows')
  // Once an answer says Remaining: 0, nothing new starts before the reset: only requests already in flight can be refused.
  const refused = new Map<number, number>()
  for (const r of tight.requests.filter((r) => r.status === 429)) refused.set(Math.floor(r.at / 1000), (refused.get(Math.floor(r.at / 1000)) ?? 0) + 1)
  t.ok([...refused.values()].every((n) => n < SENTRY_BUDGET.maxConcurrent), `refusals per window stay below the concurrency budget (${JSON.stringify([...refused.values()])})`)
})

/** What a record of each table must look like (besides its primary keys and partition key). */
const SHAPES: Record<string, Record<string, unknown>> = {
  projects: { id: String, slug: String, name: String, dateCreated: String, features: Array, avatar: { avatarType: String } },
  teams: { id: String, slug: String, name: String, dateCreated: String, memberCount: Number },
  members: { id: String, email: String, role: String, pending: Boolean, dateCreated: String },
  releases: { id: Number, version: String, dateCreated: String, projects: Array, versionInfo: { package: String } },
  environments: { id: String, name: String },
  monitors: { id: String, slug: String, status: String, config: { schedule_type: String }, project: { slug: String }, dateCreated: String },
  issues: { id: String, shortId: String, title: String, status: String, count: String, firstSeen: String, lastSeen: String, project: { id: String, slug: String }, metadata: { type: String } },
  project_events: { id: String, eventID: String, groupID: String, title: String, dateCreated: String, tags: Array, project_id: String, project_slug: String },
  project_client_keys: { id: String, public: String, projectId: Number, dsn: { public: String }, dateCreated: String, project_id: String, project_slug: String },
  issue_events: { id: String, eventID: String, dateCreated: String, tags: Array, issue_id: String, project_id: String }
}

function expectedCount (org: FakeOrg, table: string): number {
  const sum = (lists: Iterable<unknown[]>): number => [...lists].reduce((n, list) => n + list.length, 0)
  switch (table) {
    case 'projects': return org.projects.length
    case 'teams': return org.teams.length
    case 'members': return org.members.length
    case 'releases': return org.releases.length
    case 'environments': return org.environments.length
    case 'monitors': return org.monitors.length
    case 'issues': return org.issues.length
    case 'project_events': return sum(org.eventsByProject.values())
    case 'project_client_keys': return sum(org.keysByProject.values())
    case 'issue_events': return sum(org.eventsByIssue.values())
    default: throw new Error(`no expectation for ${table}`)
  }
}

t.test('every declared table syncs end to end through the sync route with rows of the declared shape', async (t) => {
  t.same(Object.keys(SHAPES).sort(), SENTRY_ENDPOINTS.map((e) => e.name).sort(), 'a shape for every declared table')
  for (const endpoint of SENTRY_ENDPOINTS) {
    await t.test(endpoint.name, async (t) => {
      const result = await sync({ schema: endpoint.name })
      t.equal(result.status, 200)
      t.ok(result.lines.every((l) => checkLine.Check(l)), 'every line matches the line schema')
      t.match(result.lines[0], { type: 'schema', name: endpoint.name, primary_keys: [...endpoint.primaryKeys], table_format: 'delta' })
      t.match(result.terminal, { type: 'end', rows: expectedCount(fake.org(), endpoint.name) })
      const misshapen = result.records.filter((record) => !matchesShape(record, SHAPES[endpoint.name] ?? {}))
      t.same(misshapen.slice(0, 3), [], 'every record has the declared shape')
      const key = 'partitionKey' in endpoint ? endpoint.partitionKey : undefined
      if (key !== undefined) t.ok(result.records.every((record) => !Number.isNaN(Date.parse(String(record[key])))), `partition key ${key} is always a timestamp`)
    })
  }
})

t.test('resuming from any state line of a fan-out sync yields exactly the rest of the rows', async (t) => {
  const full = await sync({ schema: 'project_events' })
  const ids = full.records.map((r) => `${String(r.project_id)}#${String(r.id)}`)
  t.equal(new Set(ids).size, ids.length)
  let seenRows = 0
  const states: Array<{ state: string, rows: number }> = []
  for (const line of full.lines) {
    if (line.type === 'record') seenRows++
    if (line.type === 'state') states.push({ state: String(line.state), rows: seenRows })
  }
  t.ok(states.length >= 4, `several pages across projects (${states.length} states)`)
  for (const { state, rows } of states) {
    const rest = await sync({ schema: 'project_events', resume_state: state })
    t.same(rest.records.map((r) => `${String(r.project_id)}#${String(r.id)}`), ids.slice(rows), `resume after ${rows} rows`)
  }
})

t.test('text pages: every table writes the same record lines from the upstream text', async (t) => {
  const counts = await textPagesAgree(t, sentrySource, config(), services, fake.url)
  t.ok(Object.values(counts).some((n) => n > 0), `tables with text pages (${JSON.stringify(counts)})`)
})
