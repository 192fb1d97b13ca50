/** Retries and typed errors against a loopback fake: 429/Retry-After, reset headers, 5xx, resets, truncated JSON, 401. */
import t, { type Test } from 'tap'
import type { Endpoint } from '../../src/engine/declarations.js'
import { backoffMs, DEFAULT_RETRY, retryAfterMs, waitBeforeRetry } from '../../src/engine/retry.js'
import { UpstreamAuthError, UpstreamHttpError, UpstreamRaisedError, UpstreamResponseError } from '../../src/errors.js'
import { startRestFake, type FakeResponse, type RestFake } from '../fakes/rest-fake.js'
import { collect, testRun, testServices } from './helpers.js'

const ok: FakeResponse = { json: [{ id: 1 }, { id: 2 }] }
const endpoint: Endpoint = { name: 'items', primaryKeys: ['id'], path: '/items', paginator: { type: 'single_page' } }

/** A fake answering /items with the given responses in order (a function: made when its request arrives), then `ok`. */
async function sequence (t: Test, responses: Array<FakeResponse | (() => FakeResponse)>): Promise<RestFake> {
  let i = 0
  const fake = await startRestFake({
    'GET /items': () => {
      const next = responses[i++] ?? ok
      return typeof next === 'function' ? next() : next
    }
  })
  t.teardown(async () => { await fake.close() })
  return fake
}

function setup (t: Test, fake: RestFake, extra: Record<string, unknown> = {}) {
  const services = testServices()
  t.teardown(async () => { await services.close() })
  const run = testRun()
  const client = services.createClient({ source: 'Test', baseUrl: fake.url, auth: { type: 'bearer', token: 'canary-token-123456' }, ...extra }, run)
  return { client, run }
}

t.test('429 with Retry-After waits that long, then succeeds', async (t) => {
  const fake = await sequence(t, [{ status: 429, headers: { 'retry-after': '1' }, json: { message: 'slow down' } }])
  const { client, run } = setup(t, fake)
  const { rows } = await collect(client.pages(endpoint))
  t.equal(rows.length, 2)
  t.equal(fake.requests.length, 2)
  const gap = (fake.requests[1]?.at ?? 0) - (fake.requests[0]?.at ?? 0)
  t.ok(gap >= 950, `waited ${gap} ms`)
  const wait = run.events.find((e) => e.event === 'rate_limit_wait')
  t.match(wait, { level: 'warn', resource: 'items', status: 429, reason: 'retry_after', waitMs: 1000 })
})

t.test('rate-limited 403 with remaining 0 waits for the declared reset header (GitHub)', async (t) => {
  // The reset is 300 ms after the limited request reaches the fake (not after the test set up: a loaded machine may
  // take longer than the margin to send the first request).
  const fake = await sequence(t, [() => ({
    status: 403,
    headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String((Date.now() + 300) / 1000) },
    json: { message: 'API rate limit exceeded' }
  })])
  const { client, run } = setup(t, fake, {
    rateLimitHeaders: { remaining: 'x-ratelimit-remaining', reset: 'x-ratelimit-reset', resetKind: 'epoch_seconds' },
    rateLimitStatuses: [403]
  })
  const { rows } = await collect(client.pages(endpoint))
  t.equal(rows.length, 2)
  const gap = (fake.requests[1]?.at ?? 0) - (fake.requests[0]?.at ?? 0)
  t.ok(gap >= 200, `waited ${gap} ms for the reset`)
  t.match(run.events.find((e) => e.event === 'rate_limit_wait'), { reason: 'reset_header', status: 403 })
})

t.test('403 without rate-limit signs is an auth error after one attempt', async (t) => {
  const fake = await sequence(t, [{ status: 403, headers: { 'x-ratelimit-remaining': '4999' }, json: { message: 'Resource not accessible by integration' } }])
  const { client } = setup(t, fake, { rateLimitHeaders: { remaining: 'x-ratelimit-remaining' }, rateLimitStatuses: [403] })
  await t.rejects(collect(client.pages(endpoint)), UpstreamAuthError)
  t.equal(fake.requests.length, 1)
})

t.test('5xx then success', async (t) => {
  const fake = await sequence(t, [{ status: 502, text: 'bad gateway' }, { status: 503, json: {} }, { status: 500, json: {} }, { status: 504, json: {} }])
  const { client, run } = setup(t, fake)
  const { rows } = await collect(client.pages(endpoint))
  t.equal(rows.length, 2)
  t.equal(fake.requests.length, 5)
  t.same(run.events.filter((e) => e.event === 'retry').map((e) => e.status), [502, 503, 500, 504])
})

