/** Limiter budgets asserted from request timestamps at a loopback fake; shared budgets; header-driven pauses; idle release. */
import t from 'tap'
import { LimiterRegistry } from '../../src/engine/rate-limit.js'
import { startRestFake, type FakeResponse } from '../fakes/rest-fake.js'
import { peakInWindow, testRun, testServices } from './helpers.js'

// 3 requests per 600 ms. Timestamps are taken at the fake, which shares the event loop with the
// client: assertions leave 150 ms for arrival jitter under load. The limiter's own start times are
// checked exactly in the next test.
const INTERVAL_MS = 600
const budget = { default: { reservoir: 3, intervalMs: INTERVAL_MS } }
const JITTER_MS = 150

/** Open the keep-alive sockets first, so connection set-up does not skew the first arrivals. */
async function warm (services: ReturnType<typeof testServices>, url: string): Promise<void> {
  const client = services.createClient({ source: 'Warm-up', baseUrl: url, auth: { type: 'none' } }, testRun())
  await Promise.all(Array.from({ length: 4 }, async () => await client.request({ method: 'GET', path: '/ping' })))
}

t.test('requests stay within the declared budget (timestamps at the fake)', async (t) => {
  const fake = await startRestFake({ 'GET /ping': (req) => ({ json: { who: req.headers.authorization ?? null } }) })
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  await warm(services, fake.url)
  const client = services.createClient({ source: 'Budgeted', baseUrl: fake.url, auth: { type: 'bearer', token: 'tok-one-111' }, budgets: budget }, testRun())
  await Promise.all(Array.from({ length: 9 }, async () => await client.request({ method: 'GET', path: '/ping' })))
  const times = fake.requests.filter((r) => r.headers.authorization !== undefined).map((r) => r.at)
  t.equal(times.length, 9)
  t.ok(peakInWindow(times, INTERVAL_MS - JITTER_MS) <= 3, `peak ${peakInWindow(times, INTERVAL_MS - JITTER_MS)} per window`)
  const span = Math.max(...times) - Math.min(...times)
  t.ok(span >= 2 * INTERVAL_MS - JITTER_MS, `9 requests at 3 per window need two refills (${span} ms)`)
})

t.test('the limiter starts at most `reservoir` tasks in any sliding interval, also with concurrency and minTime', async (t) => {
  const registry = new LimiterRegistry()
  t.teardown(async () => { await registry.close() })
  const signal = new AbortController().signal
  const limiter = registry.get('S', 'fp', 'default', { reservoir: 4, intervalMs: 200, maxConcurrent: 2, minTimeMs: 5 })
  const starts: number[] = []
  let inflight = 0
  let peak = 0
  await Promise.all(Array.from({ length: 14 }, async () => await limiter.schedule(async () => {
    starts.push(Date.now())
    inflight++; peak = Math.max(peak, inflight)
    await new Promise((resolve) => setTimeout(resolve, 10))
    inflight--
  }, signal)))
  t.ok(peakInWindow(starts, 200) <= 4, `peak ${peakInWindow(starts, 200)} starts per 200 ms`)
  t.ok(peak <= 2, 'max concurrent')
  const sorted = [...starts].sort((a, b) => a - b)
  t.ok(sorted.every((s, i) => i === 0 || s - (sorted[i - 1] as number) >= 4), 'min time between starts')
})

