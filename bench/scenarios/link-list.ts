/**
 * Scenario 1: a sequential Link-header list (N pages × 100 rows of ~1 KB), with 0 ms and 20 ms per
 * page. Rows/s of the raw undici loop (the floor), octokit.paginate, got.paginate, our engine
 * in-process and our service end to end, interleaved, medians after a warm-up.
 */
import { linkListPath, type LinkListDataset } from '../fakes/link-list.js'
import { runSignal, url, type BenchContext } from '../lib/context.js'
import type { ReportLine, ScenarioReport } from '../lib/report.js'
import { fmt, interleave, ratio, timed, type ContenderResult } from '../lib/stats.js'
import { gotLinkLoop, octokitLinkLoop, rawUndiciLinkLoop } from '../peers/link-list.js'
import { engineInProcess, serviceSync } from '../peers/ours.js'

const ROW_BYTES = 1000
const PER_PAGE = 100

export async function linkListScenario (ctx: BenchContext): Promise<ScenarioReport> {
  const fake = await ctx.fake('link')
  const service = await ctx.service()
  const base = url(fake)
  const variants: LinkListDataset[] = [
    { pages: ctx.quick ? 40 : 100, perPage: PER_PAGE, rowBytes: ROW_BYTES, latencyMs: 0 },
    { pages: ctx.quick ? 10 : 25, perPage: PER_PAGE, rowBytes: ROW_BYTES, latencyMs: 20 }
  ]
  const lines: ReportLine[] = []
  const data: Record<string, unknown> = {}
  const notes: string[] = []
  for (const dataset of variants) {
    const path = linkListPath(dataset)
    const expect = dataset.pages * dataset.perPage
    const run = { table: 'items' as const, path }
    const results = await interleave([
      { name: 'raw undici loop', run: async () => await timed(async () => await rawUndiciLinkLoop(base + path, ctx.agent, runSignal())) },
      { name: 'octokit.paginate', run: async () => await timed(async () => await octokitLinkLoop(base, path, runSignal())) },
      { name: 'got.paginate', run: async () => await timed(async () => await gotLinkLoop(base + path, runSignal())) },
      { name: 'engine in-process', run: async () => await timed(async () => await engineInProcess(ctx.engine(), base, run, runSignal())) },
      { name: 'service end to end', run: async () => await timed(async () => (await serviceSync(service.port, ctx.agent, base, run, runSignal())).records) }
    ], ctx.rounds, { warmup: 1, expectUnits: expect })
    const tag = `${dataset.latencyMs} ms/page, ${dataset.pages}×${dataset.perPage} rows`
    lines.push(...linkLines(results, tag))
    data[`latency_${dataset.latencyMs}ms`] = { dataset, results: summarize(results) }
    for (const r of results) if (r.error !== undefined) notes.push(`${r.name} (${tag}) failed: ${r.error}`)
  }
  return { id: '1', title: 'Sequential Link-header list (rows/s)', lines, notes, data }
}

function linkLines (results: ContenderResult[], tag: string): ReportLine[] {
  const by = (name: string): number => results.find((r) => r.name === name)?.rate ?? Number.NaN
  const raw = by('raw undici loop')
  const bestPeer = Math.max(by('octokit.paginate'), by('got.paginate'))
  const lines: ReportLine[] = []
  for (const r of results) {
    const line: ReportLine = { label: `${r.name} (${tag})`, value: r.error === undefined ? `${fmt(r.rate)} rows/s` : 'FAILED', vs: ratio(r.rate, raw) + ' raw' }
    if (r.name === 'engine in-process') {
      line.target = '≥ 0.90× raw, ≥ peers'
      line.met = r.rate >= 0.9 * raw && r.rate >= bestPeer
    } else if (r.name === 'service end to end') {
      line.target = '≥ 0.80× raw, ≥ peers'
      line.met = r.rate >= 0.8 * raw && r.rate >= bestPeer
    }
    if (r.name.startsWith('engine') || r.name.startsWith('service')) line.vs += `, ${ratio(r.rate, bestPeer)} best peer`
    lines.push(line)
  }
  return lines
}

export function summarize (results: ContenderResult[]): unknown {
  return results.map((r) => ({ name: r.name, rate: r.rate, medianMs: r.medianMs, runs: r.samples.map((s) => Math.round(s.ms)), error: r.error }))
}
