/**
 * Engine services shared by every run of one app: the HTTP dispatcher (keep-alive pools, SSRF-safe
 * connect), the limiter registry keyed by (source, credential fingerprint) — its windows shared
 * across replicas in Redis when configured — and engine settings.
 * Created once by buildApp(); sources reach it through SourceContext.services.
 */
import type { lookup as dnsLookup } from 'node:dns'
import pino, { type Logger } from 'pino'
import { Agent } from 'undici'
import { TokenCache } from './auth.js'
import { createRestClient } from './client.js'
import { DEFAULT_KNOWN_PAGES_IN_FLIGHT, InFlightPool } from './in-flight-pool.js'
import { DEFAULT_KNOWN_PAGES_CONCURRENCY, DEFAULT_LOOKAHEAD_PAGES } from './pages.js'
import { EngineObservers, type EngineObserver } from './observer.js'
import { LIMITER_IDLE_MS, LimiterRegistry } from './rate-limit.js'
import type { RetrySettings } from './retry.js'
import { SharedBudgetStore, type SharedBudgetCounters, type SharedBudgetSettings, type SharedBudgetState } from './shared-budget.js'
import { createCheckingLookup } from './ssrf.js'
import type { ClientOptions, RestClient, RunContext } from './types.js'

export interface EngineSettings {
  /** Allow upstream targets on loopback/private/link-local addresses (tests, internal proxies). */
  allowPrivateUpstreams: boolean
  connectTimeoutMs: number
  headersTimeoutMs: number
  bodyTimeoutMs: number
  /**
   * Exact origins (e.g. `http://127.0.0.1:8000`, the service's own sample API) exempt from the
   * private-address check (the host allowlist still applies).
   */
  trustedOrigins: string[]
  /** Retry overrides for every client (tests scale waits down); defaults: 5 attempts, 1 s base, 60 s backoff cap, 300 s max wait. */
  retry: Partial<RetrySettings>
  /** Retry policy of interactive runs (credential checks): attempts per request and one deadline for the whole run. */
  interactive: InteractivePolicy
  /** Pages fetched ahead of a consumer (and buffered per fan-out parent). */
  lookaheadPages: number
  /** Pages of a known run (page count/total known) in flight at once, emitted in order. */
  knownPagesConcurrency: number
  /** Known pages in flight beyond each page loop's first, across every run of these services (many syncs at once). */
  knownPagesInFlight: number
  /** Limiters without jobs for this long are released. */
  limiterIdleMs: number
  /** Idle keep-alive sockets are closed after this long. */
  keepAliveTimeoutMs: number
  /** Largest upstream response body read into memory. */
  maxResponseBytes: number
  /** Resolver behind the connect-time address check (tests inject one; default node:dns lookup). */
  dnsLookup?: typeof dnsLookup
  /** Share rate-limit budgets across replicas through Redis (REDIS_URL); absent: in-process only. */
  sharedBudget?: SharedBudgetSettings
  /** Where service-level engine lines go (Redis outages and recoveries); default silent. */
  log?: Logger
}

/** The shared budget as /ready and /metrics see it (`services.sharedBudget`, only with Redis configured). */
export interface SharedBudgetStatus {
  /** `connected`: budgets are shared; `connecting` / `unavailable`: each replica uses its local share. */
  readonly state: SharedBudgetState
  /** Live counters (monotonic): waits on the shared window, their total ms, fallback admissions, outages. */
  readonly counters: Readonly<SharedBudgetCounters>
  /** Replica count the local fallback divides budgets by. */
  readonly replicas: number
  /** Resolves when connected, or after `timeoutMs` (false: starting on the local fallback). */
  whenConnected: (timeoutMs: number) => Promise<boolean>
}

export interface InteractivePolicy {
  maxAttempts: number
  deadlineMs: number
}

export const DEFAULT_ENGINE_SETTINGS: EngineSettings = {
  allowPrivateUpstreams: false,
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 60_000,
  bodyTimeoutMs: 120_000,
  trustedOrigins: [],
  retry: {},
  interactive: { maxAttempts: 2, deadlineMs: 5_000 },
  lookaheadPages: DEFAULT_LOOKAHEAD_PAGES,
  knownPagesConcurrency: DEFAULT_KNOWN_PAGES_CONCURRENCY,
  knownPagesInFlight: DEFAULT_KNOWN_PAGES_IN_FLIGHT,
  limiterIdleMs: LIMITER_IDLE_MS,
  keepAliveTimeoutMs: 30_000,
  maxResponseBytes: 256 * 1024 * 1024
}

export interface EngineServices {
  readonly settings: EngineSettings
  /** A client bound to one source, one credential and one run (its signal, logger and event sink). */
  createClient: (options: ClientOptions, run: RunContext) => RestClient
  /** Only when `settings.sharedBudget` is set (REDIS_URL). */
  readonly sharedBudget?: SharedBudgetStatus
  /** Watch every upstream attempt and engine event of every client (metrics); returns the remover. */
  observe: (observer: EngineObserver) => () => void
  close: () => Promise<void>
}

export function createEngineServices (settings: Partial<EngineSettings> = {}): EngineServices {
  const resolved: EngineSettings = { ...DEFAULT_ENGINE_SETTINGS, ...settings }
  const agentOptions = { keepAliveTimeout: resolved.keepAliveTimeoutMs, connections: 32, maxResponseSize: resolved.maxResponseBytes }
  const guarded = new Agent({ ...agentOptions, connect: { timeout: resolved.connectTimeoutMs, lookup: createCheckingLookup(resolved.dnsLookup) } })
  const open = new Agent({ ...agentOptions, connect: { timeout: resolved.connectTimeoutMs } })
  const store = resolved.sharedBudget === undefined ? undefined : new SharedBudgetStore(resolved.sharedBudget, resolved.log ?? pino({ level: 'silent' }))
  const registry = new LimiterRegistry(resolved.limiterIdleMs, store)
  const knownPagesPool = new InFlightPool(resolved.knownPagesInFlight)
  const tokens = new TokenCache()
  const observers = new EngineObservers()
  return {
    settings: resolved,
    ...(store === undefined
      ? {}
      : {
          sharedBudget: {
            get state () { return store.state },
            counters: store.counters,
            replicas: store.replicas,
            whenConnected: async (timeoutMs: number) => await store.whenConnected(timeoutMs)
          }
        }),
    createClient (options: ClientOptions, run: RunContext): RestClient {
      return createRestClient({
        guarded,
        open,
        registry,
        tokens,
        observers,
        allowPrivate: resolved.allowPrivateUpstreams,
        trustedOrigins: resolved.trustedOrigins,
        headersTimeoutMs: resolved.headersTimeoutMs,
        bodyTimeoutMs: resolved.bodyTimeoutMs,
        retry: resolved.retry,
        interactive: resolved.interactive,
        lookaheadPages: resolved.lookaheadPages,
        knownPagesConcurrency: resolved.knownPagesConcurrency,
        knownPagesPool
      }, options, run)
    },
    observe: (observer) => observers.add(observer),
    async close () {
      await registry.close()
      await store?.close()
      await Promise.all([guarded.close(), open.close()])
    }
  }
}
