/**
 * What the shared (Redis) window costs per request, against the in-process limiter, side by side:
 * (a) limiter only: sequential no-op jobs through one limiter with a budget it never reaches;
 * (b) client requests to a loopback keep-alive server (the real path: limiter + undici + JSON), at
 *     concurrency 1 and 16. Rounds interleave the two modes; each figure is the median of 5 rounds.
 * Usage: `npx tsx bench/redis/admission.ts` (needs redis-server; not part of `npm run bench`).
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import pino from 'pino'
import { LimiterRegistry } from '../../src/engine/rate-limit.js'
import { createEngineServices, type EngineServices } from '../../src/engine/services.js'
import { SharedBudgetStore } from '../../src/engine/shared-budget.js'
import { startRedis } from '../../test/helpers/redis-server.js'

const ROUNDS = 5
const JOBS = 3_000
const REQUESTS = 2_000
const BUDGET = { reservoir: 1_000_000_000, intervalMs: 1_000 }
const silent = pino({ level: 'silent' })

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

async function limiterRound (store: SharedBudgetStore | undefined, round: number): Promise<number> {
  const registry = new LimiterRegistry(60_000, store)
  const limiter = registry.get('Bench', `fp-${round}-${store === undefined ? 'local' : 'redis'}`, 'default', BUDGET)
  const signal = new AbortController().signal
  const started = performance.now()
  for (let i = 0; i < JOBS; i++) await limiter.schedule(async () => undefined, signal)
  const perJob = (performance.now() - started) * 1000 / JOBS
  await registry.close()
  return perJob
}

async function clientRound (services: EngineServices, url: string, concurrency: number, round: number): Promise<number> {
  const run = { signal: new AbortController().signal, log: silent }
  const client = services.createClient({ source: 'Bench', baseUrl: url, auth: { type: 'bearer', token: `t-${round}` }, budgets: { default: BUDGET } }, run)
  let next = 0
  const started = performance.now()
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next++ < REQUESTS) await client.request({ method: 'GET', path: '/ping' })
  }))
  return (performance.now() - started) * 1000 / REQUESTS
}

const redis = await startRedis()
const server = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}') })
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
const store = new SharedBudgetStore({ url: redis.url, keyPrefix: 'bench:', replicas: 2 }, silent)
await store.whenConnected(2_000)
const local = createEngineServices({ allowPrivateUpstreams: true })
const shared = createEngineServices({ allowPrivateUpstreams: true, sharedBudget: { url: redis.url, keyPrefix: 'bench:', replicas: 2 } })
await shared.sharedBudget?.whenConnected(2_000)
try {
  const figures: Record<string, number[]> = {}
  const add = (name: string, value: number): void => { (figures[name] ??= []).push(value) }
  await limiterRound(undefined, -1); await limiterRound(store, -1) // warm-up
  await clientRound(local, url, 1, -1); await clientRound(shared, url, 1, -2)
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ['local', 'redis'] as const : ['redis', 'local'] as const
    for (const mode of order) {
      add(`limiter ${mode}`, await limiterRound(mode === 'redis' ? store : undefined, round))
      add(`client c=1 ${mode}`, await clientRound(mode === 'redis' ? shared : local, url, 1, round * 10))
      add(`client c=16 ${mode}`, await clientRound(mode === 'redis' ? shared : local, url, 16, round * 10 + 1))
    }
  }
  if (store.counters.fallbackAdmissions + (shared.sharedBudget?.counters.fallbackAdmissions ?? 0) > 0) throw new Error('Redis fell back during the bench')
  for (const kind of ['limiter', 'client c=1', 'client c=16']) {
    const l = median(figures[`${kind} local`] ?? [])
    const r = median(figures[`${kind} redis`] ?? [])
    console.log(`${kind}: in-process ${l.toFixed(1)} µs/request, Redis ${r.toFixed(1)} µs/request (+${(r - l).toFixed(1)} µs, ${(l / r).toFixed(2)}× the in-process rate)`)
  }
} finally {
  await store.close()
  await local.close()
  await shared.close()
  server.close()
  await redis.stop()
}
