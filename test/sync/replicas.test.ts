/**
 * Two replicas (buildApp twice, REDIS_URL pointing at one real redis-server) syncing with one
 * credential against a vendor that enforces 2 requests/s per account (Typeform's budget) and counts
 * 429s: together they stay within the budget without a 429; one replica's 429 pauses the other;
 * Redis killed mid-sync fails neither sync, and both finish with every row.
 */
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { buildApp, type App } from '../../src/app.js'
import { findEndpoint, responseMetadata, schemasFromEndpoints } from '../../src/sources/tables.js'
import { defineEndpoints } from '../../src/engine/declarations.js'
import { defineSource } from '../../src/sources/types.js'
import type { SyncLine } from '../../src/sync/lines.js'
import { peakInWindow, startPacedVendor, type PacedVendor } from '../fakes/paced-vendor.js'
import { redisFor } from '../helpers/redis-server.js'
import { contractProblems } from './helpers.js'

const TOKEN = 'tfp_replica_shared_token_0099'
const PAGES = 6
const PAGE_SIZE = 3

const FIELDS = [
  { type: 'password', name: 'access_token', label: 'Access token', required: true, placeholder: 'tfp_...', secret: true },
  { type: 'url', name: 'base_url', label: 'Base URL', required: true, placeholder: 'http://127.0.0.1' }
] as const

const ENDPOINTS = defineEndpoints([{
  name: 'forms',
  label: 'Forms',
  description: 'Forms (page-number pagination with a page count).',
  path: '/forms',
  dataSelector: 'items',
  paginator: { type: 'page_number', pageParam: 'page', totalPagesPath: 'page_count' },
  pageSize: { param: 'page_size', value: PAGE_SIZE },
  primaryKeys: ['id'],
  sortMode: 'asc'
}])

/** Test-only source with Typeform's budget: 2 requests per second per account, 429 with Retry-After. */
const paced = defineSource({
  name: 'Paced',
  fields: FIELDS,
  getSourceConfig: () => ({ name: 'Paced', fields: FIELDS.map((f) => ({ ...f })) }),
  validateCredentials: async () => ({ valid: true }),
  getSchemas: async () => schemasFromEndpoints(ENDPOINTS),
  sourceForPipeline: async (config, inputs, ctx) => {
    const endpoint = findEndpoint(ENDPOINTS, inputs.schema)
    const client = ctx.services.createClient({
      source: 'Paced',
      baseUrl: config.base_url,
      auth: { type: 'bearer', token: config.access_token },
      budgets: { default: { reservoir: 2, intervalMs: 1_000 } },
      retry: { baseDelayMs: 50, maxBackoffMs: 200, maxWaitMs: 5_000 }
    }, { signal: ctx.signal, log: ctx.log, ...(ctx.onEvent === undefined ? {} : { onEvent: ctx.onEvent }) })
    return { name: endpoint.name, pages: client.pages(endpoint, { resumeState: inputs.resumeState ?? null }), ...responseMetadata(endpoint) }
  },
  errorRules: []
})

interface Replica { app: App, url: string }

