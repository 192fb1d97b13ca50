/**
 * Scenario 6: time to first row. From the start of a request to the first row in hand: the raw
 * undici loop's first page, the engine's first page in-process, and the service's first `record`
 * line end to end (the reader stops there and aborts the rest). Link-list fake, 20 ms per page; and
 * the built-in Demo source, whose sample API (same 20 ms) the service serves itself.
 */
import { request } from 'undici'
import { linkListPath } from '../fakes/link-list.js'
import { runSignal, url, type BenchContext } from '../lib/context.js'
import type { ReportLine, ScenarioReport } from '../lib/report.js'
import { fmt, interleave, type Sample } from '../lib/stats.js'
import { readSync, serviceSync } from '../peers/ours.js'
import { BENCH_ENDPOINTS, clientOptionsFor, endpointFor } from '../service/endpoints.js'
import { pino } from 'pino'
import { summarize } from './link-list.js'

const silent = pino({ level: 'silent' })

export async function firstRowScenario (ctx: BenchContext): Promise<ScenarioReport> {
  const fake = await ctx.fake('link')
  const service = await ctx.service()
  const base = url(fake)
  const latencyMs = 20
  const path = linkListPath({ pages: 20, perPage: 100, rowBytes: 1000, latencyMs })
  const run = { table: 'items' as const, path }
  const rounds = Math.max(ctx.rounds * 2, 5)
  const firstRow = async (fn: (mark: () => void) => Promise<void>): Promise<Sample> => {
    const started = performance.now()
    let at = Number.NaN
    await fn(() => { at = performance.now() })
    if (Number.isNaN(at)) throw new Error('no row arrived')
    return { ms: at - started, units: 1 }
  }
  const results = await interleave([
    {
      name: 'raw undici, first page',
      run: async () => await firstRow(async (mark) => {
        const response = await request(base + path, { dispatcher: ctx.agent, signal: runSignal() })
        const rows = await response.body.json() as unknown[]
        if (rows.length > 0) mark()
      })
    },
    {
      name: 'engine in-process, first page',
      run: async () => await firstRow(async (mark) => {
        const controller = new AbortController()
        const client = ctx.engine().createClient(clientOptionsFor(base, run), { signal: controller.signal, log: silent })
        for await (const page of client.pages(endpointFor(run), { catalog: BENCH_ENDPOINTS })) {
          if (page.rows.length > 0) { mark(); break }
        }
        controller.abort()
      })
    },
    {
      name: 'service, first record line',
      run: async () => await firstRow(async (mark) => {
        await serviceSync(service.port, ctx.agent, base, run, runSignal(), { onFirstRecord: mark, stopAfter: 1 })
      })
    },
    {
      name: 'service, Demo source (sample API in the same process)',
      run: async () => await firstRow(async (mark) => {
        const body = { config: { rows: 2000, page_size: 100, latency_ms: latencyMs }, schema: 'customers' }
        await readSync(service.port, ctx.agent, '/v1/sources/Demo/sync', body, runSignal(), { onFirstRecord: mark, stopAfter: 1 })
      })
    }
  ], rounds, { warmup: 2, pauseMs: 50 })
  const raw = results.find((r) => r.name.startsWith('raw'))?.medianMs ?? Number.NaN
  const lines: ReportLine[] = results.map((r) => ({
    label: `${r.name} (${latencyMs} ms upstream latency)`,
    value: r.error === undefined ? `${fmt(r.medianMs, 1)} ms` : 'FAILED',
    vs: r.name.startsWith('raw') ? '' : `+${fmt(r.medianMs - raw, 1)} ms over raw`
  }))
  const notes = results.filter((r) => r.error !== undefined).map((r) => `${r.name} failed: ${r.error}`)
  return { id: '6', title: 'Time to first row (median)', lines, notes, data: { rounds, results: summarize(results) } }
}
