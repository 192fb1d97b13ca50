/**
 * Progress on sync streams: state lines carry `progress: {rows, pages, total_pages?, total_rows?}`,
 * totals only where the endpoint declares where the API states them — GitHub's `Link rel="last"` (the
 * GitHub fake), a Typeform-style `page_count`/`total_items` body (a fixture source on a rest fake) — and
 * a `progress` log line with an ETA while a total is known. Unknown totals stay absent (Demo's cursors).
 */
import t from 'tap'
import { buildApp, type App } from '../../src/app.js'
import { defineEndpoints } from '../../src/engine/declarations.js'
import { createEngineServices } from '../../src/engine/services.js'
import { responseMetadata, schemasFromEndpoints } from '../../src/sources/tables.js'
import { sourceClient } from '../../src/sources/client.js'
import { SOURCES } from '../../src/sources/registry.js'
import { defineSource } from '../../src/sources/types.js'
import type { SyncLine } from '../../src/sync/lines.js'
import { startFakeGithub } from '../fakes/github.js'
import { startRestFake } from '../fakes/rest-fake.js'
import { checkLine, contractProblems } from './helpers.js'

/** Typeform's GET /forms contract: `page` (1-based) and `page_size`, `{ total_items, page_count, items }`. */
const FORM_ENDPOINTS = defineEndpoints([{
  name: 'forms',
  path: '/forms',
  dataSelector: 'items',
  paginator: { type: 'page_number', pageParam: 'page', totalPagesPath: 'page_count', totalRowsPath: 'total_items' },
  pageSize: { param: 'page_size', value: 10 },
  primaryKeys: ['id']
}])

const formsSource = defineSource({
  name: 'Forms',
  fields: [] as const,
  getSourceConfig: () => ({ name: 'Forms', label: 'Forms', fields: [], releaseStatus: 'alpha' }),
  validateCredentials: async () => ({ valid: true }),
  getSchemas: async () => schemasFromEndpoints(FORM_ENDPOINTS),
  sourceForPipeline: async (_config, inputs, ctx) => {
    const endpoint = FORM_ENDPOINTS[0]
    const client = sourceClient({ source: 'Forms', baseUrl: ctx.baseUrlOverride ?? 'https://api.typeform.invalid', auth: { type: 'none' } }, ctx)
    const pages = client.pages(endpoint, inputs.resumeState === undefined || inputs.resumeState === null ? {} : { resumeState: inputs.resumeState })
    return { name: endpoint.name, pages, ...responseMetadata(endpoint) }
  },
  errorRules: []
})

const FORMS = Array.from({ length: 45 }, (_, i) => ({ id: `form${i + 1}`, title: `Form ${i + 1}` }))

const github = await startFakeGithub()
const forms = await startRestFake({
  'GET /forms': (req) => {
    const page = Number(req.query.get('page') ?? '1')
    const size = Number(req.query.get('page_size') ?? '10')
    return { json: { total_items: FORMS.length, page_count: Math.ceil(FORMS.length / size), items: FORMS.slice((page - 1) * size, page * size) } }
  }
})
const services = createEngineServices({ allowPrivateUpstreams: true, retry: { baseDelayMs: 5, maxBackoffMs: 20 } })

async function appWith (intervalMs: number): Promise<App> {
  const app = await buildApp({
    sources: [...SOURCES, formsSource],
    services,
    settings: {
      LOG_LEVEL: 'silent',
      ALLOW_PRIVATE_UPSTREAMS: true,
      UPSTREAM_BASE_URLS: { Github: github.url, Forms: forms.url },
      SYNC_PROGRESS_LOG_INTERVAL_MS: intervalMs
    }
  })
  t.teardown(() => app.close())
  return app
}

const app = await appWith(0)
t.teardown(async () => { await services.close(); await github.close(); await forms.close() })

async function sync (target: App, source: string, body: Record<string, unknown>): Promise<SyncLine[]> {
  const response = await target.inject({ method: 'POST', url: `/v1/sources/${source}/sync`, payload: body })
  t.equal(response.statusCode, 200)
  const lines = response.body.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as SyncLine)
  t.same(contractProblems(lines), [])
  t.ok(lines.every((l) => checkLine.Check(l)), 'every line matches the published schema')
  return lines
}

const stateProgress = (lines: SyncLine[]): unknown[] => lines.flatMap((l) => l.type === 'state' ? [l.progress] : [])
const progressLogs = (lines: SyncLine[]): Array<Record<string, unknown>> =>
  lines.flatMap((l) => l.type === 'log' && l.event === 'progress' ? [l as Record<string, unknown>] : [])

