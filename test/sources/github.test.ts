/**
 * Github transport and tables against the GitHub fake on loopback: Link-header pagination from real
 * headers, incremental vs full-refresh requests, descending stop at the watermark, primary keys, status
 * mapping, fan-out row shape, both kinds of rate-limit waits, page caps, and every declared table synced
 * end to end through POST /v1/sources/Github/sync.
 */
import t from 'tap'
import pino from 'pino'
import { Compile } from 'typebox/compile'
import { buildApp, type App } from '../../src/app.js'
import type { Endpoint } from '../../src/engine/declarations.js'
import type { EngineEvent, Row } from '../../src/engine/types.js'
import { createEngineServices, type EngineServices } from '../../src/engine/services.js'
import { SyncLineSchema } from '../../src/sync/lines.js'
import { getPath, rawRowsOf } from '../../src/engine/index.js'
import { GITHUB_ENDPOINTS, REVIEW_PAGE_CAP } from '../../src/sources/github/settings.js'
import { githubSource } from '../../src/sources/github/source.js'
import type { PipelineInputs, SourceContext } from '../../src/sources/types.js'
import { startFakeGithub, type FakeGithub, type FakeRepo } from '../fakes/github.js'
import { matchesShape } from '../helpers/shapes.js'

const REPOS = ['octo-org/alpha', 'octo-org/beta', 'octo-org/empty']
const checkLine = Compile(SyncLineSchema)

let fake: FakeGithub
let services: EngineServices
let app: App

t.before(async () => {
  fake = await startFakeGithub()
  services = createEngineServices({ allowPrivateUpstreams: true, retry: { baseDelayMs: 5, maxBackoffMs: 20 } })
  app = await buildApp({ settings: { LOG_LEVEL: 'silent', UPSTREAM_BASE_URLS: { Github: fake.url }, ALLOW_PRIVATE_UPSTREAMS: true }, services })
})

t.teardown(async () => {
  await app.close()
  await services.close()
  await fake.close()
})

function config (repositories: readonly string[] = REPOS, token = fake.token) {
  return { personal_access_token: token, repositories: repositories.join('\n') }
}

/** Rows (and engine events) of one table, straight from the source's pipeline handoff. */
async function pull (target: FakeGithub, inputs: Omit<PipelineInputs, 'syncType'> & Partial<Pick<PipelineInputs, 'syncType'>>, repositories = REPOS) {
  const events: EngineEvent[] = []
  const ctx: SourceContext = { services, baseUrlOverride: target.url, log: pino({ level: 'silent' }), signal: new AbortController().signal, onEvent: (e) => events.push(e) }
  const response = await githubSource.sourceForPipeline(config(repositories, target.token), { syncType: 'full_refresh', ...inputs }, ctx)
  const rows: Row[] = []
  for await (const page of response.pages) rows.push(...page.rows)
  return { rows, events, response }
}

interface SyncResult { status: number, lines: Array<Record<string, unknown>>, records: Row[], terminal: Record<string, unknown> | undefined }

async function sync (body: Record<string, unknown>): Promise<SyncResult> {
  const response = await app.inject({ method: 'POST', url: '/v1/sources/Github/sync', payload: { config: config(), ...body } })
  if (response.statusCode !== 200) return { status: response.statusCode, lines: [response.json()], records: [], terminal: undefined }
  const lines = response.body.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>)
  return { status: 200, lines, records: lines.filter((l) => l.type === 'record').map((l) => l.data as Row), terminal: lines.at(-1) }
}

function repos (...names: string[]): FakeRepo[] {
  return names.map((name) => fake.repo(name))
}

function requestsSince (target: FakeGithub, mark: number) {
  return target.requests.slice(mark)
}

