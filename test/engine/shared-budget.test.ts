/**
 * Budgets shared across replicas through a real redis-server: two engine service sets (two replicas)
 * with one credential against a vendor that enforces 2 requests/s; Redis keys hold no secret and
 * expire; Redis away at start and back later.
 */
import t from 'tap'
import { Redis } from 'ioredis'
import { fallbackBudget } from '../../src/engine/rate-limit.js'
import type { EngineServices } from '../../src/engine/services.js'
import { loadSettings, SettingsError } from '../../src/settings.js'
import { peakInWindow, startPacedVendor } from '../fakes/paced-vendor.js'
import { startRestFake, type FakeResponse } from '../fakes/rest-fake.js'
import { redisFor } from '../helpers/redis-server.js'
import { testRun, testServices } from './helpers.js'

const TOKEN = 'tfp_secret_canary_token_0042'
const BUDGET = { default: { reservoir: 2, intervalMs: 1_000 } }

function replica (url: string, prefix = 'test:'): EngineServices {
  return testServices({ sharedBudget: { url, keyPrefix: prefix, replicas: 2 } })
}

async function requests (services: EngineServices, baseUrl: string, n: number): Promise<void> {
  const client = services.createClient({ source: 'Paced', baseUrl, auth: { type: 'bearer', token: TOKEN }, budgets: BUDGET }, testRun())
  await Promise.all(Array.from({ length: n }, async (_, i) => await client.request({ method: 'GET', path: `/forms?page=${i + 1}&page_size=1` })))
}

t.test('two replicas with one credential share 2 requests/s: no 429, never over budget; keys hold no secret and expire', async (t) => {
  const redis = await redisFor(t)
  if (redis === undefined) return
  const vendor = await startPacedVendor({ budget: 2, intervalMs: 1_000, items: 100 })
  const a = replica(redis.url)
  const b = replica(redis.url)
  t.teardown(async () => { await a.close(); await b.close(); await vendor.close() })
  t.ok(await a.sharedBudget?.whenConnected(2_000), 'replica A connected')
  t.ok(await b.sharedBudget?.whenConnected(2_000), 'replica B connected')
  await Promise.all([requests(a, vendor.url, 4), requests(b, vendor.url, 4)])
  const times = vendor.arrivals.map((r) => r.at)
  t.equal(vendor.arrivals.length, 8, 'every request sent once')
  t.equal(vendor.overBudget(), 0, 'no 429')
  t.ok(peakInWindow(times, 1_000) <= 2, `peak ${peakInWindow(times, 1_000)} per sliding second`)
  t.ok(Math.max(...times) - Math.min(...times) >= 3_000, 'eight requests at 2/s take three more windows')
  t.ok((a.sharedBudget?.counters.waits ?? 0) + (b.sharedBudget?.counters.waits ?? 0) > 0, 'waits on the shared window are counted')
  t.equal(a.sharedBudget?.counters.fallbackAdmissions, 0)

  const inspect = new Redis(redis.url)
  t.teardown(() => { inspect.disconnect() })
  const keys = await inspect.keys('test:*')
  t.ok(keys.length >= 2, `keys: ${keys.join(', ')}`)
  t.ok(keys.every((k) => k.startsWith('test:rl:{Paced:') && !k.includes(TOKEN)), 'keyed by source and fingerprint, never the secret')
  for (const key of keys) {
    const ttl = await inspect.pttl(key)
    t.ok(ttl > 0 && ttl <= 1_005 + 30_000, `${key} expires (${ttl} ms)`)
  }
  const dump = JSON.stringify(await Promise.all(keys.map(async (k) => await inspect.type(k) === 'hash' ? await inspect.hgetall(k) : await inspect.zrange(k, 0, -1))))
  t.notOk(dump.includes(TOKEN), 'no value holds the secret')
})

