/**
 * Scenario 5: metadata routes. autocannon on `GET /v1/sources` and `GET /v1/sources/{type}` of the
 * service (its own process, as deployed: LOG_LEVEL=info, plus once at warn to show what request
 * logging costs) against a bare Fastify app returning the same JSON. Requests/s and p99 latency,
 * interleaved rounds, medians.
 */
import autocannon from 'autocannon'
import { request } from 'undici'
import { startChild, type Child } from '../lib/child.js'
import type { BenchContext } from '../lib/context.js'
import type { ReportLine, ScenarioReport } from '../lib/report.js'
import { fmt, interleave, median, medianOf, ratio, type ContenderResult } from '../lib/stats.js'

const CONNECTIONS = 10

export async function metadataScenario (ctx: BenchContext): Promise<ScenarioReport> {
  const duration = 1
  const targets: Array<{ name: string, child: Child }> = []
  try {
    const service = await ctx.startService('product', 'info')
    targets.push({ name: 'service (LOG_LEVEL=info)', child: service })
    targets.push({ name: 'service (LOG_LEVEL=warn)', child: await ctx.startService('product', 'warn') })
    const bare = await startChild('service/bare.ts')
    targets.push({ name: 'bare Fastify', child: bare })

    const list = await getJson(service.port, '/v1/sources') as { sources: Array<{ name: string }> }
    const type = list.sources[0]?.name
    if (type === undefined) throw new Error('the service lists no sources')
    const detail = await getJson(service.port, `/v1/sources/${type}`)
    await bare.call('bodies', { list, details: { [type]: detail } })

    const lines: ReportLine[] = []
    const data: Record<string, unknown> = {}
    const notes: string[] = []
    for (const path of ['/v1/sources', `/v1/sources/${type}`]) {
      const bodies = await Promise.all(targets.map(async (t) => JSON.stringify(await getJson(t.child.port, path))))
      if (bodies.some((b) => b !== bodies[0])) notes.push(`${path}: bodies differ between targets`)
      const results = await interleave(targets.map((t) => ({
        name: t.name,
        run: async () => {
          const r = await autocannon({ url: `http://127.0.0.1:${t.child.port}${path}`, connections: CONNECTIONS, duration })
          if (r.errors > 0 || r.non2xx > 0 || r.timeouts > 0) throw new Error(`${r.errors} errors, ${r.non2xx} non-2xx, ${r.timeouts} timeouts`)
          return { ms: duration * 1000, units: r.requests.total, extra: { rps: r.requests.average, p99: r.latency.p99 } }
        }
      })), ctx.rounds, { warmup: 1 })
      lines.push(...metadataLines(results, `${path} (${fmt(Buffer.byteLength(bodies[0] ?? ''))} B)`))
      data[path] = results.map((r) => ({ name: r.name, rps: medianOf(r.samples, 'rps'), p99: medianOf(r.samples, 'p99'), runs: r.samples.map((s) => s.extra), error: r.error }))
      for (const r of results) if (r.error !== undefined) notes.push(`${r.name} ${path} failed: ${r.error}`)
    }
    notes.push(`autocannon: ${CONNECTIONS} connections, ${duration} s per run, from the bench process; servers in their own processes`)
    return { id: '5', title: 'Metadata routes (autocannon)', lines, notes, data }
  } finally {
    for (const t of targets) await t.child.stop()
  }
}

function metadataLines (results: ContenderResult[], tag: string): ReportLine[] {
  const bare = results.find((r) => r.name === 'bare Fastify')
  const bareRps = bare === undefined ? Number.NaN : medianOf(bare.samples, 'rps')
  return results.map((r) => {
    const rps = medianOf(r.samples, 'rps')
    const p99 = median(r.samples.map((s) => s.extra?.p99 ?? Number.NaN))
    const line: ReportLine = {
      label: `${r.name} ${tag}`,
      value: r.error === undefined ? `${fmt(rps)} req/s, p99 ${fmt(p99)} ms` : 'FAILED',
      vs: ratio(rps, bareRps) + ' bare'
    }
    if (r.name === 'service (LOG_LEVEL=info)') {
      line.target = '≥ 0.80× bare'
      line.met = rps >= 0.8 * bareRps
    }
    return line
  })
}

async function getJson (port: number, path: string): Promise<unknown> {
  const response = await request(`http://127.0.0.1:${port}${path}`)
  if (response.statusCode !== 200) {
    await response.body.dump()
    throw new Error(`GET ${path}: HTTP ${response.statusCode}`)
  }
  return await response.body.json()
}
