/**
 * Prometheus metrics (prom-client), served at GET /metrics. One registry per app for the service's own
 * counters, fed by the sync route and by an observer of the engine services (every upstream attempt and
 * engine event, whatever the source); process and Node.js metrics come from one process-wide registry
 * (prom-client's default collectors watch the process, and each one started keeps an event-loop monitor).
 *
 * Labels are names the service defines, never what a caller typed: `source` (the registered source
 * name), `table` (a table of its catalog), `outcome`, `status_class`, `retry`. No credential, config
 * value, URL or path is ever a label.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import type { EngineObserver, UpstreamAttempt } from './engine/observer.js'
import type { SharedBudgetStatus } from './engine/services.js'
import type { EngineEvent } from './engine/types.js'
import type { SyncOutcome } from './sync/run-sync.js'

export const METRICS_PREFIX = 'warehouse_sources_'

/** Every outcome a sync can finish with; each is exported as 0 from a table's first sync on. */
export const SYNC_OUTCOMES: readonly SyncOutcome[] = ['completed', 'failed', 'limit_reached', 'client_gone', 'shutdown']

let processRegistry: Registry | undefined

/** Process and Node.js metrics (CPU, memory, event loop lag, GC, handles), collected once per process. */
function processMetrics (): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry })
  }
  return processRegistry
}

function statusClass (status: number | null): string {
  if (status === null) return 'network'
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other'
}

export class ServiceMetrics {
  readonly registry = new Registry()

  #counter<L extends string> (name: string, help: string, labelNames: readonly L[]): Counter<L> {
    return new Counter({ name: METRICS_PREFIX + name, help, labelNames, registers: [this.registry] })
  }

  #gauge<L extends string> (name: string, help: string, labelNames: readonly L[]): Gauge<L> {
    return new Gauge({ name: METRICS_PREFIX + name, help, labelNames, registers: [this.registry] })
  }

  readonly #syncsStarted = this.#counter('syncs_started_total', 'Table syncs started (the stream began).', ['source', 'table'])
  readonly #syncsFinished = this.#counter('syncs_finished_total', 'Table syncs finished, by outcome: completed, failed, limit_reached, client_gone, shutdown.', ['source', 'table', 'outcome'])
  readonly #syncsInFlight = this.#gauge('syncs_in_flight', 'Table syncs streaming now.', ['source', 'table'])
  readonly #rows = this.#counter('sync_rows_total', 'Rows streamed as record lines.', ['source', 'table'])
  readonly #pages = this.#counter('sync_pages_total', 'Pages streamed (each page of upstream rows the engine handed a sync).', ['source', 'table'])
  readonly #upstreamRequests = this.#counter('upstream_requests_total', 'Upstream request attempts by status class (1xx-5xx, or network when no answer came) and whether the attempt was a retry.', ['source', 'status_class', 'retry'])
  readonly #rateLimitWaits = this.#counter('rate_limit_waits_total', 'Times the upstream said "rate limited" (429 or a declared status, or an answered request with remaining 0 and a reset) and every user of the limiter paused.', ['source'])
  readonly #rateLimitWaitSeconds = this.#counter('rate_limit_wait_seconds_total', 'Seconds of those pauses (Retry-After, reset headers or backoff).', ['source'])
  readonly #pageCaps = this.#counter('page_caps_reached_total', 'Times an endpoint stopped at its declared page cap (page_cap_reached).', ['source', 'table'])

  /**
   * Shared rate-limit budgets (REDIS_URL): the engine's live counters, read at each scrape — waits on the
   * shared window and their seconds, admissions on the local fallback share, Redis outages.
   */
  watchSharedBudget (status: SharedBudgetStatus): void {
    const mirror = (name: string, help: string, read: () => number): void => {
      // eslint-disable-next-line no-new
      new Counter({ name: METRICS_PREFIX + name, help, registers: [this.registry], collect () { this.reset(); this.inc(read()) } })
    }
    mirror('shared_budget_waits_total', 'Admissions that waited on a budget shared across replicas in Redis.', () => status.counters.waits)
    mirror('shared_budget_wait_seconds_total', 'Seconds those admissions waited.', () => status.counters.waitMs / 1000)
    mirror('shared_budget_fallback_admissions_total', 'Requests admitted on the local share while Redis was unreachable.', () => status.counters.fallbackAdmissions)
    mirror('shared_budget_outages_total', 'Times Redis became unreachable (syncs went on with local shares).', () => status.counters.outages)
  }

  /** Hand this to EngineServices.observe(). */
  readonly engineObserver: EngineObserver = {
    upstreamAttempt: (attempt: UpstreamAttempt) => {
      this.#upstreamRequests.labels(attempt.source, statusClass(attempt.status), attempt.attempt > 1 ? 'true' : 'false').inc()
    },
    engineEvent: (source: string, event: EngineEvent) => {
      if (event.event === 'rate_limit_wait') {
        this.#rateLimitWaits.labels(source).inc()
        const waitMs = typeof event.waitMs === 'number' && Number.isFinite(event.waitMs) ? Math.max(0, event.waitMs) : 0
        this.#rateLimitWaitSeconds.labels(source).inc(waitMs / 1000)
      } else if (event.event === 'page_cap_reached' && typeof event.resource === 'string') {
        this.#pageCaps.labels(source, event.resource).inc()
      }
    }
  }

  syncStarted (source: string, table: string): void {
    this.#syncsStarted.labels(source, table).inc()
    this.#syncsInFlight.labels(source, table).inc()
    for (const outcome of SYNC_OUTCOMES) this.#syncsFinished.labels(source, table, outcome).inc(0)
    this.#rows.labels(source, table).inc(0)
    this.#pages.labels(source, table).inc(0)
  }

  syncPage (source: string, table: string, rows: number): void {
    this.#pages.labels(source, table).inc()
    if (rows > 0) this.#rows.labels(source, table).inc(rows)
  }

  syncFinished (source: string, table: string, outcome: SyncOutcome): void {
    this.#syncsInFlight.labels(source, table).dec()
    this.#syncsFinished.labels(source, table, outcome).inc()
  }

  readonly contentType = this.registry.contentType

  /** The exposition text: process metrics, then the service's. */
  async render (): Promise<string> {
    return await processMetrics().metrics() + await this.registry.metrics()
  }
}