t.test('Redis away at start: syncs go on within the local share, logged once; Redis back: shared again', async (t) => {
  const redis = await redisFor(t)
  if (redis === undefined) return
  await redis.kill()
  const vendor = await startPacedVendor({ budget: 2, intervalMs: 1_000, items: 100 })
  const lines: string[] = []
  const pino = (await import('pino')).default
  const a = testServices({ sharedBudget: { url: redis.url, keyPrefix: 'down:', replicas: 2 }, log: pino({ level: 'info' }, { write: (l: string) => { lines.push(l) } }) })
  t.teardown(async () => { await a.close(); await vendor.close() })
  t.equal(await a.sharedBudget?.whenConnected(1_000), false, 'not connected')
  t.equal(a.sharedBudget?.state, 'unavailable')
  await requests(a, vendor.url, 3)
  t.equal(vendor.arrivals.length, 3)
  const times = vendor.arrivals.map((r) => r.at)
  t.ok(peakInWindow(times, 1_000) <= 1, 'the local share is half the budget (RATE_LIMIT_REPLICAS 2)')
  t.equal(a.sharedBudget?.counters.fallbackAdmissions, 3)
  t.equal(lines.filter((l) => l.includes('Redis unreachable')).length, 1, 'logged once')
  t.notOk(lines.join('').includes(redis.url), 'the URL is never logged')

  await redis.restart()
  for (let i = 0; i < 100 && a.sharedBudget?.state !== 'connected'; i++) await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(a.sharedBudget?.state, 'connected', 'reconnected')
  t.equal(lines.filter((l) => l.includes('Redis reachable again')).length, 1, 'the recovery is logged')
  await requests(a, vendor.url, 2)
  t.equal(vendor.arrivals.length, 5)
  t.equal(a.sharedBudget?.counters.fallbackAdmissions, 3, 'admitted through Redis again')
  t.equal(vendor.overBudget(), 0)
})

t.test('REDIS_URL and RATE_LIMIT_REPLICAS: read from the environment, bad values named but never echoed', async (t) => {
  const settings = loadSettings({ REDIS_URL: 'redis://:pw-in-url@127.0.0.1:6390/2', RATE_LIMIT_REPLICAS: '3' })
  t.equal(settings.REDIS_URL, 'redis://:pw-in-url@127.0.0.1:6390/2')
  t.equal(settings.RATE_LIMIT_REPLICAS, 3)
  t.equal(loadSettings({}).REDIS_URL, '', 'off by default')
  for (const [env, name] of [[{ REDIS_URL: 'http://:hunter2@127.0.0.1' }, 'REDIS_URL'], [{ RATE_LIMIT_REPLICAS: '0' }, 'RATE_LIMIT_REPLICAS']] as const) {
    try {
      loadSettings(env)
      t.fail('accepted')
    } catch (error) {
      t.ok(error instanceof SettingsError)
      t.match((error as SettingsError).problems.join('\n'), new RegExp(`^${name}`))
      t.notOk((error as Error).message.includes('hunter2'), 'the value is not echoed')
    }
  }
})

t.test('the local share while Redis is away: each budget divided by the replica count, never below one', async (t) => {
  t.same(fallbackBudget({ reservoir: 2, intervalMs: 1_000 }, 2), { reservoir: 1, intervalMs: 1_000 })
  t.same(fallbackBudget({ reservoir: 5, intervalMs: 1_000, maxConcurrent: 4, minTimeMs: 10 }, 3), { reservoir: 1, intervalMs: 1_000, maxConcurrent: 1, minTimeMs: 30 })
  t.same(fallbackBudget({ reservoir: 1, intervalMs: 1_000 }, 4), { reservoir: 1, intervalMs: 1_000 }, 'one request per window at least')
  t.same(fallbackBudget({}, 2), {})
})

