/** Several rate windows for one class (burst + steady), composed from one limiter per window; counted at a loopback fake. */
import t from 'tap'
import { LimiterRegistry } from '../../src/engine/rate-limit.js'
import { budgetWindows, composeLimiters, windowOrder } from '../../src/engine/rate-windows.js'
import { startRestFake } from '../fakes/rest-fake.js'
import { peakInWindow, testRun, testServices } from './helpers.js'

// Arrival times are taken at the fake, which shares the event loop with the client: like rate-limit.test.ts,
// the windows checked are shortened by a jitter allowance; the limiter's own guarantee is exact.
const BURST = { reservoir: 3, intervalMs: 250 }
const STEADY = { reservoir: 5, intervalMs: 1_000 }
const JITTER_MS = 100

t.test('a class with a burst and a steady window holds both, counted per window at the fake', async (t) => {
  const fake = await startRestFake({ 'GET /burst': () => ({ json: {} }), 'GET /other': () => ({ json: {} }) })
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const client = services.createClient({
    source: 'Windows', baseUrl: fake.url, auth: { type: 'none' },
    budgets: { default: { maxConcurrent: 50 }, profiles: [BURST, STEADY] }
  }, testRun())
  await Promise.all([
    ...Array.from({ length: 8 }, async () => await client.request({ method: 'GET', path: '/burst' }, { rateLimitClass: 'profiles' })),
    ...Array.from({ length: 8 }, async () => await client.request({ method: 'GET', path: '/other' }))
  ])
  const times = fake.hits('/burst').map((r) => r.at)
  t.equal(times.length, 8)
  t.ok(peakInWindow(times, BURST.intervalMs - JITTER_MS) <= BURST.reservoir, `burst: peak ${peakInWindow(times, BURST.intervalMs - JITTER_MS)} per ${BURST.intervalMs} ms`)
  t.ok(peakInWindow(times, STEADY.intervalMs - JITTER_MS) <= STEADY.reservoir, `steady: peak ${peakInWindow(times, STEADY.intervalMs - JITTER_MS)} per ${STEADY.intervalMs} ms`)
  t.ok(Math.max(...times) - Math.min(...times) >= STEADY.intervalMs - JITTER_MS, 'eight requests at five a second wait for the steady window')
  const other = fake.hits('/other').map((r) => r.at)
  t.ok(Math.max(...other) - Math.min(...other) < BURST.intervalMs, 'another class is not held by these windows')
})

t.test('composition: the longest window outermost, pauses and header observations reach every window', async (t) => {
  t.same(windowOrder([BURST, STEADY, { maxConcurrent: 2 }]), [1, 0, 2])
  t.same(budgetWindows(undefined), [{}])
  t.same(budgetWindows(BURST), [BURST])
  t.same(budgetWindows([BURST, STEADY]), [BURST, STEADY])
  const registry = new LimiterRegistry()
  t.teardown(async () => { await registry.close() })
  const burst = registry.get('S', 'fp', 'c#0', BURST)
  const steady = registry.get('S', 'fp', 'c#1', STEADY)
  const both = composeLimiters([steady, burst])
  t.equal(composeLimiters([burst]), burst, 'one window: the limiter itself')
  const signal = new AbortController().signal
  const order: string[] = []
  t.equal(await both.schedule(async () => { order.push('task'); return 42 }, signal), 42)
  t.same(order, ['task'])
  const started = Date.now()
  both.pauseUntil(started + 120)
  await burst.schedule(async () => { order.push('burst after pause') }, signal)
  t.ok(Date.now() - started >= 100, 'a pause through the composite holds each window')
  both.observe({ 'ratelimit-remaining': '0', 'ratelimit-reset': '0.12' }, { remaining: 'RateLimit-Remaining', reset: 'RateLimit-Reset', resetKind: 'delta_seconds' })
  const observed = Date.now()
  await steady.schedule(async () => undefined, signal)
  t.ok(Date.now() - observed >= 100, 'remaining 0 seen through the composite pauses the steady window too')
  const cancelled = new AbortController()
  cancelled.abort()
  await t.rejects(both.schedule(async () => undefined, cancelled.signal), { name: 'AbortedError' })
})
