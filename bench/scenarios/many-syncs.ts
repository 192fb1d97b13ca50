/**
 * Scenario 9: many syncs per replica. 100 Github `issues` syncs at once (one repository each, 20 ms per
 * page) against a fresh service process: aggregate rows/s, peak RSS (sampled every 20 ms), event-loop
 * delay p99 in the service, and the service's CPU time per row (process.cpuUsage ÷ rows), so an
 * operator can size replicas. One warm-up round, then the measured rounds (3, or 2 with --quick).
 */
import { githubRepository, type LinkListDataset } from '../fakes/link-list.js'
import { sampleRss, type Child } from '../lib/child.js'
import { runSignal, url, type BenchContext } from '../lib/context.js'
import type { ScenarioReport } from '../lib/report.js'
import { fmt, median } from '../lib/stats.js'
import { githubIssuesSync } from '../peers/ours.js'

const SYNCS = 100
const MiB = 2 ** 20

type CpuUsage = ReturnType<typeof process.cpuUsage>
interface Round { ms: number, rows: number, cpuUs: number, peakRss: number, loopDelay: { p50: number, p99: number, max: number, gcMaxMs: number, gcMajorMaxMs: number, gcMinorMaxMs: number, gcTotalMs: number } }

async function round (service: Child, base: string, dataset: LinkListDataset, agentFor: BenchContext['agent']): Promise<Round> {
  const repositories = Array.from({ length: SYNCS }, (_, i) => githubRepository(dataset, `bench${i}`))
  const cpuBefore = await service.call<CpuUsage>('cpu')
  await service.call('loopDelayStart')
  const rss = sampleRss(service, 20)
  const started = performance.now()
  const counts = await Promise.all(repositories.map(async (repository) => (await githubIssuesSync(service.port, agentFor, base, repository, runSignal())).records))
  const ms = performance.now() - started
  const peakRss = rss.stop()
  const loopDelay = await service.call<Round['loopDelay']>('loopDelayStop')
  const cpuAfter = await service.call<CpuUsage>('cpu')
  const rows = counts.reduce((a, b) => a + b, 0)
  const expected = SYNCS * dataset.pages * dataset.perPage
  if (rows !== expected) throw new Error(`read ${rows} rows, expected ${expected}`)
  return { ms, rows, cpuUs: cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system, peakRss, loopDelay }
}

export async function manySyncsScenario (ctx: BenchContext): Promise<ScenarioReport> {
  const fake = await ctx.fake('link')
  const service = await ctx.startService('bench', 'info')
  const dataset: LinkListDataset = { pages: ctx.quick ? 5 : 10, perPage: 100, rowBytes: 1000, latencyMs: 20 }
  const rounds: Round[] = []
  let idle: Round['loopDelay'] | null = null
  try {
    // The same service idle for 2 s: what the shared machine alone does to the event-loop delay.
    await service.call('loopDelayStart')
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    idle = await service.call<Round['loopDelay']>('loopDelayStop')
    await round(service, url(fake), dataset, ctx.agent)
    for (let i = 0; i < (ctx.quick ? 2 : 3); i++) rounds.push(await round(service, url(fake), dataset, ctx.agent))
  } finally {
    await service.stop()
  }
  const rate = median(rounds.map((r) => r.rows / (r.ms / 1000)))
  const peak = Math.max(...rounds.map((r) => r.peakRss))
  const p99 = median(rounds.map((r) => r.loopDelay.p99))
  const cpu = median(rounds.map((r) => r.cpuUs / r.rows))
  const tag = `${SYNCS} syncs × ${dataset.pages}×${dataset.perPage} rows, 20 ms/page`
  return {
    id: '9',
    title: 'Many syncs per replica (Github issues)',
    lines: [
      { label: `aggregate rows/s (${tag})`, value: `${fmt(rate)} rows/s`, vs: `${fmt(median(rounds.map((r) => r.ms)))} ms per round` },
      { label: 'service peak RSS (highest of the rounds)', value: `${fmt(peak / MiB, 1)} MiB`, target: '< 500 MB', met: peak < 500e6 },
      { label: 'service event-loop delay p99 (median of the rounds)', value: `${fmt(p99, 1)} ms`, vs: `max ${fmt(Math.max(...rounds.map((r) => r.loopDelay.max)), 1)} ms`, target: '< 50 ms', met: p99 < 50 },
      { label: 'service GC pauses during a round (median of the rounds)', value: `longest ${fmt(median(rounds.map((r) => r.loopDelay.gcMaxMs)), 1)} ms`,
        vs: `major ${fmt(median(rounds.map((r) => r.loopDelay.gcMajorMaxMs)), 1)} ms, minor ${fmt(median(rounds.map((r) => r.loopDelay.gcMinorMaxMs)), 1)} ms; total ${fmt(median(rounds.map((r) => r.loopDelay.gcTotalMs)))} ms` },
      { label: 'service event-loop delay p99 while idle (2 s before the rounds)', value: `${fmt(idle?.p99 ?? Number.NaN, 1)} ms`, vs: `max ${fmt(idle?.max ?? Number.NaN, 1)} ms` },
      { label: 'service CPU per row', value: `${fmt(cpu, 1)} µs`, vs: `≈ ${fmt(1e6 / cpu / 1000, 0)}k rows/s per core` }
    ],
    notes: [`rounds (ms): ${rounds.map((r) => fmt(r.ms)).join(', ')}; the service reaches the fake over at most 32 connections (its undici Agent)`],
    data: { dataset, syncs: SYNCS, rounds, idleLoopDelay: idle }
  }
}
