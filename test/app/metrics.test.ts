/**
 * GET /metrics: scraped around real Demo syncs (the app listening on loopback, the sample API as the
 * upstream), the counters move by what the syncs did; auth is the /v1 bearer auth; no label carries a
 * config value or a credential.
 */
import t from 'tap'
import { buildApp } from '../../src/app.js'
import type { SampleFault, SampleRequest } from '../../src/sources/demo/sample-api.js'
import { demoConfig, openStream, records, startHarness, sync } from '../sync/helpers.js'

let fault: ((request: SampleRequest) => SampleFault | undefined) | undefined
const h = await startHarness({ upstream: { fault: (request) => fault?.(request) } })
t.teardown(h.close)
t.afterEach(() => { fault = undefined })

async function scrape (): Promise<string> {
  const response = await fetch(`${h.url}/metrics`)
  t.equal(response.status, 200)
  t.match(response.headers.get('content-type'), /^text\/plain; version=0\.0\.4/)
  return await response.text()
}

/** The value of one sample, 0 when absent. Labels must match exactly (all of them, any order). */
function value (text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).sort().join(',')
  for (const line of text.split('\n')) {
    const match = /^([a-z_:]+)(?:\{([^}]*)\})? (\S+)$/.exec(line)
    if (match === null || match[1] !== name) continue
    const have = (match[2] ?? '').split(',').filter(Boolean).sort().join(',')
    if (have === wanted) return Number(match[3])
  }
  return 0
}

const P = 'warehouse_sources_'

t.test('a Demo sync moves the sync, row, page and upstream counters', async (t) => {
  const table = { source: 'Demo', table: 'customers' }
  const before = await scrape()
  const result = await sync(h, 'demo', { config: demoConfig(h, { rows: 5, page_size: 2 }), schema: 'customers' })
  t.equal(records(result.lines).length, 5)
  const after = await scrape()
  const delta = (name: string, labels: Record<string, string> = table): number => value(after, P + name, labels) - value(before, P + name, labels)
  t.equal(delta('syncs_started_total'), 1)
  t.equal(delta('syncs_finished_total', { ...table, outcome: 'completed' }), 1)
  t.equal(delta('syncs_finished_total', { ...table, outcome: 'failed' }), 0)
  t.match(after, `${P}syncs_finished_total{source="Demo",table="customers",outcome="shutdown"} `, 'every outcome is exported, 0 until it happens')
  t.equal(value(after, P + 'syncs_in_flight', table), 0, 'nothing in flight once it ended')
  t.equal(delta('sync_rows_total'), 5)
  t.equal(delta('sync_pages_total'), 3, 'pages of 2, 2 and 1 rows')
  t.equal(delta('upstream_requests_total', { source: 'Demo', status_class: '2xx', retry: 'false' }), 3, 'one request per page')
  t.ok(value(after, 'process_cpu_user_seconds_total') > 0, 'default process metrics')
  t.ok(value(after, 'nodejs_heap_size_total_bytes') > 0)
})