t.test('maxConcurrent holds across replicas: at most one request in flight at the vendor', async (t) => {
  const redis = await redisFor(t)
  if (redis === undefined) return
  let inflight = 0
  let peak = 0
  const vendor = await startRestFake({
    'GET /slow': async () => {
      inflight++; peak = Math.max(peak, inflight)
      await new Promise((resolve) => setTimeout(resolve, 40))
      inflight--
      return { json: {} }
    }
  })
  const a = replica(redis.url, 'conc:')
  const b = replica(redis.url, 'conc:')
  t.teardown(async () => { await a.close(); await b.close(); await vendor.close() })
  await a.sharedBudget?.whenConnected(2_000)
  await b.sharedBudget?.whenConnected(2_000)
  const options = { source: 'C', baseUrl: vendor.url, auth: { type: 'bearer' as const, token: TOKEN }, budgets: { default: { maxConcurrent: 1 } } }
  const ca = a.createClient(options, testRun())
  const cb = b.createClient(options, testRun())
  await Promise.all([
    ...Array.from({ length: 4 }, async () => await ca.request({ method: 'GET', path: '/slow' })),
    ...Array.from({ length: 4 }, async () => await cb.request({ method: 'GET', path: '/slow' }))
  ])
  t.equal(vendor.hits('/slow').length, 8)
  t.equal(peak, 1, 'one in flight across both replicas')
})

t.test('remaining 0 seen by one replica pauses the other until the reset', async (t) => {
  const redis = await redisFor(t)
  if (redis === undefined) return
  let resetAt = 0
  const vendor = await startRestFake({
    'GET /ping': (_req, f): FakeResponse => {
      if (f.requests.length === 1) {
        resetAt = Date.now() + 800
        return { headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(resetAt / 1000) }, json: {} }
      }
      return { headers: { 'x-ratelimit-remaining': '100' }, json: {} }
    }
  })
  const a = replica(redis.url, 'hdr:')
  const b = replica(redis.url, 'hdr:')
  t.teardown(async () => { await a.close(); await b.close(); await vendor.close() })
  await a.sharedBudget?.whenConnected(2_000)
  await b.sharedBudget?.whenConnected(2_000)
  const options = { source: 'H', baseUrl: vendor.url, auth: { type: 'bearer' as const, token: TOKEN }, rateLimitHeaders: { remaining: 'X-RateLimit-Remaining', reset: 'X-RateLimit-Reset' } }
  await a.createClient(options, testRun()).request({ method: 'GET', path: '/ping' })
  await b.createClient(options, testRun()).request({ method: 'GET', path: '/ping' })
  t.ok((vendor.requests[1]?.at ?? 0) >= resetAt - 20, `replica B waited for the reset A saw (${(vendor.requests[1]?.at ?? 0) - resetAt} ms)`)
})

t.test('a Redis failover (empty after restart) does not shorten a 429 pause: replicas that saw it publish it again', async (t) => {
  const redis = await redisFor(t)
  if (redis === undefined) return
  const vendor = await startRestFake({
    'GET /ping': (_req, f): FakeResponse => f.requests.length === 1 ? { status: 429, headers: { 'retry-after': '2' }, json: {} } : { json: {} }
  })
  const a = replica(redis.url, 'fo:')
  t.teardown(async () => { await a.close(); await vendor.close() })
  await a.sharedBudget?.whenConnected(2_000)
  const options = { source: 'F', baseUrl: vendor.url, auth: { type: 'bearer' as const, token: TOKEN } }
  const first = a.createClient(options, testRun()).request({ method: 'GET', path: '/ping' })
  for (let i = 0; i < 100 && vendor.requests.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10))
  const limitedAt = vendor.requests[0]?.at ?? 0
  await redis.kill()
  await redis.restart()
  for (let i = 0; i < 100 && a.sharedBudget?.state !== 'connected'; i++) await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal(a.sharedBudget?.state, 'connected', 'replica A reconnected to the empty Redis')
  // Replica B starts now: it never saw the 429, and the Redis it talks to was empty.
  const b = replica(redis.url, 'fo:')
  t.teardown(async () => { await b.close() })
  t.ok(await b.sharedBudget?.whenConnected(2_000))
  await b.createClient(options, testRun()).request({ method: 'GET', path: '/ping' })
  await first
  const later = vendor.requests.slice(1).map((r) => r.at - limitedAt)
  t.equal(later.length, 2, 'A retried, B sent its request')
  t.ok(later.every((ms) => ms >= 2_000 - 10), `nobody before the 2 s Retry-After ran out (${later.join(', ')} ms after the 429)`)
})
