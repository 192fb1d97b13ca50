/**
 * Scenario 2: a Typeform-style page-number list whose body says `page_count`, 20 ms per page. The
 * sequential peers (raw undici loop, got.paginate) against our engine, which may fetch known pages
 * concurrently while emitting rows in order; rows are checked for order (in-process and end to end)
 * as well as count.
 */
import { pageNumberPath } from '../fakes/page-number.js'
import { runSignal, url, type BenchContext } from '../lib/context.js'
import type { ReportLine, ScenarioReport } from '../lib/report.js'
import { fmt, interleave, ratio, type Sample } from '../lib/stats.js'
import { gotPageLoop, rawUndiciPageLoop } from '../peers/page-number.js'
import { serviceSync } from '../peers/ours.js'
import { BENCH_ENDPOINTS, clientOptionsFor, endpointFor } from '../service/endpoints.js'
import { pino } from 'pino'
import { summarize } from './link-list.js'

const silent = pino({ level: 'silent' })

export async function pageNumberScenario (ctx: BenchContext): Promise<ScenarioReport> {
  const fake = await ctx.fake('page')
  const service = await ctx.service()
  const base = url(fake)
  const dataset = { pages: ctx.quick ? 20 : 40, perPage: 100, rowBytes: 1000, latencyMs: 20 }
  const path = pageNumberPath(dataset)
  const run = { table: 'forms' as const, path }
  const expect = dataset.pages * dataset.perPage
  const timedWithConcurrency = async (fn: () => Promise<number>): Promise<Sample> => {
    await fake.call('reset')
    const started = performance.now()
    const units = await fn()
    const ms = performance.now() - started
    const stats = await fake.call<{ maxInFlight: number }>('stats')
    return { ms, units, extra: { maxInFlight: stats.maxInFlight } }
  }
  const results = await interleave([
    { name: 'raw undici loop', run: async () => await timedWithConcurrency(async () => await rawUndiciPageLoop(base + path, ctx.agent, runSignal())) },
    { name: 'got.paginate', run: async () => await timedWithConcurrency(async () => await gotPageLoop(base + path, runSignal())) },
    { name: 'engine in-process', run: async () => await timedWithConcurrency(async () => await orderedEngineRows(ctx, base, run)) },
    { name: 'service end to end', run: async () => await timedWithConcurrency(async () => (await serviceSync(service.port, ctx.agent, base, run, runSignal(), { ascending: 'id' })).records) }
  ], ctx.rounds, { warmup: 1, expectUnits: expect })
  const by = (name: string): number => results.find((r) => r.name === name)?.rate ?? Number.NaN
  const bestSequential = Math.max(by('raw undici loop'), by('got.paginate'))
  const lines: ReportLine[] = results.map((r) => {
    const inFlight = Math.max(...r.samples.map((s) => s.extra?.maxInFlight ?? 0))
    const line: ReportLine = {
      label: `${r.name} (${dataset.pages}×${dataset.perPage} rows, 20 ms/page)`,
      value: r.error === undefined ? `${fmt(r.rate)} rows/s, ${fmt(r.medianMs)} ms, ≤${inFlight} in flight` : 'FAILED',
      vs: `${ratio(r.rate, bestSequential)} best sequential`
    }
    if (r.name === 'engine in-process' || r.name === 'service end to end') {
      line.target = '≥ 3× sequential'
      line.met = r.rate >= 3 * bestSequential
    }
    return line
  })
  const notes = results.filter((r) => r.error !== undefined).map((r) => `${r.name} failed: ${r.error}`)
  return { id: '2', title: 'Page-number list with known page_count', lines, notes, data: { dataset, results: summarize(results) } }
}

/** Engine rows, checking that ids arrive in order (concurrent fetching must not reorder rows). */
async function orderedEngineRows (ctx: BenchContext, base: string, run: { table: 'forms', path: string }): Promise<number> {
  const client = ctx.engine().createClient(clientOptionsFor(base, run), { signal: runSignal(), log: silent })
  let rows = 0
  for await (const page of client.pages(endpointFor(run), { catalog: BENCH_ENDPOINTS })) {
    for (const row of page.rows) {
      rows++
      if (row.id !== rows) throw new Error(`row ${rows} has id ${String(row.id)}: out of order`)
    }
  }
  return rows
}
