/**
 * Observers of the engine services: every upstream attempt and every engine event of every client,
 * whichever source or run made it, reach each observer added with `services.observe()`. The app's
 * metrics are one; the engine knows nothing of Prometheus. Observers see names (source, endpoint),
 * statuses and durations, never credentials or config values. An observer that throws is ignored.
 */
import type { EngineEvent } from './types.js'

/** One attempt of one upstream request (retries are attempts > 1; OAuth2 token requests included). */
export interface UpstreamAttempt {
  /** ClientOptions.source, e.g. "Github". */
  source: string
  /** HTTP status, or null when no answer came (network failure, timeout). */
  status: number | null
  attempt: number
  durationMs: number
}

export interface EngineObserver {
  upstreamAttempt?: (attempt: UpstreamAttempt) => void
  /** Every event a client emits (rate_limit_wait, page_cap_reached, retry, ...), with its source. */
  engineEvent?: (source: string, event: EngineEvent) => void
  // Shared rate-limit budgets (REDIS_URL) keep their own live counters (services.sharedBudget), which
  // ServiceMetrics.watchSharedBudget reads at each scrape.
}

/** The observers of one EngineServices; clients call it, never the observers directly. */
export class EngineObservers {
  readonly #observers = new Set<EngineObserver>()

  /** Add an observer; the returned function removes it. */
  add (observer: EngineObserver): () => void {
    this.#observers.add(observer)
    return () => { this.#observers.delete(observer) }
  }

  upstreamAttempt (attempt: UpstreamAttempt): void {
    for (const observer of this.#observers) {
      try { observer.upstreamAttempt?.(attempt) } catch { /* observers never break a request */ }
    }
  }

  engineEvent (source: string, event: EngineEvent): void {
    for (const observer of this.#observers) {
      try { observer.engineEvent?.(source, event) } catch { /* observers never break a run */ }
    }
  }
}
