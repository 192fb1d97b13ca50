/**
 * Child-process entry for the service under test: `buildApp()` as server.ts builds it, listening on
 * 127.0.0.1 port 0. argv[2] picks the sources: `product` (the registered ones only, for the
 * metadata routes) or `bench` (the registered ones plus the Bench source that reads the fakes).
 * argv[3] is the log level (default `info`, as deployed; its output goes to /dev/null).
 */
import { constants, monitorEventLoopDelay, PerformanceObserver, type IntervalHistogram } from 'node:perf_hooks'
import { buildApp } from '../../src/app.js'
import { SOURCES } from '../../src/sources/registry.js'
import type { Settings } from '../../src/settings.js'
import { serveRpc } from '../lib/rpc.js'
import { benchSource } from './bench-source.js'

const MAX_LIFETIME_MS = 20 * 60_000

const mode = process.argv[2] ?? 'bench'
const level = (process.argv[3] ?? 'info') as Settings['LOG_LEVEL']
const app = await buildApp({
  // The operator budget override lifts GitHub's 900 requests a minute, which repeated runs would wait on.
  settings: { LOG_LEVEL: level, ALLOW_PRIVATE_UPSTREAMS: true, PORT: 0, SOURCE_BUDGETS: { Github: { default: {} } } },
  ...(mode === 'bench' ? { sources: [...SOURCES, benchSource] } : {})
})
await app.listen({ host: '127.0.0.1', port: 0 })
const address = app.server.address()
const port = typeof address === 'object' && address !== null ? address.port : 0
setTimeout(() => process.exit(0), MAX_LIFETIME_MS).unref()
let loopDelay: IntervalHistogram | undefined
/** GC pauses (ms) seen while the event-loop delay is monitored: what part of the delay is the collector's. */
let gcPauses: Array<{ ms: number, major: boolean }> = []
const gcObserver = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = (entry as { detail?: { kind?: number } }).detail?.kind
    gcPauses.push({ ms: entry.duration, major: kind === constants.NODE_PERFORMANCE_GC_MAJOR })
  }
})
serveRpc({
  /** Event-loop delay, sampled every 10 ms from `loopDelayStart` to `loopDelayStop` (ms). */
  loopDelayStart: () => {
    loopDelay?.disable()
    loopDelay = monitorEventLoopDelay({ resolution: 10 })
    loopDelay.enable()
    gcPauses = []
    gcObserver.observe({ entryTypes: ['gc'] })
    return true
  },
  loopDelayStop: () => {
    loopDelay?.disable()
    gcObserver.disconnect()
    const h = loopDelay
    const longest = (major: boolean): number => Math.max(0, ...gcPauses.filter((p) => p.major === major).map((p) => p.ms))
    const gc = { gcMaxMs: Math.max(longest(true), longest(false)), gcMajorMaxMs: longest(true), gcMinorMaxMs: longest(false), gcTotalMs: gcPauses.reduce((a, p) => a + p.ms, 0) }
    return h === undefined ? null : { p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6, ...gc }
  },
  memory: () => process.memoryUsage(),
  cpu: () => process.cpuUsage(),
  gc: () => { (globalThis as { gc?: () => void }).gc?.(); return true },
  close: async () => { await app.close(); return true }
}, { port })
