/**
 * Scenario 3: fan-out. 500 parents (5 Link pages of 100), one child request per parent, 20 ms per
 * request. (a) Under a budget the fake enforces (sliding window: at most B = 100 requests in any second,
 * 429 + Retry-After beyond): achieved request rate as a share of B, 429s counted at the fake, wall
 * time against the ideal (requests ÷ B). (b) Without a budget: speed-up over a sequential loop.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { Agent, request } from 'undici'
import { runSignal, url, type BenchContext } from '../lib/context.js'
import type { ReportLine, ScenarioReport } from '../lib/report.js'
import { fmt, interleave, median, ratio, type Sample } from '../lib/stats.js'
import { nextLink, MAX_PAGES } from '../peers/link-list.js'
import { engineInProcess, serviceSync } from '../peers/ours.js'
import { summarize } from './link-list.js'

const CHILD_ROWS = 5
const LATENCY_MS = 20
const WINDOW_MS = 1000
const UNBUDGETED_CONCURRENCY = 16
/** The budget the fake enforces and the engine is told. */
const BUDGET_PER_SECOND = 100
/** The sequential loop takes ~10 s a run (500 × 20 ms): fewer rounds, and no warm-up run for it. */
const UNBUDGETED_ROUNDS = 3

interface FanOutStats { requests: number, accepted: number, rejected: number, childRequests: number, maxInFlight: number, maxEarlyMs: number, spanMs: number }

