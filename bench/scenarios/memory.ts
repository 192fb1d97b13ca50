/**
 * Scenario 4: memory. The service (its own process, fresh for each measurement, warmed up with a
 * small sync) streams 100,000 and 1,000,000 rows of ~250 bytes (1,000 per Link page, the largest
 * page Typeform or Zendesk serve) from the Link-list fake, to a fast reader and to a slow one
 * (a third of the fast reader's byte rate on the big sync, so the upstream could outrun it 3×).
 * Peak RSS of the service is sampled from /proc every 20 ms (VmHWM shown beside it). Flat is the
 * goal: 1M within 20 % of 100k.
 */
import { linkListPath } from '../fakes/link-list.js'
import { sampleRss } from '../lib/child.js'
import { runSignal, url, type BenchContext } from '../lib/context.js'
import type { ReportLine, ScenarioReport } from '../lib/report.js'
import { fmt } from '../lib/stats.js'
import { rawUndiciLinkLoop } from '../peers/link-list.js'
import { serviceSync } from '../peers/ours.js'

const ROW_BYTES = 250
const PER_PAGE = 1000
const WARMUP_ROWS = 20_000
/** Longest any one sync may take before the scenario gives up. */
const SYNC_MAX_MS = 400_000

interface Measurement { rows: number, reader: 'fast' | 'slow', baselineMiB: number, peakMiB: number, hwmMiB: number, retainedHeapMiB: number, seconds: number, bytes: number, bytesPerSecond?: number }

const MiB = 2 ** 20

export async function memoryScenario (ctx: BenchContext): Promise<ScenarioReport> {
  const fake = await ctx.fake('link')
  const base = url(fake)
  const small = ctx.quick ? 20_000 : 100_000
  const big = ctx.quick ? 200_000 : 1_000_000
  const measurements: Measurement[] = []

  const measure = async (rows: number, reader: 'fast' | 'slow', bytesPerSecond?: number): Promise<Measurement> => {
    // --expose-gc only lets the bench ask for a collection after the sync, to show what is retained.
    const service = await ctx.startService('bench', 'info', ['--expose-gc'])
    try {
      const warm = { table: 'items' as const, path: linkListPath({ pages: WARMUP_ROWS / PER_PAGE, perPage: PER_PAGE, rowBytes: ROW_BYTES, latencyMs: 0 }) }
      await serviceSync(service.port, ctx.agent, base, warm, runSignal())
      const baseline = service.rss()
      const sampler = sampleRss(service, 20)
      const run = { table: 'items' as const, path: linkListPath({ pages: rows / PER_PAGE, perPage: PER_PAGE, rowBytes: ROW_BYTES, latencyMs: 0 }) }
      const started = performance.now()
      const result = await serviceSync(service.port, ctx.agent, base, run, runSignal(SYNC_MAX_MS), bytesPerSecond === undefined ? {} : { bytesPerSecond })
      const seconds = (performance.now() - started) / 1000
      const peak = sampler.stop()
      if (result.records !== rows) throw new Error(`${reader} reader got ${result.records} rows, expected ${rows}`)
      await service.call('gc')
      const after = await service.call<{ heapUsed: number }>('memory')
      return {
        rows,
        reader,
        baselineMiB: baseline / MiB,
        peakMiB: peak / MiB,
        hwmMiB: service.peakRss() / MiB,
        retainedHeapMiB: after.heapUsed / MiB,
        seconds,
        bytes: result.bytes,
        ...(bytesPerSecond === undefined ? {} : { bytesPerSecond })
      }
    } finally {
      await service.stop()
    }
  }

  // Generate every page in the fake once, so no measured sync waits for the fake's first pass.
  for (const rows of [WARMUP_ROWS, small, big]) {
    await rawUndiciLinkLoop(base + linkListPath({ pages: rows / PER_PAGE, perPage: PER_PAGE, rowBytes: ROW_BYTES, latencyMs: 0 }), ctx.agent, runSignal())
  }
  const fastBig = await measure(big, 'fast')
  measurements.push(await measure(small, 'fast'), fastBig)
  const fastRate = fastBig.bytes / fastBig.seconds
  const slowRate = fastRate / 3
  measurements.push(await measure(small, 'slow', slowRate), await measure(big, 'slow', slowRate))

  const lines: ReportLine[] = []
  for (const reader of ['fast', 'slow'] as const) {
    const [a, b] = measurements.filter((m) => m.reader === reader) as [Measurement, Measurement]
    for (const m of [a, b]) {
      lines.push({
        label: `${reader} reader, ${fmt(m.rows)} rows`,
        value: `peak ${fmt(m.peakMiB, 1)} MiB (after warm-up ${fmt(m.baselineMiB, 1)}; heap after GC ${fmt(m.retainedHeapMiB, 1)})`,
        vs: `${fmt(m.seconds, 1)} s, ${fmt(m.rows / m.seconds)} rows/s`
      })
    }
    const growth = b.peakMiB / a.peakMiB
    lines.push({
      label: `${reader} reader: peak ${fmt(big)} ÷ peak ${fmt(small)}`,
      value: `${growth.toFixed(2)}×`,
      target: '≤ 1.20×',
      met: growth <= 1.2
    })
  }
  return {
    id: '4',
    title: `Memory: service peak RSS (rows of ~${ROW_BYTES} B)`,
    lines,
    notes: [`slow reader: ${fmt(slowRate / MiB, 1)} MiB/s (fast reader of ${fmt(big)} rows: ${fmt(fastRate / MiB, 1)} MiB/s); one run per cell`],
    data: { measurements }
  }
}
