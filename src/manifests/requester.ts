/**
 * The client side of a manifest: `url_base`, the authenticator, error handlers and budgets, translated
 * into the definition's client and response actions.
 */
import type { AuthDecl, TextValue } from '../sources/definition.js'
import type { ResponseAction } from '../engine/index.js'
import { parseDuration } from '../engine/index.js'
import { child, field, items, pointerOf, refuseKeys, typeOf, type Component } from './components.js'
import { classify, configPath, compileAt, literalAt, type ManifestProblems, type ValueRef } from './expressions.js'

/** A value the config may fill (headers, auth): anything but response/page/partition data. */
export function textValueAt (c: Component, key: string, problems: ManifestProblems, fallback?: unknown): TextValue | undefined {
  const raw = field(c, key) ?? fallback
  const pointer = pointerOf(c, key)
  if (raw === undefined || raw === null) return undefined
  const classified = classify(typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : raw, c.parameters, pointer, problems)
  if (classified === undefined) return undefined
  if (classified.kind === 'literal') return typeof classified.value === 'string' ? classified.value : String(classified.value)
  if (classified.kind === 'ref') return toText(classified.ref)
  problems.add(pointer, `may only read the config and parameters here, not ${classified.names.filter((n) => n !== 'config' && n !== 'parameters').join(', ')}`)
  return undefined
}

function toText (ref: ValueRef): TextValue {
  if (ref === null || typeof ref !== 'object') return String(ref)
  return ref as TextValue
}

/**
 * `url_base`: a literal origin and path, or one with `{{ config['x'] }}` parts (a subdomain, a region).
 * Returned as the definition's base URL template plus the pattern its origin must keep.
 */
