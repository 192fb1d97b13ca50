/**
 * Scenario 8: a real source path. The Github source's `issues` table (fan-out over one repository,
 * `repository` copied onto every row) end to end through the sync route, against the fake's
 * GitHub-shaped list (Link header with every query parameter, rate-limit headers), beside the raw
 * undici loop, octokit.paginate and got.paginate reading the same URL; 0 ms and 20 ms per page.
 * The service runs with SOURCE_BUDGETS lifting GitHub's 900 requests a minute (bench/service/main.ts).
 * Beside them, the pass-through reference (issue 16; bench/peers/pass-through-server.ts): a minimal
 * server in its own process that follows Link (the next page requested as soon as a response's headers
 * are in), copies `repository` onto every row and writes the same NDJSON, with no limits, state or
 * watermarks, read end to end through the same reader as the service: the floor a sync service
 * reaches on this machine, measured in the same run. No target on it; its CPU per row (server and
 * reader) is in the CPU-per-row note beside the service's.
 */
import { githubRepository } from '../fakes/link-list.js'
import { runSignal, url, type BenchContext } from '../lib/context.js'
import type { ReportLine, ScenarioReport } from '../lib/report.js'
import { fmt, interleave, median, ratio, type ContenderResult } from '../lib/stats.js'
import { gotLinkLoop, octokitLinkLoop, rawUndiciLinkLoop } from '../peers/link-list.js'
import { githubIssuesSync, readSync } from '../peers/ours.js'
import { cpuPerRow, linkListVariants, serviceUsPerRow, steadyRuns, summarize, warmupCurve, withCpu } from './link-list.js'

/** The query the Github source sends for `issues` (settings.ts), so every contender reads the same pages. */
const ISSUES_QUERY = { state: 'all', sort: 'updated', direction: 'asc', per_page: 100 }

export async function githubScenario (ctx: BenchContext): Promise<ScenarioReport> {
  const fake = await ctx.fake('link')
  const service = await ctx.service()
  const passThrough = await ctx.passThrough()
  const base = url(fake)
  const variants = linkListVariants(ctx.quick)
  const lines: ReportLine[] = []
  const data: Record<string, unknown> = {}
  const notes: string[] = []
  for (const dataset of variants) {
    const repository = githubRepository(dataset)
    const [owner, repo] = repository.split('/') as [string, string]
    const path = `/repos/${repository}/issues`
    const query = new URLSearchParams(Object.entries(ISSUES_QUERY).map(([k, v]): [string, string] => [k, String(v)])).toString()
    const { rounds, ...warm } = steadyRuns(dataset, ctx.quick, ctx.rounds, 'service, Github issues')
    const results = await interleave([
      { name: 'raw undici loop', run: async () => await withCpu(async () => await rawUndiciLinkLoop(`${base}${path}?${query}`, ctx.agent, runSignal())) },
      { name: 'octokit.paginate', run: async () => await withCpu(async () => await octokitLinkLoop(base, '/repos/{owner}/{repo}/issues', runSignal(), { owner, repo, ...ISSUES_QUERY })) },
      { name: 'got.paginate', run: async () => await withCpu(async () => await gotLinkLoop(`${base}${path}?${query}`, runSignal())) },
      { name: 'service, Github issues', run: async () => await withCpu(async () => (await githubIssuesSync(service.port, ctx.agent, base, repository, runSignal())).records, service) },
      { name: 'pass-through reference', run: async () => await withCpu(async () => (await readSync(passThrough.port, ctx.agent, '/sync', { url: `${base}${path}?${query}`, repository }, runSignal(), { column: { name: 'repository', value: repository } })).records, passThrough) }
    ], rounds, { ...warm, expectUnits: dataset.pages * dataset.perPage })
    const tag = `${dataset.latencyMs} ms/page, ${dataset.pages}×${dataset.perPage} rows`
    lines.push(...githubLines(results, tag, dataset.latencyMs))
    data[`latency_${dataset.latencyMs}ms`] = { dataset, results: summarize(results) }
    for (const r of results) if (r.error !== undefined) notes.push(`${r.name} (${tag}) failed: ${r.error}`)
    if (dataset.latencyMs === 0) {
      const ours = results.find((r) => r.name === 'service, Github issues')
      const perRow = median((ours?.samples ?? []).map(serviceUsPerRow))
      lines.push({ label: `service CPU per 1 KB row (${tag})`, value: `${fmt(perRow, 1)} µs`, target: '≤ 8 µs', met: perRow <= 8 })
      data.serviceCpuUsPerRow = perRow
      notes.push(`CPU per row (${tag}): ${cpuPerRow(results)}`, warmupCurve(results, 'service, Github issues', tag))
    }
  }
  return { id: '8', title: 'Github issues end to end (fan-out over one repository, `repository` on every row)', lines, notes, data }
}

function githubLines (results: ContenderResult[], tag: string, latencyMs: number): ReportLine[] {
  const by = (name: string): number => results.find((r) => r.name === name)?.rate ?? Number.NaN
  const raw = by('raw undici loop')
  const octokit = by('octokit.paginate')
  return results.map((r) => {
    const line: ReportLine = { label: `${r.name} (${tag})`, value: r.error === undefined ? `${fmt(r.rate)} rows/s` : 'FAILED', vs: ratio(r.rate, raw) + ' raw' }
    if (r.name.startsWith('service')) {
      line.vs += `, ${ratio(r.rate, octokit)} octokit`
      if (latencyMs === 0) {
        line.target = '≥ 0.70× raw, ≥ 1.20× octokit'
        line.met = r.rate >= 0.7 * raw && r.rate >= 1.2 * octokit
      } else {
        line.target = '≥ 1.00× raw'
        line.met = r.rate >= raw
      }
    }
    return line
  })
}
