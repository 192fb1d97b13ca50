/**
 * Scenario 1: a sequential Link-header list (N pages × 100 rows of ~1 KB), with 0 ms and 20 ms per
 * page. Rows/s of the raw undici loop (the floor), octokit.paginate, got.paginate, our engine
 * in-process and our service end to end, interleaved, medians after a warm-up.
 */
import { linkListPath, type LinkListDataset } from '../fakes/link-list.js'
import { runSignal, url, type BenchContext } from '../lib/context.js'
import type { ReportLine, ScenarioReport } from '../lib/report.js'
import { fmt, interleave, median, ratio, timed, type ContenderResult, type Sample } from '../lib/stats.js'
import type { Child } from '../lib/child.js'
import { gotLinkLoop, octokitLinkLoop, rawUndiciLinkLoop } from '../peers/link-list.js'
import { engineInProcess, serviceSync } from '../peers/ours.js'

const ROW_BYTES = 1000
const PER_PAGE = 100

/**
 * The runs of a scenario 1, 7 or 8 dataset. At 0 ms: each of our contenders (`ours`: the engine in-process,
 * the services) alone for 16 runs, then 8 warm-up rounds of every contender (quick: 2 rounds, no solo
 * runs), then `2 × rounds − 1` measured rounds (9 for the default 5). Ours are long-running code whose
 * per-page path (undici's request path, the engine's page loop, the writer) runs a few times a page, so
 * V8 optimises it only after some thousand pages: measured on Node 20, the service's CPU a row falls
 * from 22–43 µs in the first 200-page sync to a steady 6–9 µs after about twenty, the in-process
 * engine's from 25–33 µs to 5–7 µs after about ten, while the raw loop (a few lines) is steady after
 * about eight (bench/README.md, "The service warms up"). One warm-up run measured a cold replica, not
 * the one an operator sizes; the service's curve is printed beside the results. A 0 ms run lasts about
 * 0.1 s, so one hiccup of the machine moves it by a third: nine rounds make its median steadier (the
 * same README, issue 16). At 20 ms the same code, warm by then, gets one warm-up round and `rounds`.
 */
export function steadyRuns (dataset: LinkListDataset, quick: boolean, rounds: number, ...ours: string[]): { rounds: number, warmup: number, solo: Record<string, number> } {
  if (dataset.latencyMs !== 0) return { rounds, warmup: 1, solo: {} }
  return quick ? { rounds, warmup: 2, solo: {} } : { rounds: 2 * rounds - 1, warmup: 8, solo: Object.fromEntries(ours.map((name) => [name, 16])) }
}

/** The Link-list datasets every list scenario reads: 0 ms per page (many pages), and 20 ms per page. */
export function linkListVariants (quick: boolean): LinkListDataset[] {
  return [
    { pages: quick ? 40 : 200, perPage: PER_PAGE, rowBytes: ROW_BYTES, latencyMs: 0 },
    { pages: quick ? 10 : 25, perPage: PER_PAGE, rowBytes: ROW_BYTES, latencyMs: 20 }
  ]
}

export async function linkListScenario (ctx: BenchContext): Promise<ScenarioReport> {
  const fake = await ctx.fake('link')
  const service = await ctx.service()
  const base = url(fake)
  const variants = linkListVariants(ctx.quick)
  const lines: ReportLine[] = []
  const data: Record<string, unknown> = {}
  const notes: string[] = []
  for (const dataset of variants) {
    const path = linkListPath(dataset)
    const expect = dataset.pages * dataset.perPage
    const run = { table: 'items' as const, path }
    const { rounds, ...warm } = steadyRuns(dataset, ctx.quick, ctx.rounds, 'engine in-process', 'service end to end')
    const results = await interleave([
      { name: 'raw undici loop', run: async () => await withCpu(async () => await rawUndiciLinkLoop(base + path, ctx.agent, runSignal())) },
      { name: 'octokit.paginate', run: async () => await withCpu(async () => await octokitLinkLoop(base, path, runSignal())) },
      { name: 'got.paginate', run: async () => await withCpu(async () => await gotLinkLoop(base + path, runSignal())) },
      { name: 'engine in-process', run: async () => await withCpu(async () => await engineInProcess(ctx.engine(), base, run, runSignal())) },
      { name: 'service end to end', run: async () => await withCpu(async () => (await serviceSync(service.port, ctx.agent, base, run, runSignal())).records, service) }
    ], rounds, { ...warm, expectUnits: expect })
    const tag = `${dataset.latencyMs} ms/page, ${dataset.pages}×${dataset.perPage} rows`
    lines.push(...linkLines(results, tag))
    data[`latency_${dataset.latencyMs}ms`] = { dataset, results: summarize(results) }
    for (const r of results) if (r.error !== undefined) notes.push(`${r.name} (${tag}) failed: ${r.error}`)
    if (dataset.latencyMs === 0) notes.push(`CPU per row (${tag}): ${cpuPerRow(results)}`, warmupCurve(results, 'service end to end', tag))
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

type CpuUsage = ReturnType<typeof process.cpuUsage>
const cpuUs = (u: CpuUsage): number => u.user + u.system

/**
 * Run, timing it and recording CPU µs of the bench process and, for a server in a child (the service,
 * or scenario 8's pass-through reference), of that process (`serviceCpuUs`).
 */
export async function withCpu (fn: () => Promise<number>, service?: Child): Promise<Sample> {
  const serviceBefore = service === undefined ? undefined : await service.call<CpuUsage>('cpu')
  const before = process.cpuUsage()
  const sample = await timed(fn)
  const bench = cpuUs(process.cpuUsage(before))
  const extra: Record<string, number> = { benchCpuUs: bench }
  if (service !== undefined && serviceBefore !== undefined) extra.serviceCpuUs = cpuUs(await service.call<CpuUsage>('cpu')) - cpuUs(serviceBefore)
  return { ...sample, extra }
}

/** Median CPU µs per row of each contender; `serviceCpuUs` is "in the service" for the service's contenders, else "in the server". */
export function cpuPerRow (results: ContenderResult[]): string {
  return results.filter((r) => r.error === undefined).map((r) => {
    const bench = median(r.samples.map((s) => (s.extra?.benchCpuUs ?? Number.NaN) / s.units))
    const service = median(r.samples.map(serviceUsPerRow))
    return Number.isFinite(service)
      ? `${r.name} ${fmt(service, 1)} µs in the ${r.name.startsWith('service') ? 'service' : 'server'} + ${fmt(bench, 1)} µs in the reader`
      : `${r.name} ${fmt(bench, 1)} µs`
  }).join('; ')
}

/** CPU µs a row in the service (or server) process of one run; NaN for a contender without one. */
export function serviceUsPerRow (sample: Sample): number {
  return (sample.extra?.serviceCpuUs ?? Number.NaN) / sample.units
}

/** The service's CPU µs a row in each warm-up run, then the measured median: how far from cold the figures are. */
export function warmupCurve (results: ContenderResult[], name: string, tag: string): string {
  const r = results.find((c) => c.name === name)
  const runs = (r?.warmups ?? []).map((s) => fmt(serviceUsPerRow(s), 1)).join(', ')
  return `${name} warm-up (${tag}): CPU µs a row in the service, run by run ${runs}; measured median ${fmt(median((r?.samples ?? []).map(serviceUsPerRow)), 1)}`
}

export function summarize (results: ContenderResult[]): unknown {
  return results.map((r) => ({ name: r.name, rate: r.rate, medianMs: r.medianMs, runs: r.samples.map((s) => Math.round(s.ms)), error: r.error }))
}
