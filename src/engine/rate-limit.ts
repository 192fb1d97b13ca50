/**
 * Rate limiting. One SharedLimiter per (source, credential fingerprint, rate-limit class), shared by
 * every run using that credential and released when idle. Bottleneck queues jobs and enforces the
 * concurrency and spacing budget (when declared); an admission step inside each job keeps requests within
 * `reservoir` per any sliding `intervalMs`; response headers (remaining/reset) and 429s pause or slow every user of the
 * limiter before the API has to say 429 again.
 *
 * The sliding window counts each request from its admission until its response has arrived, and then
 * for `intervalMs` after that arrival. A vendor counts a request when it arrives, which is somewhere
 * between our admission and our receipt of the answer, however late the network or a loaded event
 * loop delivers it. So for any window of `intervalMs` at the vendor, the last of its requests we
 * admitted saw every earlier one of them as either in flight or answered less than `intervalMs`
 * before: at most `reservoir` requests fall in any vendor window, whatever the jitter.
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
 * Margin added to the budget window. The window is anchored on response arrival (see above), which
 * already covers network and event-loop jitter; the margin only absorbs clock granularity
 * (`Date.now()` is whole milliseconds) and drift between our clock and the vendor's: 0.5 % of the
 * window, at least 2 ms, at most 50 ms.
 */
export function windowMarginMs (intervalMs: number): number {
  return Math.min(50, Math.max(2, Math.round(intervalMs * 0.005)))
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
  /** Times (ascending) at which admitted requests got their answer, within the last window. */
  private answered: number[] = []
  /** Admitted requests still waiting for their answer: they count in every window until then. */
  private unanswered = 0
  private lastStart = 0
  private pausedUntil = 0
  private spacingMs = 0
  private spacingUntil = 0
  /** Admission is serialised so each start is checked against the requests before it. */
  private admission: Promise<void> = Promise.resolve()
  /** Admissions queued on `admission` (0: a request may be admitted at once when nothing delays it). */
  private admitting = 0
  /** Woken when a request gets its answer (an admission waiting for a slot of the window). */
  private onAnswer: (() => void) | undefined
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
      try {
        return await task()
      } finally {
        this.answer()
      }
    }
    try {
      // Without Bottleneck the job runs at once: its waits (admission) and its task (the request) are abortable.
      return this.bottleneck === undefined ? await run() : await raceAbort(this.bottleneck.schedule(run), signal)
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

  /**
   * How long a start at `now` must wait: pause, header-driven spacing, sliding-window budget.
   * Infinity: the window is full of requests still unanswered; wait for an answer.
   */
  private delayFor (now: number): number {
    let until = Math.max(now, this.pausedUntil)
    // Bottleneck spaces job starts, but a job held here by the window may be released right after
    // another one; the spacing is therefore checked again on the actual starts.
    if ((this.budget.minTimeMs ?? 0) > 0 && this.lastStart > 0) until = Math.max(until, this.lastStart + (this.budget.minTimeMs ?? 0))
    if (this.spacingUntil > now && this.spacingMs > 0) until = Math.max(until, this.lastStart + this.spacingMs)
    const { reservoir, intervalMs } = this.budget
    if (reservoir !== undefined && intervalMs !== undefined) {
      const window = intervalMs + windowMarginMs(intervalMs)
      const answered = this.answered
      let expired = 0
      while (expired < answered.length && (answered[expired] as number) <= now - window) expired++
      if (expired > 0) answered.splice(0, expired)
      const counted = answered.length + this.unanswered
      if (counted >= reservoir) {
        // The (counted - reservoir + 1)-th request to leave the window must leave it first; answers leave in order.
        const index = counted - reservoir
        until = index < answered.length ? Math.max(until, (answered[index] as number) + window) : Infinity
      }
    }
    return until - now
  }

  private answer (): void {
    if (this.budget.reservoir === undefined || this.budget.intervalMs === undefined) return
    this.unanswered--
    this.answered.push(Date.now())
    const wake = this.onAnswer
    this.onAnswer = undefined
    wake?.()
  }

  private async admit (signal: AbortSignal): Promise<void> {
    // Nothing queued before us and nothing to wait for: admitted at once, no hand-off.
    if (this.admitting === 0 && this.delayFor(Date.now()) <= 0) { this.started(); return }
    this.admitting++
    const previous = this.admission
    let release!: () => void
    this.admission = new Promise<void>((resolve) => { release = resolve })
    try {
      await raceAbort(previous, signal)
      // Re-check after every wait: timers fire late under load, and a 429 elsewhere may pause us.
      for (let wait = this.delayFor(Date.now()); wait > 0; wait = this.delayFor(Date.now())) {
        if (wait === Infinity) await raceAbort(new Promise<void>((resolve) => { this.onAnswer = resolve }), signal)
        else await sleep(wait, signal)
      }
      this.started()
    } finally {
      this.admitting--
      void previous.then(release)
    }
  }

  private started (): void {
    this.lastStart = Date.now()
    if (this.budget.reservoir !== undefined && this.budget.intervalMs !== undefined) this.unanswered++
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
