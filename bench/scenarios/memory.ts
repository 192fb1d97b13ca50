/**
 * Scenario 4: memory. The service (its own process, fresh for each measurement, warmed up with a
 * small sync) streams 100,000 and 1,000,000 rows of ~250 bytes from the Link-list fake, to a fast
 * reader and to a slow one (a quarter of the fast reader's byte rate). Peak RSS of the service is
 * sampled from /proc every 20 ms and compared with VmHWM. Flat is the goal: 1M within 20 % of 100k.
 */
import { linkListPath } from '../fakes/link-list.js'
import { sampleRss } from '../lib/child.js'
import { runSignal, url, type BenchContext } from '../lib/context.js'
import type { ReportLine, ScenarioReport } from '../lib/report.js'
import { fmt } from '../lib/stats.js'
import { serviceSync } from '../peers/ours.js'

const ROW_BYTES = 250
const PER_PAGE = 100
const WARMUP_ROWS = 20_000
/** Longest the slow reader of the big sync may take. */
const SLOW_MAX_SECONDS = 45

interface Measurement { rows: number, reader: 'fast' | 'slow', baselineMiB: number, peakMiB: number, hwmMiB: number, seconds: number, bytes: number, bytesPerSecond?: number }

const MiB = 2 ** 20

export async function memoryScenario (ctx: BenchContext): Promise<ScenarioReport> {
  const fake = await ctx.fake('link')
  const base = url(fake)
  const small = ctx.quick ? 20_000 : 100_000
  const big = ctx.quick ? 200_000 : 1_000_000
  const measurements: Measurement[] = []

  const measure = async (rows: number, reader: 'fast' | 'slow', bytesPerSecond?: number): Promise<Measurement> => {
    const service = await ctx.startService('bench', 'info')
    try {
      const warm = { table: 'items' as const, path: linkListPath({ pages: WARMUP_ROWS / PER_PAGE, perPage: PER_PAGE, rowBytes: ROW_BYTES, latencyMs: 0 }) }
      await serviceSync(service.port, ctx.agent, base, warm, runSignal())
      const baseline = service.rss()
      const sampler = sampleRss(service, 20)
      const run = { table: 'items' as const, path: linkListPath({ pages: rows / PER_PAGE, perPage: PER_PAGE, rowBytes: ROW_BYTES, latencyMs: 0 }) }
      const started = performance.now()
      const result = await serviceSync(service.port, ctx.agent, base, run, runSignal(300_000), bytesPerSecond === undefined ? {} : { bytesPerSecond })
      const seconds = (performance.now() - started) / 1000
      const peak = sampler.stop()
      if (result.records !== rows) throw new Error(`${reader} reader got ${result.records} rows, expected ${rows}`)
      return {
        rows,
        reader,
        baselineMiB: baseline / MiB,
        peakMiB: peak / MiB,
        hwmMiB: service.peakRss() / MiB,
        seconds,
        bytes: result.bytes,
        ...(bytesPerSecond === undefined ? {} : { bytesPerSecond })
      }
    } finally {
      await service.stop()
    }
  }

  const fastSmall = await measure(small, 'fast')
  measurements.push(fastSmall, await measure(big, 'fast'))
  const fastRate = fastSmall.bytes / fastSmall.seconds
  const bigBytes = fastSmall.bytes * (big / small)
  const slowRate = Math.max(fastRate / 4, bigBytes / SLOW_MAX_SECONDS)
  measurements.push(await measure(small, 'slow', slowRate), await measure(big, 'slow', slowRate))

  const lines: ReportLine[] = []
  for (const reader of ['fast', 'slow'] as const) {
    const [a, b] = measurements.filter((m) => m.reader === reader) as [Measurement, Measurement]
    for (const m of [a, b]) {
      lines.push({
        label: `${reader} reader, ${fmt(m.rows)} rows`,
        value: `peak ${fmt(m.peakMiB, 1)} MiB (VmHWM ${fmt(m.hwmMiB, 1)}, after warm-up ${fmt(m.baselineMiB, 1)})`,
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
    notes: [`slow reader: ${fmt(slowRate / MiB, 1)} MiB/s (fast reader of ${fmt(small)} rows: ${fmt(fastRate / MiB, 1)} MiB/s); one run per cell`],
    data: { measurements }
  }
}