t.test('a 5xx backs off even when the API sends a rate-limit reset header on every response', async (t) => {
  const farReset = String(Math.floor(Date.now() / 1000) + 3600)
  const fake = await sequence(t, [{ status: 502, headers: { 'x-ratelimit-remaining': '4000', 'x-ratelimit-reset': farReset }, json: {} }])
  const { client, run } = setup(t, fake, { rateLimitHeaders: { remaining: 'x-ratelimit-remaining', reset: 'x-ratelimit-reset' }, rateLimitStatuses: [403] })
  t.equal((await collect(client.pages(endpoint))).rows.length, 2)
  t.match(run.events.find((e) => e.event === 'retry'), { status: 502, reason: 'backoff' })
})

t.test('5xx forever gives up after 5 attempts with a retryable error', async (t) => {
  const fake = await sequence(t, Array.from({ length: 10 }, () => ({ status: 500, json: { message: 'boom' } })))
  const { client } = setup(t, fake)
  const error = await collect(client.pages(endpoint)).catch((e: unknown) => e)
  t.type(error, UpstreamHttpError)
  t.match(error, { status: 500, retryable: true, url: `${fake.url}/items` })
  t.equal(fake.requests.length, 5)
})

t.test('connection reset mid-body is retried', async (t) => {
  const big = { json: Array.from({ length: 200 }, (_, i) => ({ id: i, pad: 'x'.repeat(50) })) }
  const fake = await sequence(t, [{ ...big, resetAfterBytes: 100 }, big])
  const { client, run } = setup(t, fake)
  const { rows } = await collect(client.pages(endpoint))
  t.equal(rows.length, 200)
  t.equal(fake.requests.length, 2)
  t.ok(run.events.some((e) => e.event === 'retry'))
})

t.test('truncated JSON is retried, and fails clearly when it persists', async (t) => {
  const fake = await sequence(t, [{ text: '[{"id": 1}, {"id"' }])
  const { client } = setup(t, fake)
  t.equal((await collect(client.pages(endpoint))).rows.length, 2)
  t.equal(fake.requests.length, 2)

  const always = await startRestFake({ 'GET /items': () => ({ text: '{"data": [' }) })
  t.teardown(async () => { await always.close() })
  const second = setup(t, always)
  await t.rejects(collect(second.client.pages(endpoint)), UpstreamResponseError)
  t.equal(always.requests.length, 5)
})

t.test('401 fails after exactly one attempt; errors carry status and a redacted URL, never the secret', async (t) => {
  const fake = await sequence(t, [{ status: 401, json: { message: 'Bad credentials for canary-token-123456' } }])
  const services = testServices()
  t.teardown(async () => { await services.close() })
  const run = testRun()
  const client = services.createClient({ source: 'Test', baseUrl: fake.url, auth: { type: 'api_key', name: 'api_key', key: 'canary-token-123456', in: 'query' } }, run)
  const error = await client.request({ method: 'GET', path: '/items', params: { q: 'x' } }).catch((e: unknown) => e) as UpstreamAuthError
  t.type(error, UpstreamAuthError)
  t.equal(error.status, 401)
  t.equal(error.url, `${fake.url}/items`)
  t.equal(fake.requests.length, 1)
  t.equal(fake.requests[0]?.query.get('api_key'), 'canary-token-123456', 'key sent in the query')
  t.notMatch(error.message, /canary-token/)
  t.match(error.message, /Bad credentials/)
  t.notOk(run.logs.some((l) => l.includes('canary-token')), 'no log line carries the secret')
})

t.test('other 4xx fail at once; acceptStatuses returns them', async (t) => {
  const fake = await sequence(t, [{ status: 404, json: { message: 'Not Found' } }, { status: 404, json: { message: 'Not Found' } }])
  const { client } = setup(t, fake)
  const notFound = await client.request({ method: 'GET', path: '/items' }).catch((e: unknown) => e)
  t.match(notFound, { status: 404, retryable: false })
  t.type(notFound, UpstreamHttpError)
  const result = await client.request({ method: 'GET', path: '/items' }, { acceptStatuses: [404] })
  t.equal(result.status, 404)
  t.equal(fake.requests.length, 2)
})

