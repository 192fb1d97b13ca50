/**
 * One logical request: prepare (params, auth), then attempts — each scheduled through the limiter —
 * with response actions, rate-limit waits, retries of 429/5xx/network failures/truncated JSON, and a
 * typed error for everything else. Bodies are always consumed (http.ts).
 */
import { UpstreamAuthError, UpstreamHttpError, UpstreamNetworkError, UpstreamRaisedError, UpstreamResponseError } from '../errors.js'
import type { ResponseAction } from './declarations.js'
import { fairTurn } from './fair-share.js'
import { exchange, TransientNetworkError, type PreparedRequest, type RawResponse, type Transport } from './http.js'
import { scanRows, type RawRows } from './raw-rows.js'
import { redactUrl, type Redactor } from './redact.js'
import type { RequestLimiter } from './rate-windows.js'
import { isRateLimited, RETRYABLE_STATUSES, retryHint, waitBeforeRetry, backoffMs, type RetrySettings } from './retry.js'
import { getPath } from './select.js'
import { sleep } from './sleep.js'
import type { AuthParts } from './auth.js'
import type { ClientOptions, EngineEvent, HttpResult, RequestSpec } from './types.js'

export const USER_AGENT = 'warehouse-sources/0.1'

export interface ClientRuntime {
  transport: Transport
  options: ClientOptions
  retry: RetrySettings
  redactor: Redactor
  credentialHeaders: ReadonlySet<string>
  limiterFor: (rateClass: string | undefined) => RequestLimiter
  authParts: () => Promise<AuthParts>
  /** Drop a cached OAuth2 token after a 401 (true when there was one to drop). */
  invalidateAuth: () => boolean
  emit: (event: EngineEvent) => void
  /** Count one upstream attempt (status null: no answer) with the engine services' observers. */
  observeAttempt: (status: number | null, attempt: number, startedAt: number) => void
  /** Debug log line with stable fields (never secrets); absent when the log drops debug lines, so none is built. */
  debug?: (fields: Record<string, unknown>, message: string) => void
}

export interface ExecuteOptions {
  acceptStatuses?: readonly number[]
  rateLimitClass?: string
  responseActions?: readonly ResponseAction[]
  /** For events: the endpoint name and parent id. */
  resource?: string
  parent?: string
  signal: AbortSignal
  /**
   * Called once, when a 2xx response's headers have arrived (`body` undefined, not yet read): a page loop
   * whose paginator needs only headers starts the next request while this body arrives and is parsed.
   */
  onArrival?: (response: HttpResult) => void
  /**
   * A 2xx body that is a compact JSON array of objects (or an object holding one under `selector`) is
   * kept as text (raw-rows.ts) with these top-level fields of its rows read; the result's body is then
   * the body without its rows (none for an array). Any other body is parsed as always.
   */
  rawRows?: { fields: readonly string[], selector?: string }
}

export type Outcome = { kind: 'ok', result: HttpResult, rawRows?: RawRows } | { kind: 'ignored', result: HttpResult, action: ResponseAction }

export function prepareRequest (spec: RequestSpec, auth: AuthParts, defaults: Record<string, string> | undefined, credentialHeaders: ReadonlySet<string>): PreparedRequest {
  const url = new URL(spec.url)
  for (const [name, value] of Object.entries(spec.params ?? {})) {
    if (value === null || value === undefined) continue
    url.searchParams.set(name, String(value))
  }
  for (const [name, value] of Object.entries(auth.params)) url.searchParams.set(name, value)
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': USER_AGENT }
  for (const source of [defaults, spec.headers, auth.headers]) {
    for (const [name, value] of Object.entries(source ?? {})) headers[name.toLowerCase()] = value
  }
  const prepared: PreparedRequest = { method: spec.method, url, headers, credentialHeaders, credentialParams: auth.params }
  if (spec.json !== undefined && spec.method === 'POST') {
    prepared.body = JSON.stringify(spec.json)
    headers['content-type'] ??= 'application/json'
  }
  return prepared
}