t.test('two concurrent runs with one credential share the budget; another credential does not', async (t) => {
  const fake = await startRestFake({ 'GET /ping': (req) => ({ json: { who: req.headers.authorization ?? null } }) })
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  await warm(services, fake.url)
  const options = { source: 'Budgeted', baseUrl: fake.url, auth: { type: 'bearer' as const, token: 'tok-shared-222' }, budgets: budget }
  const a = services.createClient(options, testRun())
  const b = services.createClient(options, testRun())
  const other = services.createClient({ ...options, auth: { type: 'bearer', token: 'tok-other-333' } }, testRun())
  await Promise.all([
    ...Array.from({ length: 4 }, async () => await a.request({ method: 'GET', path: '/ping' })),
    ...Array.from({ length: 4 }, async () => await b.request({ method: 'GET', path: '/ping' })),
    ...Array.from({ length: 3 }, async () => await other.request({ method: 'GET', path: '/ping' }))
  ])
  const shared = fake.requests.filter((r) => r.headers.authorization === 'Bearer tok-shared-222').map((r) => r.at)
  const separate = fake.requests.filter((r) => r.headers.authorization === 'Bearer tok-other-333').map((r) => r.at)
  t.equal(shared.length, 8)
  t.ok(peakInWindow(shared, INTERVAL_MS - JITTER_MS) <= 3, 'both runs together stay within 3 per window')
  t.ok(Math.max(...shared) - Math.min(...shared) >= 2 * INTERVAL_MS - JITTER_MS, 'eight requests of one credential need two refills')
  t.ok(Math.max(...separate) - Math.min(...separate) < INTERVAL_MS - JITTER_MS, 'the other credential has its own budget')
})

t.test('maxConcurrent bounds in-flight requests', async (t) => {
  let inflight = 0
  let peak = 0
  const fake = await startRestFake({
    'GET /slow': async () => {
      inflight++; peak = Math.max(peak, inflight)
      await new Promise((resolve) => setTimeout(resolve, 30))
      inflight--
      return { json: {} }
    }
  })
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const client = services.createClient({ source: 'C', baseUrl: fake.url, auth: { type: 'none' }, budgets: { default: { maxConcurrent: 2 } } }, testRun())
  await Promise.all(Array.from({ length: 8 }, async () => await client.request({ method: 'GET', path: '/slow' })))
  t.equal(peak, 2)
})

t.test('remaining 0 with a reset header pauses every request until the reset, before any 429', async (t) => {
  const run = testRun()
  let resetAt = 0
  const fake = await startRestFake({
    'GET /ping': (_req, f): FakeResponse => {
      if (f.requests.length === 1) {
        resetAt = Date.now() + 400
        return { headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(resetAt / 1000) }, json: {} }
      }
      return { headers: { 'x-ratelimit-remaining': '100' }, json: {} }
    }
  })
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const client = services.createClient({
    source: 'H', baseUrl: fake.url, auth: { type: 'none' },
    rateLimitHeaders: { remaining: 'X-RateLimit-Remaining', reset: 'X-RateLimit-Reset' }
  }, run)
  await client.request({ method: 'GET', path: '/ping' })
  await Promise.all([client.request({ method: 'GET', path: '/ping' }), client.request({ method: 'GET', path: '/ping' })])
  for (const r of fake.requests.slice(1)) t.ok(r.at >= resetAt - 20, 'waited for the reset')
  // The pause is reported once (for /metrics and the stream's event lines), as the answered request's.
  const waits = run.events.filter((e) => e.event === 'rate_limit_wait')
  t.equal(waits.length, 1)
  t.match(waits[0], { level: 'warn', status: 200, attempt: 1, reason: 'remaining_exhausted' })
  t.ok(Number(waits[0]?.waitMs) > 0 && Number(waits[0]?.waitMs) <= 400, 'the wait is the time to the reset')
})

t.test('responses repeating a pause already in force do not count it again', async (t) => {
  const resetAt = Date.now() + 300
  const fake = await startRestFake({
    'GET /ping': (): FakeResponse => ({ headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(resetAt / 1000) }, json: {} })
  })
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const run = testRun()
  const client = services.createClient({
    source: 'H', baseUrl: fake.url, auth: { type: 'none' },
    rateLimitHeaders: { remaining: 'X-RateLimit-Remaining', reset: 'X-RateLimit-Reset' }
  }, run)
  // Three answered at once, each saying the same reset: one pause.
  await Promise.all([client.request({ method: 'GET', path: '/ping' }), client.request({ method: 'GET', path: '/ping' }), client.request({ method: 'GET', path: '/ping' })])
  t.equal(run.events.filter((e) => e.event === 'rate_limit_wait').length, 1)
})

