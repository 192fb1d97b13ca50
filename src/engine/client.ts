/**
 * A RestClient bound to one source, one credential and one run: SSRF policy from the client's hosts,
 * auth with secrets registered for redaction, limiters shared through the registry, retry settings.
 */
import { setMaxListeners } from 'node:events'
import { UpstreamNetworkError } from '../errors.js'
import { authParts, credentialFingerprint, credentialHeaderNames, isTokenAuth, registerSecrets, type TokenCache, type TokenPoster } from './auth.js'
import { execute, type ClientRuntime } from './execute.js'
import { exchange, TransientNetworkError, type RawResponse, type Transport } from './http.js'
import type { EngineObservers } from './observer.js'
import { sleep } from './sleep.js'
import type { LimiterRegistry } from './rate-limit.js'
import type { InFlightPool } from './in-flight-pool.js'
import { budgetWindows, composeLimiters, windowOrder } from './rate-windows.js'
import { Redactor, redactUrl } from './redact.js'
import { joinUrl } from './request-builder.js'
import { originOf } from './ssrf.js'
import { backoffMs, DEFAULT_RETRY, RETRYABLE_STATUSES, waitBeforeRetry, type RetrySettings } from './retry.js'
import { endpointPagesForRun } from './pages.js'
import type { Dispatcher } from 'undici'
import type { ClientOptions, RateBudget, RestClient, RunContext } from './types.js'

export interface ClientDeps {
  guarded: Dispatcher
  open: Dispatcher
  registry: LimiterRegistry
  tokens: TokenCache
  observers: EngineObservers
  allowPrivate: boolean
  trustedOrigins: readonly string[]
  headersTimeoutMs: number
  bodyTimeoutMs: number
  retry: Partial<RetrySettings>
  interactive: { maxAttempts: number, deadlineMs: number }
  lookaheadPages: number
  knownPagesConcurrency: number
  knownPagesPool?: InFlightPool
}

/** The base URL's origin (or the declared ones) plus the OAuth2 token endpoint's. */
export function originsFor (options: ClientOptions): Set<string> {
  const origins = new Set((options.allowedOrigins ?? [options.baseUrl]).map((o) => originOf(o)))
  const auth = options.auth
  if (isTokenAuth(auth)) origins.add(originOf(auth.tokenUrl))
  return origins
}