t.test('response actions: ignore, retry on content, raise', async (t) => {
  const fake = await sequence(t, [
    { status: 200, json: { error: 'temporarily unavailable' } },
    { status: 200, json: [{ id: 1 }] },
    { status: 404, json: { message: 'Not Found' } },
    { status: 400, json: { code: 'DISABLED' } }
  ])
  const { client, run } = setup(t, fake)
  const declared: Endpoint = {
    ...endpoint,
    responseActions: [
      { content: 'temporarily unavailable', action: 'retry' },
      { status: 404, action: 'ignore' },
      { jsonField: 'code', jsonValues: ['DISABLED'], action: 'raise', message: 'The export is disabled for this account.' }
    ]
  }
  t.same((await collect(client.pages(declared))).rows, [{ id: 1 }], 'retried on content')
  const ignored = await collect(client.pages(declared))
  t.same(ignored.rows, [])
  t.equal(ignored.pages[0]?.state, null)
  t.match(run.events.find((e) => e.event === 'response_ignored'), { resource: 'items', status: 404 })
  await t.rejects(collect(client.pages(declared)), new UpstreamRaisedError('The export is disabled for this account.'))
})

t.test('wait policy: Retry-After seconds and dates, backoff bounds, 300 s cap', async (t) => {
  const now = Date.UTC(2024, 0, 1)
  t.equal(retryAfterMs({ 'retry-after': '7' }, now), 7000)
  t.equal(retryAfterMs({ 'retry-after': new Date(now + 30_000).toUTCString() }, now), 30_000)
  t.equal(retryAfterMs({ 'retry-after': 'soon' }, now), undefined)
  t.equal(waitBeforeRetry(1, { 'retry-after': '9999' }, undefined, DEFAULT_RETRY, now).ms, 300_000)
  t.same(waitBeforeRetry(1, { 'x-sentry-rate-limit-reset': String(now / 1000 + 12) }, { reset: 'X-Sentry-Rate-Limit-Reset' }, DEFAULT_RETRY, now), { ms: 12_000, reason: 'reset_header' })
  for (let attempt = 1; attempt <= 10; attempt++) {
    const expected = Math.min(2 ** (attempt - 1), 60) * 1000
    t.ok(backoffMs(attempt, DEFAULT_RETRY, () => 0) >= expected * 0.8 && backoffMs(attempt, DEFAULT_RETRY, () => 1) <= expected * 1.2, `attempt ${attempt}`)
  }
})

t.test('a headers timeout is retried', async (t) => {
  // undici arms headers timeouts on its coarse (~0.5 s tick) timer wheel, hence the long delay.
  const fake = await sequence(t, [{ ...ok, delayMs: 1600 }])
  const services = testServices({ headersTimeoutMs: 100 })
  t.teardown(async () => { await services.close() })
  const run = testRun()
  const client = services.createClient({ source: 'T', baseUrl: fake.url, auth: { type: 'none' } }, run)
  t.equal((await collect(client.pages(endpoint))).rows.length, 2)
  t.match(run.events.find((e) => e.event === 'retry'), { reason: /UND_ERR_HEADERS_TIMEOUT/ })
})

t.test('an oversized body fails clearly without retries', async (t) => {
  const fake = await sequence(t, [{ json: Array.from({ length: 100 }, (_, i) => ({ id: i, pad: 'x'.repeat(100) })) }])
  const services = testServices({ maxResponseBytes: 1024 })
  t.teardown(async () => { await services.close() })
  const client = services.createClient({ source: 'T', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
  await t.rejects(collect(client.pages(endpoint)), UpstreamResponseError)
  t.equal(fake.requests.length, 1)
})

t.test('an API key sent in the query never reaches result URLs or resume state', async (t) => {
  const fake = await startRestFake({
    'GET /list': (req) => {
      const page = Number(req.query.get('page') ?? '1')
      return { json: { data: [{ id: page }], next: page < 2 ? `?page=${page + 1}` : null } }
    }
  })
  t.teardown(async () => { await fake.close() })
  const services = testServices()
  t.teardown(async () => { await services.close() })
  const client = services.createClient({ source: 'Q', baseUrl: fake.url, auth: { type: 'api_key', name: 'key', key: 'query-secret-77', in: 'query' } }, testRun())
  const list: Endpoint = { name: 'list', primaryKeys: ['id'], path: '/list', dataSelector: 'data', paginator: { type: 'next_url', path: 'next' } }
  const { pages, rows } = await collect(client.pages(list))
  t.same(rows, [{ id: 1 }, { id: 2 }])
  t.notMatch(JSON.stringify(pages.map((p) => p.state)), /query-secret/)
  t.equal(fake.requests[1]?.query.get('key'), 'query-secret-77', 'the key is still sent with the next request')
  t.notMatch((await client.request({ method: 'GET', path: '/list' })).url, /query-secret/)
})
