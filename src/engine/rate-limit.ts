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
import type { Handover, SharedBudgetStore, SharedWindow, WindowBudget } from './shared-budget.js'
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

/** A limiter's shared window in Redis and the store it talks through (REDIS_URL set). */
export interface SharedLink {
  store: SharedBudgetStore
  window: SharedWindow
}

/** One admitted request: its lease name, and whether Redis or the local fallback admitted it. */
interface Admission {
  lease: string
  shared: boolean
}

/** The local share of a budget while Redis is unreachable: `replicas` replicas split it evenly. */
export function fallbackBudget (budget: RateBudget, replicas: number): RateBudget {
  const share = (n: number | undefined): number | undefined => n === undefined ? undefined : Math.max(1, Math.floor(n / replicas))
  const out: RateBudget = {}
  if (budget.reservoir !== undefined) out.reservoir = share(budget.reservoir) as number
  if (budget.intervalMs !== undefined) out.intervalMs = budget.intervalMs
  if (budget.maxConcurrent !== undefined) out.maxConcurrent = share(budget.maxConcurrent) as number
  if (budget.minTimeMs !== undefined) out.minTimeMs = budget.minTimeMs * replicas
  return out
}

export class SharedLimiter {
  /** Only when the budget declares what Bottleneck enforces (max concurrent, min time). */
  private readonly bottleneck: Bottleneck | undefined
  /** With Redis: the budget as the shared script reads it, and the local share used while Redis is away. */
  private readonly windowBudget: WindowBudget
  private readonly fallback: RateBudget | undefined
  /** The local window is kept with Redis too: it is what the fallback budget is checked against. */
  private readonly tracksWindow: boolean
  /** Times (ascending) at which admitted requests got their answer, within the last window. */
  private answered: number[] = []
  /** Admitted requests still waiting for their answer: they count in every window until then. */
  private unanswered = 0
  /** Answer times of requests admitted locally while Redis was away, not yet handed to Redis. */
  private fallbackAnswered: number[] = []
  /** Leases of such requests still in flight. */
  private readonly fallbackInflight = new Set<string>()
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

  constructor (readonly budget: RateBudget, private readonly shared?: SharedLink) {
    this.bottleneck = budget.maxConcurrent !== undefined || (budget.minTimeMs ?? 0) > 0 ? createBottleneck(budget) : undefined
    const { reservoir, intervalMs, maxConcurrent, minTimeMs } = budget
    this.windowBudget = {
      ...(reservoir !== undefined && intervalMs !== undefined ? { reservoir, windowMs: intervalMs + windowMarginMs(intervalMs) } : {}),
      ...(maxConcurrent !== undefined ? { maxConcurrent } : {}),
      ...(minTimeMs !== undefined ? { minTimeMs } : {})
    }
    this.fallback = shared === undefined ? undefined : fallbackBudget(budget, shared.store.replicas)
    this.tracksWindow = (reservoir !== undefined && intervalMs !== undefined) || shared !== undefined
  }