export function matchResponseAction (actions: readonly ResponseAction[] | undefined, status: number, text: string, body: unknown): ResponseAction | undefined {
  if (actions === undefined) return undefined
  for (const action of actions) {
    if (action.status !== undefined) {
      const statuses = Array.isArray(action.status) ? action.status : [action.status]
      if (!statuses.includes(status)) continue
    }
    if (action.content !== undefined && !text.includes(action.content)) continue
    if (action.jsonField !== undefined) {
      const value = getPath(body, action.jsonField)
      if (value === undefined) continue
      if (action.jsonValues !== undefined && !action.jsonValues.includes(value as never)) continue
    }
    return action
  }
  return undefined
}

/** A short vendor message (never the raw body), with registered secrets masked; '' when the body has none. */
export function vendorText (body: unknown, redactor: Redactor): string {
  const candidates = [getPath(body, 'message'), getPath(body, 'error.message'), getPath(body, 'error_description'),
    getPath(body, 'error'), getPath(body, 'detail'), getPath(body, 'description'), getPath(body, 'errors.0.message'),
    getPath(body, 'errors.0.detail'), getPath(body, 'title')]
  const text = candidates.find((c): c is string => typeof c === 'string' && c.trim() !== '')
  if (text === undefined) return ''
  return redactor.redact(text.replace(/\s+/g, ' ').trim()).slice(0, 200)
}

/** The vendor message as a suffix of an engine message (`: …`), or ''. */
export function vendorMessage (body: unknown, redactor: Redactor): string {
  const text = vendorText(body, redactor)
  return text === '' ? '' : `: ${text}`
}

function parseBody (text: string): { ok: true, body: unknown } | { ok: false } {
  if (text.trim() === '') return { ok: true, body: undefined }
  try { return { ok: true, body: JSON.parse(text) } } catch { return { ok: false } }
}

/** The result, its URL stripped of auth query params (it may seed next requests and resume state). */
function toResult (raw: RawResponse, body: unknown, authParams: readonly string[]): HttpResult {
  let url = raw.url
  if (authParams.length > 0) {
    const parsed = new URL(raw.url)
    for (const name of authParams) parsed.searchParams.delete(name)
    url = parsed.href
  }
  return { status: raw.status, headers: raw.headers, body, url }
}

