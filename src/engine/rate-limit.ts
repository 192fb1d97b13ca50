/**
 * Rate limiting. One SharedLimiter per (source, credential fingerprint, rate-limit class), shared by
 * every run using that credential and released when idle. Bottleneck queues jobs and enforces the
 * concurrency and spacing budget (when declared); an admission step inside each job keeps actual starts within
 * `reservoir` per any sliding `intervalMs`; response headers (remaining/reset) and 429s pause or slow every user of the
 * limiter before the API has to say 429 again.
 */
import Bottleneck from 'bottleneck'
import type { RateBudget, RateLimitHeaders } from './types.js'
import { remainingOf, resetWaitMs } from './retry.js'
import { abortError, raceAbort, sleep } from './sleep.js'

/** A limiter with no queued or running job for this long is released. */
export const LIMITER_IDLE_MS = 60_000
/** When the remaining header drops to this or below, starts are spread evenly until the reset. */
export const LOW_REMAINING = 5

/**
 * Safety margin added to the budget window: requests admitted exactly `intervalMs` apart can arrive
 * closer together at a vendor counting on arrival (network and event-loop jitter). 2 % of the
 * window, at least 10 ms, at most 250 ms.
 */
export function windowMarginMs (intervalMs: number): number {
  return Math.min(250, Math.max(10, Math.round(intervalMs * 0.02)))
}

/**
 * Bottleneck for concurrency and spacing. Its local datastore yields to the timer queue
 * (`setTimeout(0)`, at least 1 ms each) several times per job to mimic a remote store, which costs
 * ~6 ms per request — more than a page takes on a fast API. The yield becomes a microtask: still
 * asynchronous, same ordering, no timer floor. (Bottleneck 2.19.5 is its final release.)
 */
function createBottleneck (budget: RateBudget): Bottleneck {
  const limiter = new Bottleneck({ maxConcurrent: budget.maxConcurrent ?? null, minTime: budget.minTimeMs ?? 0 })
  const store = (limiter as unknown as { _store?: { yieldLoop?: () => Promise<void> } })._store
  if (store !== undefined && typeof store.yieldLoop === 'function') store.yieldLoop = async () => { await Promise.resolve() }
  return limiter
}

export class SharedLimiter {
  /** Only when the budget declares what Bottleneck enforces (max concurrent, min time). */
  private readonly bottleneck: Bottleneck | undefined
  /** Actual start times within the last `intervalMs`. */
  private starts: number[] = []
  private lastStart = 0
  private pausedUntil = 0
  private spacingMs = 0
  private spacingUntil = 0
  /** Admission is serialised so each start is checked against the real starts before it. */
  private admission: Promise<void> = Promise.resolve()
  lastUsed = Date.now()
  active = 0

  constructor (readonly budget: RateBudget) {
    this.bottleneck = budget.maxConcurrent !== undefined || (budget.minTimeMs ?? 0) > 0 ? createBottleneck(budget) : undefined
  }

  /** Run `task` as one limited job; a cancelled run's queued job never starts its task. */
  async schedule<T> (task: () => Promise<T>, signal: AbortSignal): Promise<T> {
    if (signal.aborted) throw abortError(signal)
    this.active++
    this.lastUsed = Date.now()
    const run = async (): Promise<T> => {
      if (signal.aborted) throw abortError(signal)
      await this.admit(signal)
      return await task()
    }
    const job = this.bottleneck === undefined ? run() : this.bottleneck.schedule(run)
    try {
      return await raceAbort(job, signal)
    } finally {
      this.active--
      this.lastUsed = Date.now()
    }
  }

  /** Stop every user of this limiter until `until` (epoch ms). */
  pauseUntil (until: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, until)
  }

  /** Read remaining/reset headers: at 0 pause until the reset; when low, spread the rest evenly. */
  observe (headers: Record<string, string>, declared: RateLimitHeaders | undefined, now = Date.now()): void {
    const remaining = remainingOf(headers, declared)
    const reset = resetWaitMs(headers, declared, now)
    if (remaining === undefined || reset === undefined) return
    if (remaining === 0) this.pauseUntil(now + reset)
    else if (remaining <= LOW_REMAINING) {
      this.spacingMs = Math.ceil(reset / remaining)
      this.spacingUntil = now + reset
    }
  }

  async stop (): Promise<void> {
    await this.bottleneck?.stop({ dropWaitingJobs: true }).catch(() => undefined)
  }

  /** How long a start at `now` must wait: pause, header-driven spacing, sliding-window budget. */
  private delayFor (now: number): number {
    let until = Math.max(now, this.pausedUntil)
    // Bottleneck spaces job starts, but a job held here by the window may be released right after
    // another one; the spacing is therefore checked again on the actual starts.
    if ((this.budget.minTimeMs ?? 0) > 0 && this.lastStart > 0) until = Math.max(until, this.lastStart + (this.budget.minTimeMs ?? 0))
    if (this.spacingUntil > now && this.spacingMs > 0) until = Math.max(until, this.lastStart + this.spacingMs)
    const { reservoir, intervalMs } = this.budget
    if (reservoir !== undefined && intervalMs !== undefined) {
      const window = intervalMs + windowMarginMs(intervalMs)
      this.starts = this.starts.filter((t) => t > now - window)
      if (this.starts.length >= reservoir) until = Math.max(until, (this.starts[this.starts.length - reservoir] as number) + window)
    }
    return until - now
  }

  private async admit (signal: AbortSignal): Promise<void> {
    const previous = this.admission
    let release!: () => void
    this.admission = new Promise<void>((resolve) => { release = resolve })
    try {
      await raceAbort(previous, signal)
      // Re-check after every wait: timers fire late under load, and a 429 elsewhere may pause us.
      for (let wait = this.delayFor(Date.now()); wait > 0; wait = this.delayFor(Date.now())) await sleep(wait, signal)
      const now = Date.now()
      this.starts.push(now)
      this.lastStart = now
    } finally {
      void previous.then(release)
    }
  }
}

/** Limiters by (source, credential fingerprint, class); idle ones are released. */
export class LimiterRegistry {
  private readonly limiters = new Map<string, SharedLimiter>()
  private readonly timer: NodeJS.Timeout

  constructor (private readonly idleMs = LIMITER_IDLE_MS) {
    this.timer = setInterval(() => { this.sweep() }, Math.max(1_000, Math.min(idleMs, 30_000)))
    this.timer.unref()
  }

  get (source: string, fingerprint: string, rateClass: string, budget: RateBudget): SharedLimiter {
    const key = `${source}\u0000${fingerprint}\u0000${rateClass}`
    let limiter = this.limiters.get(key)
    if (limiter === undefined) {
      limiter = new SharedLimiter(budget)
      this.limiters.set(key, limiter)
    }
    limiter.lastUsed = Date.now()
    return limiter
  }

  get size (): number { return this.limiters.size }

  /** Release limiters with no job for `idleMs`. */
  sweep (now = Date.now()): void {
    for (const [key, limiter] of this.limiters) {
      if (limiter.active === 0 && now - limiter.lastUsed >= this.idleMs) {
        this.limiters.delete(key)
        void limiter.stop()
      }
    }
  }

  async close (): Promise<void> {
    clearInterval(this.timer)
    const all = [...this.limiters.values()]
    this.limiters.clear()
    await Promise.all(all.map(async (l) => { await l.stop() }))
  }
}