t.test('outcomes: limit_reached, failed, client_gone; retries, rate-limit waits and page caps', async (t) => {
  const before = await scrape()
  const delta = (after: string, name: string, labels: Record<string, string>): number => value(after, P + name, labels) - value(before, P + name, labels)

  await sync(h, 'demo', { config: demoConfig(h, { rows: 10, page_size: 2 }), schema: 'customers', limits: { max_rows: 3 } })

  let start = h.upstream.requests.length
  fault = (request) => request.n - start === 2 ? { status: 503 } : undefined
  await sync(h, 'demo', { config: demoConfig(h, { rows: 6, page_size: 2 }), schema: 'orders' })

  start = h.upstream.requests.length
  fault = (request) => request.n - start === 2
    ? { status: 429, headers: { 'retry-after': '0', 'x-ratelimit-remaining': '0' }, body: { error: { code: 'rate_limited', message: 'slow down' } } }
    : undefined
  await sync(h, 'demo', { config: demoConfig(h, { rows: 6, page_size: 2 }), schema: 'customers' })
  fault = () => ({ status: 503 })
  await sync(h, 'demo', { config: demoConfig(h, { rows: 6, page_size: 2 }), schema: 'orders' })
  fault = undefined

  // Notes: some customers have 4, the cap is 3 pages of page_size 1.
  await sync(h, 'demo', { config: demoConfig(h, { rows: 8, page_size: 1 }), schema: 'customer_notes' })

  // A slow sync (50 ms a page) whose reader leaves after the first bytes.
  const stream = await openStream(h, 'demo', { config: demoConfig(h, { rows: 1000, page_size: 1, latency_ms: 50 }), schema: 'customers' })
  await new Promise((resolve) => stream.response.once('data', resolve))
  const inFlight = value(await scrape(), P + 'syncs_in_flight', { source: 'Demo', table: 'customers' })
  t.equal(inFlight, 1, 'a streaming sync is in flight')
  stream.destroy()
  let after = ''
  for (let i = 0; i < 100; i++) {
    after = await scrape()
    if (delta(after, 'syncs_finished_total', { source: 'Demo', table: 'customers', outcome: 'client_gone' }) === 1) break
    await new Promise((resolve) => setTimeout(resolve, 20))
  }

  t.equal(delta(after, 'syncs_finished_total', { source: 'Demo', table: 'customers', outcome: 'limit_reached' }), 1)
  t.equal(delta(after, 'syncs_finished_total', { source: 'Demo', table: 'customers', outcome: 'client_gone' }), 1)
  t.equal(delta(after, 'syncs_finished_total', { source: 'Demo', table: 'orders', outcome: 'completed' }), 1, 'a 503 retried, then completed')
  t.equal(delta(after, 'syncs_finished_total', { source: 'Demo', table: 'orders', outcome: 'failed' }), 1, 'a 503 every time fails')
  t.equal(value(after, P + 'syncs_in_flight', { source: 'Demo', table: 'customers' }), 0)
  t.ok(delta(after, 'upstream_requests_total', { source: 'Demo', status_class: '5xx', retry: 'false' }) >= 2, 'first attempts answered 5xx')
  t.ok(delta(after, 'upstream_requests_total', { source: 'Demo', status_class: '5xx', retry: 'true' }) >= 1, 'a retry answered 5xx')
  t.ok(delta(after, 'upstream_requests_total', { source: 'Demo', status_class: '2xx', retry: 'true' }) >= 2, 'retries that succeeded')
  t.equal(delta(after, 'upstream_requests_total', { source: 'Demo', status_class: '4xx', retry: 'false' }), 1, 'the 429')
  t.equal(delta(after, 'rate_limit_waits_total', { source: 'Demo' }), 1)
  t.ok(delta(after, 'rate_limit_wait_seconds_total', { source: 'Demo' }) >= 0, 'wait seconds are counted')
  t.ok(delta(after, 'page_caps_reached_total', { source: 'Demo', table: 'customer_notes' }) >= 1, 'the notes page cap')
})

t.test('no label carries a config value or a credential', async (t) => {
  const text = await scrape()
  const port = new URL(h.upstream.baseUrl).port
  t.notMatch(text, port, 'the upstream base URL (a config value) is nowhere')
  t.notMatch(text, 'base_url')
  const labels = new Set([...text.matchAll(/[{,]([a-z_]+)="/g)].map((m) => m[1]))
  for (const label of labels) t.ok(['source', 'table', 'outcome', 'status_class', 'retry', 'version', 'major', 'minor', 'patch', 'type', 'space', 'kind', 'le'].includes(label ?? ''), `label ${label}`)
})

t.test('with API_TOKENS, /metrics needs the same bearer token as /v1', async (t) => {
  const token = 'metrics-scraper-token-0123456789'
  const app = await buildApp({ settings: { LOG_LEVEL: 'silent', API_TOKENS: [token] } })
  t.teardown(() => app.close())
  t.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401)
  t.equal((await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer wrong-token-0123456789' } })).statusCode, 401)
  const ok = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } })
  t.equal(ok.statusCode, 200)
  t.match(ok.body, /# TYPE warehouse_sources_syncs_started_total counter/)
  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200, 'liveness stays open')
})