export function createRestClient (deps: ClientDeps, options: ClientOptions, run: RunContext): RestClient {
  // Concurrent requests of one run (fan-out, known page runs, a source's own requests) each listen on it.
  setMaxListeners(0, run.signal)
  // A route's logger may carry the source already: one binding per key.
  const log = run.log.bindings().source === options.source ? run.log : run.log.child({ source: options.source })
  const redactor = new Redactor()
  registerSecrets(options.auth, redactor)
  const fingerprint = credentialFingerprint(options.auth)
  const transport: Transport = {
    policy: {
      allowedOrigins: originsFor(options),
      allowPrivate: deps.allowPrivate,
      trustedOrigins: new Set([...deps.trustedOrigins, ...(options.trustedOrigins ?? [])].map((o) => originOf(o)))
    },
    guarded: deps.guarded,
    open: deps.open,
    headersTimeoutMs: deps.headersTimeoutMs,
    bodyTimeoutMs: deps.bodyTimeoutMs
  }
  const configured: RetrySettings = { ...DEFAULT_RETRY, ...deps.retry, ...options.retry }
  const interactive = run.interactive === true ? deps.interactive : undefined
  const retry: RetrySettings = interactive === undefined
    ? configured
    : { ...configured, maxAttempts: interactive.maxAttempts, maxWaitMs: Math.min(configured.maxWaitMs, interactive.deadlineMs) }
  // An interactive run has one deadline for all its requests; past it, the vendor did not answer in time.
  const deadline = interactive === undefined ? undefined : AbortSignal.timeout(interactive.deadlineMs)
  const signal = deadline === undefined ? run.signal : AbortSignal.any([run.signal, deadline])
  if (signal !== run.signal) setMaxListeners(0, signal)
  const overDeadline = (error: unknown): unknown => {
    if (deadline?.aborted !== true || run.signal.aborted) return error
    const where = redactUrl(options.baseUrl)
    return new UpstreamNetworkError(`No answer from ${where} within the ${interactive?.deadlineMs ?? 0} ms deadline of an interactive check.`, where, { cause: error })
  }
  // Token requests go to the authorisation server, not the API budget; transient failures are retried.
  const post: TokenPoster = async (url, form, headers) => {
    let raw: RawResponse
    for (let attempt = 1; ; attempt++) {
      const started = performance.now()
      try {
        raw = await exchange(transport, {
          method: 'POST',
          url: new URL(url),
          headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', ...headers },
          body: new URLSearchParams(form).toString(),
          credentialHeaders: new Set(['authorization'])
        }, signal)
        observeAttempt(raw.status, attempt, started)
      } catch (error) {
        if (error instanceof UpstreamNetworkError) observeAttempt(null, attempt, started)
        if (!(error instanceof TransientNetworkError) || attempt >= retry.maxAttempts) throw error
        await sleep(backoffMs(attempt, retry), signal)
        continue
      }
      if (!RETRYABLE_STATUSES.has(raw.status) || attempt >= retry.maxAttempts) break
      await sleep(waitBeforeRetry(attempt, raw.headers, undefined, retry).ms, signal)
    }
    let body: unknown
    try { body = raw.text === '' ? undefined : JSON.parse(raw.text) } catch {
      throw new UpstreamNetworkError(`OAuth2 token response from ${redactUrl(url)} is not JSON.`, redactUrl(url))
    }
    return { status: raw.status, body }
  }
  const observeAttempt = (status: number | null, attempt: number, started: number): void => {
    deps.observers.upstreamAttempt({ source: options.source, status, attempt, durationMs: performance.now() - started })
  }
  // Credentials that never change (all but OAuth2's tokens) are made once per client, not once a request.
  const fixedAuth = isTokenAuth(options.auth) ? undefined : authParts(options.auth, { cache: deps.tokens, post, redactor, fingerprint })
  const rt: ClientRuntime = {
    transport,
    options,
    retry,
    redactor,
    credentialHeaders: new Set(credentialHeaderNames(options.auth)),
    limiterFor: (rateClass) => {
      const declared = options.budgets?.[rateClass ?? 'default'] !== undefined ? rateClass ?? 'default' : 'default'
      const windows = budgetWindows(options.budgets?.[declared])
      if (windows.length === 1) return deps.registry.get(options.source, fingerprint, declared, windows[0] as RateBudget)
      // One shared limiter per window of the class (keyed `class#window`), composed: see rate-windows.ts.
      return composeLimiters(windowOrder(windows).map((i) => deps.registry.get(options.source, fingerprint, `${declared}#${i}`, windows[i] as RateBudget)))
    },
    authParts: () => fixedAuth ?? authParts(options.auth, { cache: deps.tokens, post, redactor, fingerprint }),
    invalidateAuth: () => {
      if (!isTokenAuth(options.auth)) return false
      deps.tokens.invalidate(fingerprint)
      return true
    },
    emit: (event) => {
      const level = event.level === 'error' ? 'error' : event.level === 'warn' ? 'warn' : 'info'
      log[level](event, event.event)
      deps.observers.engineEvent(options.source, event)
      run.onEvent?.(event)
    },
    observeAttempt,
    ...(typeof log.isLevelEnabled !== 'function' || log.isLevelEnabled('debug') ? { debug: (fields: Record<string, unknown>, message: string) => { log.debug(fields, message) } } : {})
  }
  return {
    async request (spec, requestOptions) {
      const { path, ...rest } = spec
      try {
        const outcome = await execute(rt, { ...rest, url: joinUrl(options.baseUrl, path) }, {
          signal,
          ...(requestOptions?.acceptStatuses !== undefined ? { acceptStatuses: requestOptions.acceptStatuses } : {}),
          ...(requestOptions?.rateLimitClass !== undefined ? { rateLimitClass: requestOptions.rateLimitClass } : {})
        })
        return outcome.result
      } catch (error) {
        throw overDeadline(error)
      }
    },
    pages (endpoint, pagesOptions = {}) {
      const pages = endpointPagesForRun(rt, endpoint, pagesOptions, signal, { lookahead: deps.lookaheadPages, knownPagesConcurrency: deps.knownPagesConcurrency, knownPagesPool: deps.knownPagesPool })
      if (deadline === undefined) return pages
      return (async function * () {
        try { yield * pages } catch (error) { throw overDeadline(error) }
      })()
    }
  }
}