  /** Run `task` as one limited job; a cancelled run's queued job never starts its task. */
  async schedule<T> (task: () => Promise<T>, signal: AbortSignal): Promise<T> {
    if (signal.aborted) throw abortError(signal)
    this.active++
    this.lastUsed = Date.now()
    const run = async (): Promise<T> => {
      if (signal.aborted) throw abortError(signal)
      const admission = await this.admit(signal)
      try {
        return await task()
      } finally {
        this.answer(admission)
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

  /** Stop every user of this limiter (on every replica, with Redis) until `until` (epoch ms). */
  pauseUntil (until: number, now = Date.now()): void {
    this.pausedUntil = Math.max(this.pausedUntil, until)
    this.shared?.window.pause(until - now, this.windowBudget)
  }

  /** Hand a pause still in force to Redis again (it came back, possibly empty after a failover). */
  republishPause (now = Date.now()): void {
    if (this.pausedUntil > now) this.shared?.window.pause(this.pausedUntil - now, this.windowBudget)
  }

  /**
   * Read remaining/reset headers: at 0 pause until the reset; when low, spread the rest evenly. Returns
   * the pause in ms when these headers started or lengthened one (responses that repeat a pause already
   * in force return undefined, so a pause is counted once).
   */
  observe (headers: Record<string, string>, declared: RateLimitHeaders | undefined, now = Date.now()): number | undefined {
    const remaining = remainingOf(headers, declared)
    const reset = resetWaitMs(headers, declared, now)
    if (remaining === undefined || reset === undefined) return undefined
    if (remaining === 0) {
      const lengthens = now + reset > this.pausedUntil
      this.pauseUntil(now + reset, now)
      return lengthens && reset > 0 ? reset : undefined
    }
    if (remaining <= LOW_REMAINING) {
      this.spacingMs = Math.ceil(reset / remaining)
      this.spacingUntil = now + reset
      this.shared?.window.spacing(this.spacingMs, reset, this.windowBudget)
    }
    return undefined
  }

  async stop (): Promise<void> {
    await this.bottleneck?.stop({ dropWaitingJobs: true }).catch(() => undefined)
  }

  /**
   * How long a start at `now` must wait on the local budget (the whole budget, or with Redis configured
   * but unreachable its local share): pause, header-driven spacing, concurrency, sliding-window budget.
   * Infinity: the window is full of requests still unanswered; wait for an answer.
   */
  private delayFor (now: number): number {
    const budget = this.fallback ?? this.budget
    // Other replicas may be spacing their starts too while Redis is away.
    const spread = this.fallback === undefined ? 1 : (this.shared?.store.replicas ?? 1)
    let until = Math.max(now, this.pausedUntil)
    // Bottleneck spaces job starts, but a job held here by the window may be released right after
    // another one; the spacing is therefore checked again on the actual starts.
    if ((budget.minTimeMs ?? 0) > 0 && this.lastStart > 0) until = Math.max(until, this.lastStart + (budget.minTimeMs ?? 0))
    if (this.spacingUntil > now && this.spacingMs > 0) until = Math.max(until, this.lastStart + this.spacingMs * spread)
    // Bottleneck holds the whole maxConcurrent; the fallback share is held here.
    if (this.fallback?.maxConcurrent !== undefined && this.unanswered >= this.fallback.maxConcurrent) return Infinity
    const { reservoir, intervalMs } = budget
    if (reservoir !== undefined && intervalMs !== undefined) {
      const window = intervalMs + windowMarginMs(intervalMs)
      if (this.shared !== undefined && !this.shared.store.available) until = Math.max(until, this.shared.store.fallbackQuietUntil(window))
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

  private answer (admission: Admission | undefined): void {
    if (admission !== undefined && this.shared !== undefined) {
      this.shared.window.release(admission.lease, this.windowBudget)
      if (this.fallbackInflight.delete(admission.lease)) this.fallbackAnswered.push(Date.now())
    }
    if (!this.tracksWindow) return
    this.unanswered--
    this.answered.push(Date.now())
    const wake = this.onAnswer
    this.onAnswer = undefined
    wake?.()
  }

  private async admit (signal: AbortSignal): Promise<Admission | undefined> {
    // Nothing queued before us and nothing to wait for: admitted at once, no hand-off.
    if (this.shared === undefined && this.admitting === 0 && this.delayFor(Date.now()) <= 0) return this.started(undefined)
    this.admitting++
    const previous = this.admission
    let release!: () => void
    this.admission = new Promise<void>((resolve) => { release = resolve })
    try {
      await raceAbort(previous, signal)
      if (this.shared !== undefined && this.shared.store.available) {
        // Just after an outage the others may not have handed over what they admitted meanwhile.
        if (this.shared.store.recovering(this.windowBudget.windowMs ?? 0)) await this.localWait(signal)
        const admitted = await this.admitShared(this.shared, signal)
        if (admitted !== undefined) return admitted
      }
      await this.localWait(signal)
      if (this.shared === undefined) return this.started(undefined)
      this.shared.store.counters.fallbackAdmissions++
      const lease = this.shared.store.nextLease()
      this.fallbackInflight.add(lease)
      return this.started({ lease, shared: false })
    } finally {
      this.admitting--
      void previous.then(release)
    }
  }

  /** Wait until the local budget (or share) admits a start. Re-checked after every wait: timers fire late under load, and a 429 elsewhere may pause us. */
  private async localWait (signal: AbortSignal): Promise<void> {
    for (let wait = this.delayFor(Date.now()); wait > 0; wait = this.delayFor(Date.now())) {
      if (wait === Infinity) await raceAbort(new Promise<void>((resolve) => { this.onAnswer = resolve }), signal)
      else await sleep(wait, signal)
    }
  }

  /**
   * Admission through the shared window: ask Redis until it admits (a lease) or becomes unreachable
   * (undefined: the local fallback decides). Requests admitted locally meanwhile are handed over first.
   */
  private async admitShared (shared: SharedLink, signal: AbortSignal): Promise<Admission | undefined> {
    const lease = shared.store.nextLease()
    let waitedMs = 0
    try {
      while (shared.store.available) {
        const now = Date.now()
        const handover = this.handover(now)
        const reply = await shared.window.admit(lease, this.windowBudget, this.pausedUntil - now, handover)
        if (reply === undefined) return undefined
        if (handover !== undefined) this.handedOver(handover)
        const at = Date.now()
        // A pause seen in Redis is remembered here, so a Redis failover cannot shorten it.
        if (reply.pausedMs > 0) this.pausedUntil = Math.max(this.pausedUntil, at + reply.pausedMs)
        if (reply.waitMs === 0) return this.started({ lease, shared: true })
        waitedMs += reply.waitMs
        await sleep(reply.waitMs, signal)
      }
      return undefined
    } finally {
      if (waitedMs > 0) {
        shared.store.counters.waits++
        shared.store.counters.waitMs += waitedMs
      }
    }
  }

  /** What the fallback admitted that Redis has not seen, if anything. */
  private handover (now: number): Handover | undefined {
    if (this.fallbackAnswered.length === 0 && this.fallbackInflight.size === 0) return undefined
    return { answeredAgesMs: this.fallbackAnswered.map((at) => now - at), inflight: [...this.fallbackInflight] }
  }

  private handedOver (handover: Handover): void {
    this.fallbackAnswered = []
    // Their leases now live in Redis; their answers release them there like any other.
    for (const lease of handover.inflight) this.fallbackInflight.delete(lease)
  }

  private started (admission: Admission | undefined): Admission | undefined {
    this.lastStart = Date.now()
    if (this.tracksWindow) this.unanswered++
    return admission
  }
}

/** Limiters by (source, credential fingerprint, class); idle ones are released. */
export class LimiterRegistry {
  private readonly limiters = new Map<string, SharedLimiter>()
  private readonly timer: NodeJS.Timeout

  /** `shared`: with REDIS_URL, every limiter's window also lives in Redis (shared-budget.ts). */
  constructor (private readonly idleMs = LIMITER_IDLE_MS, private readonly shared?: SharedBudgetStore) {
    this.timer = setInterval(() => { this.sweep() }, Math.max(1_000, Math.min(idleMs, 30_000)))
    this.timer.unref()
    shared?.onRecover(() => { for (const limiter of this.limiters.values()) limiter.republishPause() })
  }

  get (source: string, fingerprint: string, rateClass: string, budget: RateBudget): SharedLimiter {
    const key = `${source}\u0000${fingerprint}\u0000${rateClass}`
    let limiter = this.limiters.get(key)
    if (limiter === undefined) {
      const link = this.shared === undefined ? undefined : { store: this.shared, window: this.shared.window(source, fingerprint, rateClass) }
      limiter = new SharedLimiter(budget, link)
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