export function baseUrlAt (c: Component, problems: ManifestProblems): string | undefined {
  const raw = field(c, 'url_base')
  const pointer = pointerOf(c, 'url_base')
  if (typeof raw !== 'string' || raw === '') { problems.add(pointer, 'is required (the API root, e.g. https://api.example.com/v1)'); return undefined }
  const template = compileAt(raw, pointer, problems)
  if (template === undefined) return undefined
  let out = ''
  for (const part of template.parts) {
    if (part.kind === 'text') { out += part.text; continue }
    const alone = compileAt(`{{ ${part.source} }}`, pointer, problems)
    if (alone === undefined) return undefined
    if ([...alone.names].every((n) => n === 'parameters')) { out += alone.render({ parameters: c.parameters }); continue }
    const path = configPath(part.node)
    if (path === undefined) { problems.add(pointer, `only {{ config['field'] }} parts are supported in url_base, not "{{ ${part.source} }}"`); return undefined }
    out += `{${path}}`
  }
  if (!/^https?:\/\//i.test(out)) { problems.add(pointer, 'must start with http:// or https://'); return undefined }
  return out
}

const AUTHENTICATORS = ['NoAuth', 'BearerAuthenticator', 'ApiKeyAuthenticator', 'BasicHttpAuthenticator', 'OAuthAuthenticator']

export function authAt (requester: Component, problems: ManifestProblems): AuthDecl | undefined {
  const auth = child(requester, 'authenticator')
  if (auth === undefined) return { type: 'none' }
  const type = typeOf(auth, AUTHENTICATORS, problems)
  const need = (key: string): TextValue | undefined => {
    const value = textValueAt(auth, key, problems)
    if (value === undefined) problems.add(pointerOf(auth, key), 'is required')
    return value
  }
  switch (type) {
    case 'NoAuth': return { type: 'none' }
    case 'BearerAuthenticator': {
      const token = need('api_token')
      return token === undefined ? undefined : { type: 'bearer', token }
    }
    case 'ApiKeyAuthenticator': {
      const key = need('api_token')
      const option = child(auth, 'inject_into')
      let name = typeof auth.value.header === 'string' ? auth.value.header : undefined
      let into: 'header' | 'query' = 'header'
      if (option !== undefined) {
        const where = option.value.inject_into
        if (where !== 'header' && where !== 'request_parameter') { problems.add(`${option.pointer}/inject_into`, `unsupported ${JSON.stringify(where)} (header or request_parameter)`); return undefined }
        into = where === 'header' ? 'header' : 'query'
        name = typeof option.value.field_name === 'string' ? option.value.field_name : undefined
      }
      if (name === undefined || name === '') { problems.add(auth.pointer, 'needs header or inject_into.field_name'); return undefined }
      return key === undefined ? undefined : { type: 'api_key', name, key, in: into }
    }
    case 'BasicHttpAuthenticator': {
      const username = need('username')
      const password = textValueAt(auth, 'password', problems) ?? ''
      return username === undefined ? undefined : { type: 'basic', username, password }
    }
    case 'OAuthAuthenticator': {
      refuseKeys(auth, {
        refresh_token_updater: 'rotating refresh tokens would have to be written back to the config, which this stateless service cannot do',
        refresh_request_body: 'extra token request fields',
        access_token_value: 'a fixed access token'
      }, problems)
      const grant = field(auth, 'grant_type') ?? 'refresh_token'
      const tokenUrl = need('token_refresh_endpoint')
      const clientId = need('client_id')
      const clientSecret = need('client_secret')
      const scopes = Array.isArray(auth.value.scopes) ? auth.value.scopes.filter((s): s is string => typeof s === 'string') : undefined
      if (tokenUrl === undefined || clientId === undefined || clientSecret === undefined) return undefined
      if (grant === 'client_credentials') return { type: 'oauth2_client_credentials', tokenUrl, clientId, clientSecret, ...(scopes === undefined ? {} : { scopes }) }
      if (grant !== 'refresh_token') { problems.add(pointerOf(auth, 'grant_type'), `unsupported ${JSON.stringify(grant)}`); return undefined }
      const refreshToken = need('refresh_token')
      return refreshToken === undefined ? undefined : { type: 'oauth2_refresh_token', tokenUrl, clientId, clientSecret, refreshToken, ...(scopes === undefined ? {} : { scopes }) }
    }
    default: return undefined
  }
}

export interface ErrorHandling {
  responseActions: ResponseAction[]
  maxAttempts?: number
  /** A header other than Retry-After that says how long to wait (WaitTimeFromHeader). */
  waitHeader?: string
}

const ACTIONS: Record<string, ResponseAction['action']> = { FAIL: 'raise', IGNORE: 'ignore', RETRY: 'retry', RATE_LIMITED: 'retry' }

function filterActions (filter: Component, problems: ManifestProblems): ResponseAction[] {
  if (typeOf(filter, ['HttpResponseFilter'], problems, 'HttpResponseFilter') === undefined) return []
  refuseKeys(filter, { predicate: 'response predicates (an expression over the response) are not supported; use http_codes or error_message_contains' }, problems)
  const action = ACTIONS[String(filter.value.action ?? '')]
  if (action === undefined) { problems.add(pointerOf(filter, 'action'), `unsupported ${JSON.stringify(filter.value.action)} (FAIL, IGNORE, RETRY or RATE_LIMITED)`); return [] }
  const codes = Array.isArray(filter.value.http_codes) ? filter.value.http_codes.filter((c): c is number => Number.isInteger(c)) : []
  const contains = typeof filter.value.error_message_contains === 'string' ? filter.value.error_message_contains : undefined
  const message = literalAt(filter.value.error_message, filter.parameters, pointerOf(filter, 'error_message'), problems)
  // A filter with neither condition matches nothing (it would otherwise match every response).
  if (codes.length === 0 && contains === undefined) return []
  return [{
    action,
    ...(codes.length === 0 ? {} : { status: codes }),
    ...(contains === undefined ? {} : { content: contains }),
    ...(action === 'raise' && typeof message === 'string' ? { message } : {})
  }]
}

export function errorHandlingAt (requester: Component, problems: ManifestProblems): ErrorHandling {
  const out: ErrorHandling = { responseActions: [] }
  const visit = (handler: Component | undefined): void => {
    if (handler === undefined) return
    const type = typeOf(handler, ['DefaultErrorHandler', 'CompositeErrorHandler'], problems, 'DefaultErrorHandler')
    if (type === 'CompositeErrorHandler') { items(handler, 'error_handlers').forEach(visit); return }
    if (type !== 'DefaultErrorHandler') return
    for (const filter of items(handler, 'response_filters')) out.responseActions.push(...filterActions(filter, problems))
    const retries = handler.value.max_retries
    if (Number.isInteger(retries) && (retries as number) >= 0) out.maxAttempts = Math.max(1, (retries as number) + 1)
    for (const located of items(handler, 'backoff_strategies')) {
      const kind = typeOf(located, ['WaitTimeFromHeader', 'ExponentialBackoffStrategy', 'ConstantBackoffStrategy'], problems)
      if (kind !== 'WaitTimeFromHeader') continue // the engine's own exponential backoff with jitter applies
      refuseKeys(located, { regex: 'a regex over the header value', max_waiting_time_in_seconds: 'a per-stream wait cap (the service caps waits itself)' }, problems)
      const header = literalAt(located.value.header, located.parameters, pointerOf(located, 'header'), problems)
      if (typeof header === 'string' && header.toLowerCase() !== 'retry-after') out.waitHeader = header.toLowerCase()
    }
  }
  visit(child(requester, 'error_handler'))
  return out
}

/** `api_budget` (HTTPAPIBudget) and `concurrency_level` → the default budget. */
export function budgetAt (manifest: Component, problems: ManifestProblems): { budget: Record<string, number>, rateLimitStatuses?: number[], remaining?: string, reset?: string } | undefined {
  const budget: Record<string, number> = {}
  const out: { budget: Record<string, number>, rateLimitStatuses?: number[], remaining?: string, reset?: string } = { budget }
  const concurrency = child(manifest, 'concurrency_level')
  if (concurrency !== undefined && typeOf(concurrency, ['ConcurrencyLevel'], problems, 'ConcurrencyLevel') !== undefined) {
    const level = literalAt(concurrency.value.max_concurrency ?? concurrency.value.default_concurrency, concurrency.parameters, pointerOf(concurrency, 'default_concurrency'), problems)
    const n = typeof level === 'string' ? Number(level) : level
    if (typeof n === 'number' && Number.isInteger(n) && n > 0) budget.maxConcurrent = n
  }
  const api = child(manifest, 'api_budget')
  if (api !== undefined && typeOf(api, ['HTTPAPIBudget'], problems) !== undefined) {
    const policies = items(api, 'policies')
    if (policies.length > 1) problems.add(pointerOf(api, 'policies'), 'only one policy is supported (one budget for every request)')
    const located = policies[0]
    if (located !== undefined) {
      const type = typeOf(located, ['MovingWindowCallRatePolicy', 'FixedWindowCallRatePolicy'], problems)
      if (Array.isArray(located.value.matchers) && located.value.matchers.length > 0) problems.add(`${located.pointer}/matchers`, 'request matchers are not supported (the policy applies to every request)')
      const rate = type === 'MovingWindowCallRatePolicy' && Array.isArray(located.value.rates) ? located.value.rates[0] as Record<string, unknown> | undefined : located.value
      const limit = type === 'MovingWindowCallRatePolicy' ? rate?.limit : located.value.call_limit
      const interval = parseDuration(type === 'MovingWindowCallRatePolicy' ? rate?.interval : located.value.period)
      if (Number.isInteger(limit) && (limit as number) > 0 && interval !== undefined && interval.ms > 0) {
        budget.reservoir = limit as number
        budget.intervalMs = interval.ms
      } else if (type !== undefined) problems.add(located.pointer, 'needs a positive call limit and an ISO-8601 interval')
    }
    const statuses = Array.isArray(api.value.status_codes_for_ratelimit_hit) ? api.value.status_codes_for_ratelimit_hit.filter((s): s is number => Number.isInteger(s)) : []
    if (statuses.length > 0) out.rateLimitStatuses = statuses
    if (typeof api.value.ratelimit_remaining_header === 'string') out.remaining = api.value.ratelimit_remaining_header.toLowerCase()
    if (typeof api.value.ratelimit_reset_header === 'string') out.reset = api.value.ratelimit_reset_header.toLowerCase()
  }
  return Object.keys(budget).length === 0 && out.rateLimitStatuses === undefined && out.remaining === undefined ? undefined : out
}