t.test('Link-header pagination: per_page=100, next links followed verbatim across the path switch, none on a single page', async (t) => {
  const mark = fake.requests.length
  const { rows } = await pull(fake, { schema: 'issues' }, ['octo-org/alpha', 'octo-org/beta'])
  const seen = requestsSince(fake, mark)
  const alpha = seen.filter((r) => r.path.endsWith('/issues') && (r.path.includes('alpha') || r.path.includes('/repositories/100000/')))
  t.same(alpha.map((r) => [r.path, r.query.page]), [
    ['/repos/octo-org/alpha/issues', undefined],
    ['/repositories/100000/issues', '2'],
    ['/repositories/100000/issues', '3']
  ], 'alpha: first page by name, then the absolute next links (path shape /repositories/{id})')
  for (const request of alpha.slice(1)) {
    t.same({ ...request.query, page: undefined }, { state: 'all', sort: 'updated', direction: 'asc', per_page: '100', page: undefined }, 'query params carried by the link, not duplicated')
  }
  const beta = seen.filter((r) => r.path.includes('octo-org/beta'))
  t.equal(beta.length, 1, 'beta fits one page: no Link header, one request')
  t.equal(rows.length, fake.repo('octo-org/alpha').issues.length + fake.repo('octo-org/beta').issues.length)
  const ids = rows.map((r) => r.id)
  t.equal(new Set(ids).size, ids.length, 'no row twice')
})