/** Send `spec` with retries; throws typed errors for non-accepted statuses. */
export async function execute (rt: ClientRuntime, spec: RequestSpec, opts: ExecuteOptions): Promise<Outcome> {
  const { retry, options, redactor } = rt
  const where = redactUrl(spec.url)
  const method = spec.method
  let reauthorized = false
  let arrived = false
  let authParams: string[] = []
  const base = { resource: opts.resource ?? new URL(spec.url).pathname, ...(opts.parent !== undefined ? { parent: opts.parent } : {}), url: where }
  for (let attempt = 1; ; attempt++) {
    const last = attempt >= retry.maxAttempts
    // Looked up per attempt: a limiter idle during a long backoff may have been released meanwhile.
    const limiter = rt.limiterFor(opts.rateLimitClass)
    // As soon as the headers are in, before the body is read: the limiter learns what they say about the
    // budget, then a page loop whose paginator needs only headers may start the next request (on another
    // connection) while this body is still arriving.
    const onHeaders = (status: number, headers: Record<string, string>, url: URL): void => {
      const paused = limiter.observe(headers, options.rateLimitHeaders)
      if (status < 200 || status >= 300) return
      // An answered request that spent the budget (remaining 0): every user of the limiter now waits for
      // the reset. A rate-limited status is counted where it is retried, below.
      if (paused !== undefined) rt.emit({ level: 'warn', event: 'rate_limit_wait', ...base, attempt, status, waitMs: paused, reason: 'remaining_exhausted' })
      if (opts.onArrival === undefined || arrived) return
      arrived = true
      opts.onArrival(toResult({ status, headers, text: '', url: url.href }, undefined, authParams))
    }
    let raw: RawResponse
    try {
      raw = await limiter.schedule(async () => {
        const auth = await rt.authParts()
        authParams = Object.keys(auth.params)
        const prepared = prepareRequest(spec, auth, options.headers, rt.credentialHeaders)
        const started = performance.now()
        let response: RawResponse
        try {
          // The turn to read and parse the body (fair-share.ts) is taken before it is read: a hundred
          // responses waiting for theirs then hold their bodies in socket buffers, not as heap strings.
          response = await exchange(rt.transport, prepared, opts.signal, onHeaders, fairTurn)
        } catch (error) {
          // Counted when it went out and got no answer; a refused target or a cancelled run never left.
          if (error instanceof UpstreamNetworkError) rt.observeAttempt(null, attempt, started)
          throw error
        }
        rt.observeAttempt(response.status, attempt, started)
        rt.debug?.({ ...base, method, attempt, status: response.status, durationMs: Math.round(performance.now() - started) }, 'upstream response')
        return response
      }, opts.signal)
    } catch (error) {
      if (!(error instanceof TransientNetworkError) || last) throw error
      const waitMs = backoffMs(attempt, retry)
      rt.emit({ level: 'warn', event: 'retry', ...base, attempt, reason: redactor.redact(error.message), waitMs })
      await sleep(waitMs, opts.signal)
      continue
    }
    const status = raw.status
    const rawRows = opts.rawRows !== undefined && status >= 200 && status < 300 ? scanRows(raw.text, opts.rawRows.fields, opts.rawRows.selector, raw.bytes) : undefined
    const parsed = rawRows !== undefined ? { ok: true as const, body: rawRows.wrapped?.rest } : parseBody(raw.text)
    const body = parsed.ok ? parsed.body : undefined
    const action = matchResponseAction(opts.responseActions, status, raw.text, body)
    if (action?.action === 'ignore') {
      rt.emit({ level: 'info', event: 'response_ignored', ...base, status })
      return { kind: 'ignored', result: toResult(raw, body, authParams), action }
    }
    if (action?.action === 'raise') {
      throw new UpstreamRaisedError(action.message ?? `Upstream returned ${status} for ${method} ${where}.`)
    }
    const accepted = (status >= 200 && status < 300) || (opts.acceptStatuses?.includes(status) ?? false)
    const rateLimited = !accepted && isRateLimited(status, raw.headers, options.rateLimitHeaders, options.rateLimitStatuses ?? [])
    // A declared vendor hint (Stripe-Should-Retry) overrides the status rules; a rejected credential stays final.
    const hint = accepted || status === 401 || status === 403 ? undefined : retryHint(raw.headers, options.retryHintHeader)
    const retryable = hint ?? (action?.action === 'retry' || rateLimited || (!accepted && RETRYABLE_STATUSES.has(status)))
    if (retryable) {
      if (last) {
        throw new UpstreamHttpError(`Upstream returned ${status} for ${method} ${where} after ${attempt} attempts${vendorMessage(body, redactor)}.`, status, where,
          { retryable: true, vendorMessage: vendorText(body, redactor) })
      }
      // A reset header only says when a rate limit reopens: APIs that send it on every response (GitHub) must not
      // make a 5xx wait for the window (up to an hour); those back off.
      const wait = waitBeforeRetry(attempt, raw.headers, rateLimited ? options.rateLimitHeaders : undefined, retry)
      if (rateLimited) {
        rt.emit({ level: 'warn', event: 'rate_limit_wait', ...base, attempt, status, waitMs: wait.ms, reason: wait.reason })
        limiter.pauseUntil(Date.now() + wait.ms)
      } else {
        rt.emit({ level: 'warn', event: 'retry', ...base, attempt, status, waitMs: wait.ms, reason: wait.reason })
        await sleep(wait.ms, opts.signal)
      }
      continue
    }
    if (accepted) {
      if (!parsed.ok) {
        if (last) throw new UpstreamResponseError(`Response from ${where} is not valid JSON (truncated or malformed) after ${attempt} attempts.`, where)
        const waitMs = backoffMs(attempt, retry)
        rt.emit({ level: 'warn', event: 'retry', ...base, attempt, status, reason: 'invalid_json', waitMs })
        await sleep(waitMs, opts.signal)
        continue
      }
      return { kind: 'ok', result: toResult(raw, body, authParams), ...(rawRows === undefined ? {} : { rawRows }) }
    }
    if (status === 401 && !reauthorized && rt.invalidateAuth()) { reauthorized = true; continue }
    const text = vendorText(body, redactor)
    const message = `Upstream returned ${status} for ${method} ${where}${text === '' ? '' : `: ${text}`}.`
    if (status === 401 || status === 403) throw new UpstreamAuthError(message, status, where, { vendorMessage: text })
    throw new UpstreamHttpError(message, status, where, { vendorMessage: text, ...(hint === false ? { retryable: false } : {}) })
  }
}