t.test('GitHub: total_pages from Link rel="last" on a multi-page sync (230 issues, 100 a page)', async (t) => {
  const lines = await sync(app, 'github', { config: { personal_access_token: github.token, repositories: 'octo-org/alpha' }, schema: 'issues' })
  t.same(stateProgress(lines), [
    { rows: 100, pages: 1, total_pages: 3 },
    { rows: 200, pages: 2, total_pages: 3 },
    { rows: 230, pages: 3, total_pages: 3, total_rows: 230 }
  ], 'the repository\'s last page still has a state line (the fan-out goes on to the next parent), and its rows are now exact')
  const logs = progressLogs(lines)
  t.ok(logs.length >= 1, 'a progress log line')
  t.match(logs[0], { level: 'info', total_pages: 3, eta_seconds: Number, elapsed_seconds: Number })
})

t.test('GitHub over two repositories: the total is the sum once both are known, never a partial sum', async (t) => {
  const lines = await sync(app, 'github', { config: { personal_access_token: github.token, repositories: 'octo-org/alpha\nocto-org/beta' }, schema: 'issues' })
  const totals = lines.flatMap((l) => l.type === 'state' ? [l.progress.total_pages] : [])
  t.ok(totals.every((v) => v === undefined || v === 4), `3 pages + 1 page, or absent: ${JSON.stringify(totals)}`)
  t.equal(totals.at(-1), 4)
})

t.test('Typeform-style page_count and total_items', async (t) => {
  const lines = await sync(app, 'forms', { config: {}, schema: 'forms' })
  t.same(stateProgress(lines), [1, 2, 3, 4].map((pages) => ({ rows: pages * 10, pages, total_pages: 5, total_rows: 45 })),
    'pages 1–4; the last page has no state line')
  t.match(progressLogs(lines)[0], { total_pages: 5, total_rows: 45, eta_seconds: Number })

  const second = lines.flatMap((l) => l.type === 'state' ? [l.state] : [])[1]
  const resumed = await sync(app, 'forms', { config: {}, schema: 'forms', resume_state: second })
  t.same(stateProgress(resumed), [
    { rows: 10, pages: 3, total_pages: 5, total_rows: 45 },
    { rows: 20, pages: 4, total_pages: 5, total_rows: 45 }
  ], 'after a resume: rows of this stream, pages of the table')
})

t.test('unknown totals stay absent, and then no ETA line is sent (Demo body cursors)', async (t) => {
  const demo = await appWith(0)
  await demo.listen({ host: '127.0.0.1', port: 0 }) // the Demo source's upstream is this service's own sample API
  const real = await sync(demo, 'demo', { config: { rows: 7, page_size: 3 }, schema: 'orders' })
  const progress = stateProgress(real)
  t.ok(progress.length > 0)
  t.ok(progress.every((p) => !('total_pages' in (p as object)) && !('total_rows' in (p as object))), 'no totals')
  t.same(progressLogs(real), [], 'no ETA without a total')
})

t.test('ETA lines come at most every SYNC_PROGRESS_LOG_INTERVAL_MS', async (t) => {
  const slow = await appWith(60_000)
  const lines = await sync(slow, 'forms', { config: {}, schema: 'forms' })
  t.equal(stateProgress(lines).length, 4)
  t.same(progressLogs(lines), [], 'a sync shorter than the interval sends none')
})

t.test('ProgressLog: pages left × time per page of this stream; a row total only without a resume; at most every interval', async (t) => {
  const { ProgressLog } = await import('../../src/sync/progress.js')
  let now = 1_000_000
  const log = new ProgressLog(5000, false, () => now)
  now += 4000
  t.equal(log.after({ rows: 100, pages: 1, total_pages: 10 }, 1), null, 'not before the interval')
  now += 1000
  t.match(log.after({ rows: 100, pages: 1, total_pages: 10 }, 1), { event: 'progress', elapsed_seconds: 5, eta_seconds: 45 }, '9 pages left at 5 s a page')
  now += 1000
  t.equal(log.after({ rows: 200, pages: 2, total_pages: 10 }, 2), null, 'the next one waits another interval')
  now += 4000
  t.match(log.after({ rows: 250, pages: 5, total_rows: 1000 }, 5), { eta_seconds: 30 }, '750 rows left at 25 rows a second')
  now += 5000
  t.equal(log.after({ rows: 250, pages: 5 }, 5), null, 'no total, no line')

  const resumed = new ProgressLog(0, true, () => now)
  now += 1000
  t.equal(resumed.after({ rows: 10, pages: 7, total_rows: 100 }, 1), null, 'after a resume the rows before it are unknown: no row-based ETA')
  t.match(resumed.after({ rows: 10, pages: 7, total_pages: 9 }, 1), { eta_seconds: 2 }, 'but pages know their position')
})