t.test('a low remaining count spreads the rest of the window evenly', async (t) => {
  let resetAt = 0
  const fake = await startRestFake({
    'GET /ping': (_req, f): FakeResponse => {
      if (f.requests.length === 1) {
        resetAt = Date.now() + 600
        return { headers: { 'x-ratelimit-remaining': '3', 'x-ratelimit-reset': String(resetAt / 1000) }, json: {} }
      }
      return { json: {} }
    }
  })
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const client = services.createClient({
    source: 'H', baseUrl: fake.url, auth: { type: 'none' },
    rateLimitHeaders: { remaining: 'X-RateLimit-Remaining', reset: 'X-RateLimit-Reset' }
  }, testRun())
  await client.request({ method: 'GET', path: '/ping' })
  await Promise.all(Array.from({ length: 3 }, async () => await client.request({ method: 'GET', path: '/ping' })))
  const times = fake.requests.slice(1).map((r) => r.at).sort((a, b) => a - b)
  for (let i = 1; i < times.length; i++) t.ok((times[i] as number) - (times[i - 1] as number) >= 120, `spaced ${(times[i] as number) - (times[i - 1] as number)} ms`)
})

t.test('idle limiters are released', async (t) => {
  const registry = new LimiterRegistry(50)
  t.teardown(async () => { await registry.close() })
  const a = registry.get('S', 'fp', 'default', {})
  t.equal(registry.get('S', 'fp', 'default', {}), a, 'same key, same limiter')
  t.not(registry.get('S', 'other', 'default', {}), a, 'another credential, another limiter')
  t.equal(registry.size, 2)
  registry.sweep(Date.now() + 100)
  t.equal(registry.size, 0)
})

// A vendor counts a request when it arrives, which may be long after we admitted it (a loaded event loop,
// a slow network) while a later request arrives at once. The window is therefore anchored on the answer:
// whatever the delay between admission and arrival, arrivals stay within the budget. Deterministic: each
// task records its arrival before it answers, on the same clock as the limiter.
t.test('arrivals stay within the budget however late each request arrives after its admission', async (t) => {
  const registry = new LimiterRegistry()
  t.teardown(async () => { await registry.close() })
  const signal = new AbortController().signal
  const intervalMs = 200
  const limiter = registry.get('S', 'fp', 'default', { reservoir: 3, intervalMs })
  const arrivals: number[] = []
  const delay = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }
  // In every other window the last request admitted reaches the "vendor" 80 ms late (eight times the old margin of
  // 10 ms), the others at once: a window anchored on admission would let the next window's requests arrive too soon after it.
  await Promise.all(Array.from({ length: 12 }, async (_, i) => await limiter.schedule(async () => {
    await delay(Math.floor(i / 3) % 2 === 0 && i % 3 === 2 ? 80 : 0)
    arrivals.push(Date.now())
    await delay(2)
  }, signal)))
  t.equal(arrivals.length, 12)
  t.ok(peakInWindow(arrivals, intervalMs) <= 3, `peak ${peakInWindow(arrivals, intervalMs)} arrivals per ${intervalMs} ms`)
})

t.test('a window full of unanswered requests holds the next one until an answer, and cancellation ends the wait', async (t) => {
  const registry = new LimiterRegistry()
  t.teardown(async () => { await registry.close() })
  const signal = new AbortController().signal
  const limiter = registry.get('S', 'fp', 'default', { reservoir: 2, intervalMs: 20 })
  const answers: Array<() => void> = []
  const pending = async (): Promise<void> => { await new Promise<void>((resolve) => { answers.push(resolve) }) }
  const first = limiter.schedule(pending, signal)
  const second = limiter.schedule(pending, signal)
  let thirdStarted = 0
  const third = limiter.schedule(async () => { thirdStarted = Date.now() }, signal)
  const cancel = new AbortController()
  const cancelled = limiter.schedule(async () => { t.fail('a cancelled job must not start') }, cancel.signal)
  await new Promise((resolve) => setTimeout(resolve, 150))
  t.equal(thirdStarted, 0, 'not started while the window holds two unanswered requests, long after the interval')
  cancel.abort()
  await t.rejects(cancelled, { name: 'AbortedError' })
  const answeredAt = Date.now()
  answers[0]?.()
  await first
  await third
  t.ok(thirdStarted >= answeredAt + 20, `started ${thirdStarted - answeredAt} ms after the first answer (window 20 ms)`)
  answers[1]?.()
  await second
})
