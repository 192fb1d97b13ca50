/**
 * Can Bottleneck's own Redis clustering (`datastore: 'ioredis'`) hold the limiter's guarantee across
 * replicas? Two limiters with one id and their own connections stand for two replicas; each runs
 * jobs that take `REQUEST_MS` (a request in flight). Prints, per configuration, the most job starts
 * seen in any sliding second (the vendor's 2 requests/s), the gaps between starts and the errors
 * Bottleneck emitted. Usage: `npx tsx bench/redis/bottleneck-cluster.ts` (needs redis-server).
 */
import Bottleneck from 'bottleneck'
import { startRedis } from '../../test/helpers/redis-server.js'

const REQUEST_MS = 150
const JOBS_PER_REPLICA = 8
const VENDOR_WINDOW_MS = 1_000
const VENDOR_BUDGET = 2

function peakInWindow (times: number[], ms: number): number {
  const sorted = [...times].sort((a, b) => a - b)
  let peak = 0
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while ((sorted[i] as number) - (sorted[j] as number) >= ms) j++
    peak = Math.max(peak, i - j + 1)
  }
  return peak
}

interface Outcome { name: string, peak: number, arrivalPeak: number, spanMs: number, medianGapMs: number, pauseHeldMs?: number, errors: Record<string, number> }

/** Deterministic network delay in [0, REQUEST_MS / 2): the vendor counts a request on arrival. */
function arrivalDelay (i: number): number { return (i * 37) % Math.floor(REQUEST_MS / 2) }

/**
 * `pauseMs`: after the first start, replica 0 mimics a 429 with Retry-After by emptying the shared
 * reservoir (Bottleneck has no pause of its own); reports how long the other replica then held off.
 */
async function trial (name: string, redisPort: number, options: Bottleneck.ConstructorOptions, pauseMs?: number): Promise<Outcome> {
  const id = `eval-${name}-${Date.now()}`
  const errors: Record<string, number> = {}
  const replicas = [0, 1].map(() => {
    const limiter = new Bottleneck({ id, datastore: 'ioredis', clearDatastore: false, clientOptions: { host: '127.0.0.1', port: redisPort }, ...options })
    limiter.on('error', (e: Error) => { errors[e.message] = (errors[e.message] ?? 0) + 1 })
    return limiter
  })
  const starts: number[] = []
  let pausedAt = 0
  const job = async (): Promise<void> => {
    starts.push(Date.now())
    if (pauseMs !== undefined && starts.length === 1) {
      pausedAt = Date.now()
      await replicas[0]?.updateSettings({ reservoir: 0 })
    }
    await new Promise((resolve) => setTimeout(resolve, REQUEST_MS))
  }
  await Promise.all(replicas.flatMap((limiter) => Array.from({ length: JOBS_PER_REPLICA }, async () => { await limiter.schedule(job) })))
  await Promise.all(replicas.map(async (l) => { await l.disconnect(true) }))
  const sorted = [...starts].sort((a, b) => a - b)
  const gaps = sorted.slice(1).map((s, i) => s - (sorted[i] as number)).sort((a, b) => a - b)
  const arrivals = starts.map((s, i) => s + arrivalDelay(i))
  const afterPause = sorted.find((s) => s > pausedAt + 1)
  return { name, peak: peakInWindow(starts, VENDOR_WINDOW_MS), arrivalPeak: peakInWindow(arrivals, VENDOR_WINDOW_MS),
    ...(pauseMs !== undefined && afterPause !== undefined ? { pauseHeldMs: afterPause - pausedAt } : {}), spanMs: (sorted.at(-1) as number) - (sorted[0] as number), medianGapMs: gaps[Math.floor(gaps.length / 2)] ?? 0, errors }
}

const redis = await startRedis()
try {
  const results = [
    await trial('token-bucket-default-heartbeat', redis.port, { reservoir: 2, reservoirIncreaseAmount: 1, reservoirIncreaseInterval: 500, reservoirIncreaseMaximum: 2 }),
    await trial('token-bucket-heartbeat-50ms', redis.port, { reservoir: 2, reservoirIncreaseAmount: 1, reservoirIncreaseInterval: 500, reservoirIncreaseMaximum: 2, heartbeatInterval: 50 }),
    await trial('fixed-window-refresh-heartbeat-50ms', redis.port, { reservoir: 2, reservoirRefreshAmount: 2, reservoirRefreshInterval: 1_000, heartbeatInterval: 50 }),
    await trial('fixed-window-refresh+maxConcurrent1', redis.port, { reservoir: 2, reservoirRefreshAmount: 2, reservoirRefreshInterval: 1_000, heartbeatInterval: 50, maxConcurrent: 1 }),
    await trial('fixed-window-refresh, 429 Retry-After 3 s', redis.port, { reservoir: 2, reservoirRefreshAmount: 2, reservoirRefreshInterval: 1_000, heartbeatInterval: 50 }, 3_000)
  ]
  for (const r of results) {
    console.log(`${r.name}: peak ${r.peak} starts / ${r.arrivalPeak} arrivals in a sliding ${VENDOR_WINDOW_MS} ms (vendor allows ${VENDOR_BUDGET}); ` +
      (r.pauseHeldMs !== undefined ? `after the 3 s pause the next start came ${r.pauseHeldMs} ms later; ` : '') +
      `${JOBS_PER_REPLICA * 2} starts over ${r.spanMs} ms, median gap ${r.medianGapMs} ms; errors ${JSON.stringify(r.errors)}`)
  }
} finally {
  await redis.stop()
}