export async function fanOutScenario (ctx: BenchContext): Promise<ScenarioReport> {
  const fake = await ctx.fake('fanout')
  const service = await ctx.service()
  const base = url(fake)
  const parents = ctx.quick ? 100 : 500
  const budget = BUDGET_PER_SECOND
  const expectRows = parents * CHILD_ROWS
  const lines: ReportLine[] = []
  const notes: string[] = []

  // (a) Under a budget: each run with fresh limiters, after the fake's window has emptied.
  await fake.call('configure', { parents, childRows: CHILD_ROWS, latencyMs: LATENCY_MS, budget, windowMs: WINDOW_MS })
  const budgeted: Sample[] = []
  let budgetError: string | undefined
  for (let i = 0; i < ctx.rounds + 1 && budgetError === undefined; i++) {
    await sleep(WINDOW_MS + 100)
    await fake.call('reset')
    const services = ctx.freshEngine()
    try {
      const started = performance.now()
      const rows = await engineInProcess(services, base, { table: 'children', budgetPerSecond: budget, concurrency: UNBUDGETED_CONCURRENCY }, runSignal(180_000))
      const ms = performance.now() - started
      const stats = await fake.call<FanOutStats>('stats')
      if (rows !== expectRows) throw new Error(`produced ${rows} rows, expected ${expectRows}`)
      if (i > 0) budgeted.push({ ms, units: stats.accepted, extra: { ...stats } })
    } catch (error) {
      budgetError = error instanceof Error ? error.message : String(error)
    } finally {
      await services.close()
    }
  }
  const needed = Math.ceil(parents / 100) + parents
  const idealMs = needed / budget * 1000
  // A sliding window lets a whole window's budget go at once: the fastest legal run is shorter than ideal.
  const fastestMs = (Math.ceil(needed / budget) - 1) * WINDOW_MS + LATENCY_MS
  const rates = budgeted.map((s) => s.units / (s.ms / 1000))
  const share = median(rates) / budget
  const rejected = budgeted.map((s) => s.extra?.rejected ?? 0)
  const totalRejected = rejected.reduce((a, b) => a + b, 0)
  if (budgetError !== undefined) notes.push(`budgeted engine run failed: ${budgetError}`)
  lines.push({
    label: `engine, budget ${budget} req/s (${parents} parents, ${needed} requests)`,
    value: budgetError === undefined ? `${fmt(median(rates), 1)} req/s = ${fmt(share * 100, 1)} % of budget` : 'FAILED',
    target: '≥ 95 % of budget',
    met: share >= 0.95
  })
  const earliest = Math.max(0, ...budgeted.map((s) => s.extra?.maxEarlyMs ?? 0))
  lines.push({
    label: '  429s from the fake (all measured runs)',
    value: `${totalRejected} (per run: ${rejected.join(', ')})${totalRejected > 0 ? `, at most ${fmt(earliest, 1)} ms before a slot freed` : ''}`,
    target: '0',
    met: budgetError === undefined && totalRejected === 0
  })
  lines.push({
    label: '  wall time vs ideal (requests ÷ budget)',
    value: `${fmt(median(budgeted.map((s) => s.ms)))} ms vs ${fmt(idealMs)} ms (fastest the fake allows: ${fmt(fastestMs)} ms)`,
    vs: ratio(median(budgeted.map((s) => s.ms)), idealMs) + ' ideal'
  })

  // (b) Without a budget: declared fan-out concurrency against a sequential loop.
  await fake.call('configure', { budget: 0 })
  const withStats = async (fn: () => Promise<number>): Promise<Sample> => {
    await fake.call('reset')
    const started = performance.now()
    const units = await fn()
    const ms = performance.now() - started
    return { ms, units, extra: { maxInFlight: (await fake.call<FanOutStats>('stats')).maxInFlight } }
  }
  const free = await interleave([
    { name: 'sequential undici loop', run: async () => await withStats(async () => await sequentialFanOut(base, ctx.agent, runSignal())) },
    { name: 'engine in-process', run: async () => await withStats(async () => await engineInProcess(ctx.engine(), base, { table: 'children', concurrency: UNBUDGETED_CONCURRENCY }, runSignal())) },
    { name: 'service end to end', run: async () => await withStats(async () => (await serviceSync(service.port, ctx.agent, base, { table: 'children', concurrency: UNBUDGETED_CONCURRENCY }, runSignal())).records) }
  ], Math.min(ctx.rounds, UNBUDGETED_ROUNDS), { warmup: 1, expectUnits: expectRows, noWarmup: ['sequential undici loop'] })
  const sequentialMs = free.find((r) => r.name === 'sequential undici loop')?.medianMs ?? Number.NaN
  for (const r of free) {
    const inFlight = Math.max(...r.samples.map((s) => s.extra?.maxInFlight ?? 0))
    lines.push({
      label: `${r.name}, no budget (concurrency ${r.name.startsWith('seq') ? 1 : UNBUDGETED_CONCURRENCY})`,
      value: r.error === undefined ? `${fmt(r.medianMs)} ms, ≤${inFlight} in flight` : 'FAILED',
      vs: r.name.startsWith('seq') ? '' : `${ratio(sequentialMs, r.medianMs)} speed-up`
    })
    if (r.error !== undefined) notes.push(`${r.name} (no budget) failed: ${r.error}`)
  }
  return {
    id: '3',
    title: `Fan-out (${parents} parents, ${LATENCY_MS} ms per request)`,
    lines,
    notes,
    data: { parents, budget, needed, idealMs, budgeted: budgeted.map((s) => ({ ms: s.ms, ...s.extra })), unbudgeted: summarize(free) }
  }
}

/** What a user writes without the engine: list the parents, then each parent's children, one by one. */
async function sequentialFanOut (base: string, dispatcher: Agent, signal: AbortSignal): Promise<number> {
  const ids: number[] = []
  let next: string | null = `${base}/parents`
  for (let pages = 0; next !== null && pages < MAX_PAGES; pages++) {
    const response = await request(next, { dispatcher, signal })
    if (response.statusCode !== 200) { await response.body.dump(); throw new Error(`parents: HTTP ${response.statusCode}`) }
    for (const parent of await response.body.json() as Array<{ id: number }>) ids.push(parent.id)
    next = nextLink(response.headers.link, next)
  }
  let rows = 0
  for (const id of ids) {
    const response = await request(`${base}/parents/${id}/children`, { dispatcher, signal })
    if (response.statusCode !== 200) { await response.body.dump(); throw new Error(`children: HTTP ${response.statusCode}`) }
    rows += (await response.body.json() as unknown[]).length
  }
  return rows
}
