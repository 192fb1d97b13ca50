/**
 * Engine services shared by every run of one app: the HTTP dispatcher (keep-alive pools, SSRF-safe
 * connect), the limiter registry keyed by (source, credential fingerprint), and engine settings.
 * Created once by buildApp(); sources reach it through SourceContext.services.
 */
import type { lookup as dnsLookup } from 'node:dns'
import { Agent } from 'undici'
import { TokenCache } from './auth.js'
import { createRestClient } from './client.js'
import { DEFAULT_KNOWN_PAGES_CONCURRENCY, DEFAULT_LOOKAHEAD_PAGES } from './pages.js'
import { EngineObservers, type EngineObserver } from './observer.js'
import { LIMITER_IDLE_MS, LimiterRegistry } from './rate-limit.js'
import type { RetrySettings } from './retry.js'
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
  /** Pages fetched ahead of a consumer (and buffered per fan-out parent). */
  lookaheadPages: number
  /** Pages of a known run (page count/total known) in flight at once, emitted in order. */
  knownPagesConcurrency: number
  /** Limiters without jobs for this long are released. */
  limiterIdleMs: number
  /** Idle keep-alive sockets are closed after this long. */
  keepAliveTimeoutMs: number
  /** Largest upstream response body read into memory. */
  maxResponseBytes: number
  /** Resolver behind the connect-time address check (tests inject one; default node:dns lookup). */
  dnsLookup?: typeof dnsLookup
}

export const DEFAULT_ENGINE_SETTINGS: EngineSettings = {
  allowPrivateUpstreams: false,
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 60_000,
  bodyTimeoutMs: 120_000,
  trustedOrigins: [],
  retry: {},
  lookaheadPages: DEFAULT_LOOKAHEAD_PAGES,
  knownPagesConcurrency: DEFAULT_KNOWN_PAGES_CONCURRENCY,
  limiterIdleMs: LIMITER_IDLE_MS,
  keepAliveTimeoutMs: 30_000,
  maxResponseBytes: 256 * 1024 * 1024
}

export interface EngineServices {
  readonly settings: EngineSettings
  /** A client bound to one source, one credential and one run (its signal, logger and event sink). */
  createClient: (options: ClientOptions, run: RunContext) => RestClient
  /** Watch every upstream attempt and engine event of every client (metrics); returns the remover. */
  observe: (observer: EngineObserver) => () => void
  close: () => Promise<void>
}

export function createEngineServices (settings: Partial<EngineSettings> = {}): EngineServices {
  const resolved: EngineSettings = { ...DEFAULT_ENGINE_SETTINGS, ...settings }
  const agentOptions = { keepAliveTimeout: resolved.keepAliveTimeoutMs, connections: 32, maxResponseSize: resolved.maxResponseBytes }
  const guarded = new Agent({ ...agentOptions, connect: { timeout: resolved.connectTimeoutMs, lookup: createCheckingLookup(resolved.dnsLookup) } })
  const open = new Agent({ ...agentOptions, connect: { timeout: resolved.connectTimeoutMs } })
  const registry = new LimiterRegistry(resolved.limiterIdleMs)
  const tokens = new TokenCache()
  const observers = new EngineObservers()
  return {
    settings: resolved,
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
        lookaheadPages: resolved.lookaheadPages,
        knownPagesConcurrency: resolved.knownPagesConcurrency
      }, options, run)
    },
    observe: (observer) => observers.add(observer),
    async close () {
      await registry.close()
      await Promise.all([guarded.close(), open.close()])
    }
  }
}
