/**
 * Scenario 7: a manifest source against the same API as a built-in source. The Link-header list of
 * scenario 1 synced end to end twice, interleaved: through the Bench source (engine declarations in
 * code, `link_header` paginator) and through `CustomRest` with an Airbyte manifest sent in the request
 * (CursorPagination over `{{ headers['link']['next']['url'] }}` with a RequestPath and a DpathExtractor). Interpolation runs once per page, so the ratio should stay near 1.
 */
import { linkListPath } from '../fakes/link-list.js'
import { linkListVariants, steadyRuns } from './link-list.js'
import { runSignal, url, type BenchContext } from '../lib/context.js'
import type { ReportLine, ScenarioReport } from '../lib/report.js'
import { fmt, interleave, ratio, timed } from '../lib/stats.js'
import { readSync, serviceSync } from '../peers/ours.js'

const BUILT_IN = 'built-in source (Bench, link_header)'
const MANIFEST = 'manifest source (CustomRest, CursorPagination)'

function manifest (base: string, path: string): string {
  return JSON.stringify({
    version: '6.0.0',
    type: 'DeclarativeSource',
    check: { type: 'CheckStream', stream_names: ['items'] },
    streams: [{
      type: 'DeclarativeStream',
      name: 'items',
      primary_key: 'id',
      retriever: {
        type: 'SimpleRetriever',
        requester: { type: 'HttpRequester', url_base: base, path, http_method: 'GET', authenticator: { type: 'NoAuth' } },
        record_selector: { type: 'RecordSelector', extractor: { type: 'DpathExtractor', field_path: [] } },
        paginator: {
          type: 'DefaultPaginator',
          page_token_option: { type: 'RequestPath' },
          pagination_strategy: { type: 'CursorPagination', cursor_value: "{{ headers['link']['next']['url'] }}", stop_condition: "{{ 'next' not in headers['link'] }}" }
        }
      }
    }],
    spec: { type: 'Spec', connection_specification: { type: 'object', properties: {} } }
  })
}

export async function manifestScenario (ctx: BenchContext): Promise<ScenarioReport> {
  const fake = await ctx.fake('link')
  const service = await ctx.service()
  const base = url(fake)
  const variants = linkListVariants(ctx.quick)
  const lines: ReportLine[] = []
  const data: Record<string, unknown> = {}
  const notes: string[] = []
  for (const dataset of variants) {
    const path = linkListPath(dataset)
    const body = { config: { manifest: manifest(base, path), manifest_config: {} }, schema: 'items' }
    const { rounds, ...warm } = steadyRuns(dataset, ctx.quick, ctx.rounds, BUILT_IN, MANIFEST)
    const results = await interleave([
      { name: BUILT_IN, run: async () => await timed(async () => (await serviceSync(service.port, ctx.agent, base, { table: 'items', path }, runSignal())).records) },
      { name: MANIFEST, run: async () => await timed(async () => (await readSync(service.port, ctx.agent, '/v1/sources/CustomRest/sync', body, runSignal())).records) }
    ], rounds, { ...warm, expectUnits: dataset.pages * dataset.perPage })
    const tag = `${dataset.latencyMs} ms/page, ${dataset.pages}×${dataset.perPage} rows`
    const builtIn = results[0]?.rate ?? Number.NaN
    for (const r of results) {
      const line: ReportLine = { label: `${r.name} (${tag})`, value: r.error === undefined ? `${fmt(r.rate)} rows/s` : 'FAILED', vs: `${ratio(r.rate, builtIn)} built-in` }
      if (r.name.startsWith('manifest')) { line.target = '≥ 0.90× built-in'; line.met = r.rate >= 0.9 * builtIn }
      lines.push(line)
      if (r.error !== undefined) notes.push(`${r.name} (${tag}) failed: ${r.error}`)
    }
    data[`latency_${dataset.latencyMs}ms`] = { dataset, results: results.map((r) => ({ name: r.name, rate: r.rate, error: r.error ?? null })) }
  }
  return { id: '7', title: 'Manifest source vs built-in source (service end to end, rows/s)', lines, notes, data }
}