async function startReplicas (t: Test, redisUrl: string, count = 2): Promise<Replica[]> {
  const replicas: Replica[] = []
  for (let i = 0; i < count; i++) {
    const app = await buildApp({
      settings: { LOG_LEVEL: 'silent', ALLOW_PRIVATE_UPSTREAMS: true, REDIS_URL: redisUrl, RATE_LIMIT_REPLICAS: count },
      sources: [paced]
    })
    t.teardown(async () => { await app.close() })
    await app.listen({ host: '127.0.0.1', port: 0 })
    replicas.push({ app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` })
  }
  return replicas
}

async function syncForms (replica: Replica, vendor: PacedVendor): Promise<SyncLine[]> {
  const response = await fetch(`${replica.url}/v1/sources/paced/sync`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ config: { access_token: TOKEN, base_url: vendor.url }, schema: 'forms' })
  })
  return (await response.text()).trim().split('\n').map((l) => JSON.parse(l) as SyncLine)
}

function checkComplete (t: Test, lines: SyncLine[], who: string): void {
  t.same(contractProblems(lines), [], `${who}: line contract`)
  t.match(lines.at(-1), { type: 'end' }, `${who}: ends with an end line`)
  const ids = lines.flatMap((l) => l.type === 'record' ? [String(l.data.id)] : [])
  t.equal(new Set(ids).size, PAGES * PAGE_SIZE, `${who}: every row, once`)
}

t.test('two replicas with one credential: no 429, together within 2 requests/s', async (t) => {
  const redis = await redisFor(t)
  if (redis === undefined) return
  const vendor = await startPacedVendor({ budget: 2, intervalMs: 1_000, items: PAGES * PAGE_SIZE })
  t.teardown(async () => { await vendor.close() })
  const [a, b] = await startReplicas(t, redis.url) as [Replica, Replica]
  const ready = await (await fetch(`${a.url}/ready`)).json()
  t.same(ready, { status: 'ready', redis: { state: 'connected', budgets: 'shared', replicas: 2 } }, '/ready reports Redis')
  const [linesA, linesB] = await Promise.all([syncForms(a, vendor), syncForms(b, vendor)])
  checkComplete(t, linesA, 'replica A')
  checkComplete(t, linesB, 'replica B')
  t.equal(vendor.overBudget(), 0, 'the vendor answered no 429')
  t.equal(vendor.arrivals.length, 2 * PAGES, 'one request per page per replica')
  const times = vendor.arrivals.map((r) => r.at)
  t.ok(peakInWindow(times, 1_000) <= 2, `peak ${peakInWindow(times, 1_000)} requests in a sliding second`)
  const waits = (a.app.engine.sharedBudget?.counters.waits ?? 0) + (b.app.engine.sharedBudget?.counters.waits ?? 0)
  t.ok(waits > 0, 'shared waits counted')
  const scraped = await Promise.all([a, b].map(async (r) => await (await fetch(`${r.url}/metrics`)).text()))
  const exported = scraped.map((text) => Number(/^warehouse_sources_shared_budget_waits_total (\S+)$/m.exec(text)?.[1] ?? NaN))
  t.equal((exported[0] ?? 0) + (exported[1] ?? 0), waits, '/metrics exports the shared-budget waits of each replica')
  t.ok(scraped.every((text) => /^warehouse_sources_shared_budget_outages_total 0$/m.test(text)), 'and no outage')
})

t.test("one replica's 429 (Retry-After) pauses the other", async (t) => {
  const redis = await redisFor(t)
  if (redis === undefined) return
  const RETRY_AFTER_S = 2
  const vendor = await startPacedVendor({ budget: 2, intervalMs: 1_000, items: PAGES * PAGE_SIZE, rateLimitFirst: RETRY_AFTER_S })
  t.teardown(async () => { await vendor.close() })
  const [a, b] = await startReplicas(t, redis.url) as [Replica, Replica]
  const syncA = syncForms(a, vendor)
  for (let i = 0; i < 200 && vendor.arrivals.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10))
  const limited = vendor.arrivals[0]
  t.equal(limited?.status, 429, 'replica A was answered 429')
  // Let A's 429 reach its limiter (and Redis) before B starts: B has never seen a 429 itself.
  await new Promise((resolve) => setTimeout(resolve, 100))
  const [linesA, linesB] = await Promise.all([syncA, syncForms(b, vendor)])
  checkComplete(t, linesA, 'replica A')
  checkComplete(t, linesB, 'replica B')
  const after = vendor.arrivals.slice(1)
  t.ok(after.every((r) => r.at >= (limited?.at ?? 0) + RETRY_AFTER_S * 1_000 - 10),
    `no request from either replica before the Retry-After ran out (first after ${Math.min(...after.map((r) => r.at)) - (limited?.at ?? 0)} ms)`)
  t.equal(vendor.overBudget(), 0, 'no 429 beyond the forced one')
})

t.test('Redis killed mid-sync: neither sync fails, both finish with every row', async (t) => {
  const redis = await redisFor(t)
  if (redis === undefined) return
  let killed: Promise<void> | undefined
  const vendor = await startPacedVendor({
    budget: 2,
    intervalMs: 1_000,
    items: PAGES * PAGE_SIZE,
    onArrival: (n) => { if (n === 4) killed = redis.kill() }
  })
  t.teardown(async () => { await vendor.close() })
  const [a, b] = await startReplicas(t, redis.url) as [Replica, Replica]
  const [linesA, linesB] = await Promise.all([syncForms(a, vendor), syncForms(b, vendor)])
  await killed
  t.ok(killed !== undefined, 'Redis was killed during the syncs')
  checkComplete(t, linesA, 'replica A')
  checkComplete(t, linesB, 'replica B')
  const fallbacks = (a.app.engine.sharedBudget?.counters.fallbackAdmissions ?? 0) + (b.app.engine.sharedBudget?.counters.fallbackAdmissions ?? 0)
  t.ok(fallbacks > 0, `${fallbacks} requests admitted on the local share`)
  t.equal(a.app.engine.sharedBudget?.counters.outages, 1, 'one outage on replica A')
  const ready = await (await fetch(`${a.url}/ready`)).json()
  t.same(ready, { status: 'ready', redis: { state: 'unavailable', budgets: 'local_share', replicas: 2 } }, '/ready: still ready, on the local share')
  t.equal(vendor.overBudget(), 0, 'the local share kept within the budget too')
})