t.test('the fake answers Link headers as documented: rels by position, none on a single page, per_page capped at 100', async (t) => {
  const headers = { authorization: `Bearer ${fake.token}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28', 'user-agent': 'test' }
  const rels = async (path: string): Promise<{ rels: string[], count: number, link: string | null }> => {
    const response = await fetch(fake.url + path, { headers })
    const link = response.headers.get('link')
    const body = await response.json() as unknown[]
    return { rels: [...(link ?? '').matchAll(/rel="(\w+)"/g)].map((m) => m[1] ?? ''), count: body.length, link }
  }
  const first = await rels('/repos/octo-org/alpha/commits?per_page=50')
  t.same(first.rels, ['next', 'last'])
  t.match(first.link, /<http:\/\/127\.0\.0\.1:\d+\/repositories\/100000\/commits\?per_page=50&page=2>; rel="next"/)
  t.same((await rels('/repositories/100000/commits?per_page=50&page=2')).rels, ['prev', 'next', 'last', 'first'])
  t.same((await rels('/repositories/100000/commits?per_page=50&page=3')).rels, ['prev', 'first'])
  const single = await rels('/repos/octo-org/beta/branches')
  t.same(single, { rels: [], count: fake.repo('octo-org/beta').branches.length, link: null })
  t.equal((await rels('/repos/octo-org/alpha/commits?per_page=500')).count, 100)
})

t.test('wrapped workflow runs are read from workflow_runs across pages', async (t) => {
  const { rows } = await pull(fake, { schema: 'workflow_runs' }, ['octo-org/alpha'])
  t.equal(rows.length, fake.repo('octo-org/alpha').runs.length)
  t.notOk(rows.some((r) => 'total_count' in r))
})

t.test('incremental requests carry since; full refresh does not; pulls never do', async (t) => {
  const watermark = '2024-01-05T12:00:00.000Z'
  const cases: Array<{ schema: string, field: string, param: string | null }> = [
    { schema: 'issues', field: 'updated_at', param: 'since' },
    { schema: 'issue_comments', field: 'updated_at', param: 'since' },
    { schema: 'commits', field: 'commit.committer.date', param: 'since' },
    { schema: 'pull_requests', field: 'updated_at', param: null }
  ]
  for (const c of cases) {
    let mark = fake.requests.length
    const full = await pull(fake, { schema: c.schema }, ['octo-org/beta'])
    const fullFirst = requestsSince(fake, mark)[0]
    t.notOk(fullFirst !== undefined && 'since' in fullFirst.query, `${c.schema} full refresh: no since`)
    mark = fake.requests.length
    const incremental = await pull(fake, { schema: c.schema, syncType: 'incremental', incrementalField: c.field, lastValue: watermark }, ['octo-org/beta'])
    const first = requestsSince(fake, mark)[0]
    if (c.param === null) {
      t.notOk(first !== undefined && 'since' in first.query, `${c.schema}: no since (the API has none)`)
    } else {
      t.equal(first?.query.since, '2024-01-05T12:00:00Z', `${c.schema}: since without milliseconds`)
      t.ok(incremental.rows.length < full.rows.length, `${c.schema}: the server filtered`)
      const value = (r: Row): number => Date.parse(String(c.field.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], r)))
      t.ok(incremental.rows.every((r) => value(r) >= Date.parse(watermark)), `${c.schema}: only rows at or after the watermark`)
    }
  }
})

t.test('pull requests: descending pages stop once a whole page is older than the watermark', async (t) => {
  const big = await startFakeGithub({ repos: [{ owner: 'octo-org', name: 'busy', issues: 420, pulls: 400 }] })
  t.teardown(() => big.close())
  const sorted = [...big.repo('octo-org/busy').pulls].sort((a, b) => Date.parse(String(b.updated_at)) - Date.parse(String(a.updated_at)))
  const watermark = String(sorted[60]?.updated_at)
  let mark = big.requests.length
  const full = await pull(big, { schema: 'pull_requests' }, ['octo-org/busy'])
  const fullRequests = requestsSince(big, mark).length
  t.equal(full.rows.length, 400)
  t.equal(fullRequests, 4)
  mark = big.requests.length
  const incremental = await pull(big, { schema: 'pull_requests', syncType: 'incremental', incrementalField: 'updated_at', lastValue: watermark }, ['octo-org/busy'])
  const seen = requestsSince(big, mark)
  t.ok(seen.length < fullRequests, `stopped early (${seen.length} of ${fullRequests} pages)`)
  t.same(seen[0]?.query, { state: 'all', sort: 'updated', direction: 'desc', per_page: '100' })
  const newer = sorted.filter((r) => Date.parse(String(r.updated_at)) >= Date.parse(watermark)).map((r) => r.id)
  const got = new Set(incremental.rows.map((r) => r.id))
  t.ok(newer.every((id) => got.has(id)), 'every pull request at or after the watermark was read')
  t.equal(incremental.response.sortMode, 'desc')
})

t.test('primary keys are present and unique for every table', async (t) => {
  for (const endpoint of GITHUB_ENDPOINTS) {
    const { rows } = await pull(fake, { schema: endpoint.name }, ['octo-org/alpha', 'octo-org/beta'])
    t.ok(rows.length > 0, `${endpoint.name}: rows`)
    const keys = rows.map((r) => JSON.stringify(endpoint.primaryKeys.map((k) => r[k])))
    t.notOk(rows.some((r) => endpoint.primaryKeys.some((k) => r[k] === undefined || r[k] === null)), `${endpoint.name}: ${endpoint.primaryKeys.join('+')} always set`)
    t.equal(new Set(keys).size, rows.length, `${endpoint.name}: ${endpoint.primaryKeys.join('+')} unique`)
  }
})

t.test('fan-out rows carry their repository; reviews carry repository and pull request number', async (t) => {
  const { rows } = await pull(fake, { schema: 'pull_request_reviews' }, ['octo-org/alpha', 'octo-org/beta'])
  const expected = repos('octo-org/alpha', 'octo-org/beta').flatMap((repo) =>
    repo.pulls.flatMap((p) => (repo.reviews.get(Number(p.number)) ?? []).map((r) => ({ id: r.id, repository: repo.fullName, pull_request_number: p.number }))))
  t.same(rows.map((r) => ({ id: r.id, repository: r.repository, pull_request_number: r.pull_request_number })).sort((a, b) => Number(a.id) - Number(b.id)),
    expected.sort((a, b) => Number(a.id) - Number(b.id)))
  t.notOk(rows.some((r) => Object.keys(r).some((k) => k.startsWith('_'))), 'parent fields renamed, none left as _<parent>_<field>')
  const stars = await pull(fake, { schema: 'stargazers' }, ['octo-org/beta'])
  const first = stars.rows[0] as Row
  t.equal(first.repository, 'octo-org/beta')
  t.match(first, { starred_at: String, user: { login: String }, user_id: Number, user_login: String })
  const commits = await pull(fake, { schema: 'commits' }, ['octo-org/beta'])
  t.match(commits.rows[0], { repository: 'octo-org/beta', sha: String, authored_at: String, committed_at: String, commit: { committer: { date: String } } })
})

t.test('hard page cap per pull request logs page_cap_reached with the parent', async (t) => {
  const crowded = await startFakeGithub({ repos: [{ owner: 'octo-org', name: 'crowded', issues: 2, pulls: 2, reviewsPerPull: 620 }] })
  t.teardown(() => crowded.close())
  const { rows, events } = await pull(crowded, { schema: 'pull_request_reviews' }, ['octo-org/crowded'])
  t.equal(rows.length, 2 * REVIEW_PAGE_CAP * 100, 'each pull request stops at the cap')
  const caps = events.filter((e) => e.event === 'page_cap_reached')
  t.equal(caps.length, 2)
  t.match(caps[0], { level: 'warn', resource: 'pull_request_reviews', pageCap: REVIEW_PAGE_CAP })
  t.match(String(caps[0]?.parent), /pull_requests:/)
})

t.test('status mapping through the sync route', async (t) => {
  const cases: Array<{ name: string, body: Record<string, unknown>, arrange?: () => void, expect: (r: SyncResult, requests: number) => void }> = [
    {
      name: '401 bad credentials: one request, non-retryable error line in friendly words',
      body: { schema: 'issues', config: config(['octo-org/alpha'], 'github_pat_wrong_000000000000') },
      expect: (r, requests) => {
        t.equal(requests, 1)
        t.match(r.terminal, { type: 'error', code: 'UPSTREAM_AUTH_FAILED', retryable: false, message: /bad credentials/i })
      }
    },
    {
      name: '404 unknown repository: error line naming the access problem',
      body: { schema: 'releases', config: config(['octo-org/missing']) },
      expect: (r) => t.match(r.terminal, { type: 'error', retryable: false, message: /not found or the token cannot see it/ })
    },
    {
      name: '403 missing permission: non-retryable, says which permission',
      body: { schema: 'tags', config: config(['octo-org/beta']) },
      arrange: () => fake.failNext(403, { message: 'Resource not accessible by personal access token', documentation_url: 'https://docs.github.com/rest' }),
      expect: (r) => t.match(r.terminal, { type: 'error', code: 'UPSTREAM_AUTH_FAILED', retryable: false, message: /permission/ })
    },
    {
      name: '409 empty repository commits: no rows, ended normally',
      body: { schema: 'commits', config: config(['octo-org/empty']) },
      expect: (r) => {
        t.equal(r.records.length, 0)
        t.match(r.terminal, { type: 'end', rows: 0 })
        t.ok(r.lines.some((l) => l.type === 'log' && l.event === 'response_ignored'))
      }
    },
    {
      name: '204 empty repository contributors: no rows',
      body: { schema: 'contributors', config: config(['octo-org/empty']) },
      expect: (r) => t.match(r.terminal, { type: 'end', rows: 0 })
    },
    {
      name: '502 once: retried, then every row',
      body: { schema: 'branches', config: config(['octo-org/beta']) },
      arrange: () => fake.failNext(502),
      expect: (r, requests) => {
        t.equal(requests, 2)
        t.equal(r.records.length, fake.repo('octo-org/beta').branches.length)
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
      c.expect(result, requestsSince(fake, mark).length)
    })
  }
})

t.test('rate limits: primary exhaustion (403 and 429 with remaining 0) waits for reset; secondary waits retry-after', async (t) => {
  for (const status of [403, 429] as const) {
    fake.exhaustPrimary({ status, resetInSeconds: 1 })
    const mark = fake.requests.length
    const { rows, events } = await pull(fake, { schema: 'tags' }, ['octo-org/beta'])
    const [limited, retried] = requestsSince(fake, mark)
    t.equal(limited?.status, status)
    t.equal(retried?.status, 200)
    const wait = events.find((e) => e.event === 'rate_limit_wait')
    t.match(wait, { status, reason: 'reset_header' }, `${status}: waited for x-ratelimit-reset`)
    const resetMs = (Math.floor((limited?.at ?? 0) / 1000) + 1) * 1000
    t.ok((retried?.at ?? 0) >= resetMs - 5, `${status}: retried after the reset time`)
    t.equal(rows.length, fake.repo('octo-org/beta').tags.length)
  }
  fake.secondaryLimit({ status: 403, retryAfterSeconds: 1 })
  const mark = fake.requests.length
  const { rows, events } = await pull(fake, { schema: 'tags' }, ['octo-org/beta'])
  const [limited, retried] = requestsSince(fake, mark)
  t.equal(limited?.status, 403)
  t.match(events.find((e) => e.event === 'rate_limit_wait'), { status: 403, reason: 'retry_after' })
  t.ok((retried?.at ?? 0) - (limited?.at ?? 0) >= 990, 'secondary: waited retry-after seconds')
  t.equal(rows.length, fake.repo('octo-org/beta').tags.length)

  // A secondary limit without retry-after (and remaining > 0) is temporary too: retried, not a permission error.
  fake.secondaryLimit({ status: 403, retryAfterSeconds: null })
  const again = fake.requests.length
  const bare = await pull(fake, { schema: 'tags' }, ['octo-org/beta'])
  t.same(requestsSince(fake, again).map((r) => r.status), [403, 200])
  t.match(bare.events.find((e) => e.event === 'retry'), { status: 403 })
  t.equal(bare.rows.length, fake.repo('octo-org/beta').tags.length)
})

t.test('requests carry a User-Agent (GitHub refuses requests without one)', async (t) => {
  const mark = fake.requests.length
  await pull(fake, { schema: 'branches' }, ['octo-org/beta'])
  const [request] = requestsSince(fake, mark)
  t.ok((request?.headers['user-agent'] ?? '').length > 0)
  t.equal(request?.status, 200)
})

/** What a record of each table must look like (besides its primary keys and partition key). */
const SHAPES: Record<string, Record<string, unknown>> = {
  repositories: { id: Number, full_name: String, owner: { login: String }, private: Boolean, created_at: String },
  issues: { id: Number, number: Number, title: String, state: String, user: { login: String }, updated_at: String },
  pull_requests: { id: Number, number: Number, state: String, head: { ref: String }, base: { ref: String }, updated_at: String },
  commits: { sha: String, commit: { author: { date: String }, committer: { date: String }, message: String }, authored_at: String },
  releases: { id: Number, tag_name: String, created_at: String },
  branches: { name: String, commit: { sha: String }, protected: Boolean },
  tags: { name: String, commit: { sha: String } },
  contributors: { id: Number, login: String, contributions: Number },
  stargazers: { starred_at: String, user: { id: Number }, user_id: Number },
  issue_comments: { id: Number, body: String, issue_url: String, updated_at: String },
  workflow_runs: { id: Number, status: String, run_number: Number, created_at: String },
  pull_request_reviews: { id: Number, state: String, pull_request_number: Number, submitted_at: String }
}

function expectedCount (table: string): number {
  const all = repos(...REPOS)
  const sum = (f: (r: FakeRepo) => number): number => all.reduce((n, r) => n + f(r), 0)
  switch (table) {
    case 'repositories': return all.length
    case 'issues': return sum((r) => r.issues.length)
    case 'pull_requests': return sum((r) => r.pulls.length)
    case 'commits': return sum((r) => r.commits.length)
    case 'releases': return sum((r) => r.releases.length)
    case 'branches': return sum((r) => r.branches.length)
    case 'tags': return sum((r) => r.tags.length)
    case 'contributors': return sum((r) => r.contributors.length)
    case 'stargazers': return sum((r) => r.stargazers.length)
    case 'issue_comments': return sum((r) => r.comments.length)
    case 'workflow_runs': return sum((r) => r.runs.length)
    case 'pull_request_reviews': return sum((r) => [...r.reviews.values()].reduce((n, list) => n + list.length, 0))
    default: throw new Error(`no expectation for ${table}`)
  }
}

t.test('every declared table syncs end to end through the sync route with rows of the declared shape', async (t) => {
  t.same(Object.keys(SHAPES).sort(), GITHUB_ENDPOINTS.map((e) => e.name).sort(), 'a shape for every declared table')
  for (const endpoint of githubSource.endpoints) {
    await t.test(endpoint.name, async (t) => {
      const result = await sync({ schema: endpoint.name })
      t.equal(result.status, 200)
      t.ok(result.lines.every((l) => checkLine.Check(l)), 'every line matches the line schema')
      t.match(result.lines[0], { type: 'schema', name: endpoint.name, primary_keys: [...endpoint.primaryKeys], table_format: 'delta', sort_mode: endpoint.sortMode ?? 'asc' })
      t.match(result.terminal, { type: 'end', rows: expectedCount(endpoint.name) })
      t.equal(result.records.length, expectedCount(endpoint.name))
      const shape = SHAPES[endpoint.name] ?? {}
      const misshapen = result.records.filter((record) => !matchesShape(record, shape))
      t.same(misshapen.slice(0, 3), [], 'every record has the declared shape')
      t.ok(result.records.every((record) => REPOS.includes(String(record.repository))), 'every record carries its repository')
      const key = endpoint.partitionKey
      if (key !== undefined) {
        t.ok(result.records.every((record) => !Number.isNaN(Date.parse(String(record[key])))), `partition key ${key} is always a timestamp`)
      }
    })
  }
})

t.test('resuming from any state line of a fan-out sync yields exactly the rest of the rows', async (t) => {
  const full = await sync({ schema: 'issue_comments' })
  const ids = full.records.map((r) => `${String(r.repository)}#${String(r.id)}`)
  t.equal(new Set(ids).size, ids.length)
  let seenRows = 0
  const states: Array<{ state: string, rows: number }> = []
  for (const line of full.lines) {
    if (line.type === 'record') seenRows++
    if (line.type === 'state') states.push({ state: String(line.state), rows: seenRows })
  }
  t.ok(states.length >= 3, 'several pages, across repositories')
  for (const { state, rows } of states) {
    const rest = await sync({ schema: 'issue_comments', resume_state: state })
    t.same(rest.records.map((r) => `${String(r.repository)}#${String(r.id)}`), ids.slice(rows), `resume after ${rows} rows`)
  }
})

t.test('incremental sync through the route: watermark is the max updated_at; the next run sends it as since', async (t) => {
  const first = await sync({ schema: 'issues', sync_type: 'incremental', incremental_field: 'updated_at' })
  const maxUpdated = repos(...REPOS).flatMap((r) => r.issues).map((i) => String(i.updated_at)).sort().at(-1)
  t.match(first.terminal, { type: 'end', last_value: maxUpdated })
  const mark = fake.requests.length
  const second = await sync({ schema: 'issues', sync_type: 'incremental', incremental_field: 'updated_at', last_value: first.terminal?.last_value })
  t.ok(requestsSince(fake, mark).every((r) => r.query.since === maxUpdated || r.path.startsWith('/repositories/')))
  t.ok(second.records.length >= 1 && second.records.every((r) => String(r.updated_at) >= String(maxUpdated)), 'only the newest rows (since is inclusive)')
})

t.test('text pages: the sync route writes every table exactly as the parsed rows would be written', async (t) => {
  for (const endpoint of githubSource.endpoints) {
    for (const incremental of [undefined, ...(endpoint.incrementalFields ?? []).map((f) => f.field)]) {
      const inputs = incremental === undefined ? {} : { syncType: 'incremental' as const, incrementalField: incremental }
      const parsed = await pull(fake, { schema: endpoint.name, ...inputs })
      const text = await pull(fake, { schema: endpoint.name, ...inputs, rowsAsText: true })
      const route = await sync({ schema: endpoint.name, ...(incremental === undefined ? {} : { sync_type: 'incremental', incremental_field: incremental }) })
      const label = `${endpoint.name}${incremental === undefined ? '' : ` (incremental on ${incremental})`}`
      // JSON text, so the order of keys counts as well.
      t.equal(JSON.stringify(route.records), JSON.stringify(parsed.rows), `${label}: the same records, keys in the same order`)
      t.equal(JSON.stringify(text.rows), JSON.stringify(parsed.rows), `${label}: text pages read as objects give the same rows`)
      if (incremental !== undefined) {
        const values = parsed.rows.map((row) => String(getPath(row, incremental))).sort()
        t.match(route.terminal, { type: 'end', last_value: values.at(-1) ?? null, earliest_value: values[0] ?? null }, `${label}: watermarks read off the text`)
      }
    }
  }
})

t.test('text pages: issues are written from the upstream text (the fan-out column spliced in); a max_rows cut mid-page too', async (t) => {
  const ctx: SourceContext = { services, baseUrlOverride: fake.url, log: pino({ level: 'silent' }), signal: new AbortController().signal }
  const response = await githubSource.sourceForPipeline(config(), { syncType: 'full_refresh', schema: 'issues', rowsAsText: true }, ctx)
  const pages: Array<{ text: boolean, rows: number }> = []
  for await (const page of response.pages) {
    const raw = rawRowsOf(page)
    pages.push({ text: raw !== undefined && raw.columns.includes('"repository":'), rows: raw?.count ?? page.rows.length })
  }
  t.ok(pages.filter((p) => p.rows > 0).every((p) => p.text), 'every page with rows stayed text')
  const full = await sync({ schema: 'issues' })
  const cut = await sync({ schema: 'issues', limits: { max_rows: 3 } })
  t.equal(JSON.stringify(cut.records), JSON.stringify(full.records.slice(0, 3)))
  t.equal(cut.lines.filter((l) => l.type === 'state').length, 0, 'no state line for a page written in part')
})
