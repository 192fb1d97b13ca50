/**
 * What a source hands the engine to build a client, as TypeBox schemas: auth, budgets, rate-limit
 * headers, retry settings. The static types derive from them (`Static<>`), so a source definition can
 * embed the same shapes as JSON (with secrets as references to form fields, see sources/definition.ts).
 */
import Type, { type Static } from 'typebox'

const strict = { additionalProperties: false } as const

export const ScopesSchema = Type.Array(Type.String())

export const AuthConfigSchema = Type.Union([
  Type.Object({ type: Type.Literal('none') }, strict),
  Type.Object({ type: Type.Literal('bearer'), token: Type.String() }, strict),
  /** `name: [scheme ]key` in a header (e.g. `Authorization: Klaviyo-API-Key <key>`), or `?name=key`. */
  Type.Object({
    type: Type.Literal('api_key'),
    name: Type.String(),
    key: Type.String(),
    in: Type.Optional(Type.Union([Type.Literal('header'), Type.Literal('query')])),
    scheme: Type.Optional(Type.String())
  }, strict),
  Type.Object({ type: Type.Literal('basic'), username: Type.String(), password: Type.String() }, strict),
  Type.Object({
    type: Type.Literal('oauth2_refresh_token'),
    tokenUrl: Type.String(),
    clientId: Type.String(),
    clientSecret: Type.String(),
    refreshToken: Type.String(),
    scopes: Type.Optional(ScopesSchema)
  }, strict),
  Type.Object({
    type: Type.Literal('oauth2_client_credentials'),
    tokenUrl: Type.String(),
    clientId: Type.String(),
    clientSecret: Type.String(),
    scopes: Type.Optional(ScopesSchema)
  }, strict)
])
export type AuthConfig = Static<typeof AuthConfigSchema>

/** A declared budget. Requests with the same source and credential share one limiter per class. */
export const RateBudgetSchema = Type.Object({
  /** Requests allowed per `intervalMs` (a sliding window). */
  reservoir: Type.Optional(Type.Integer({ minimum: 1 })),
  intervalMs: Type.Optional(Type.Integer({ minimum: 1 })),
  maxConcurrent: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Minimum spacing between request starts. */
  minTimeMs: Type.Optional(Type.Integer({ minimum: 0 }))
}, strict)
export type RateBudget = Static<typeof RateBudgetSchema>

/**
 * A class's budget: one window, or several windows that all apply (Klaviyo: `[{ reservoir: 75, intervalMs:
 * 1000 }, { reservoir: 750, intervalMs: 60000 }]`, a 1-second burst and a 1-minute steady window). Each
 * window gets its own shared limiter; a request passes through all of them (rate-windows.ts).
 */
export const RateBudgetEntrySchema = Type.Union([RateBudgetSchema, Type.Array(RateBudgetSchema, { minItems: 1, maxItems: 4 })])
export type RateBudgetEntry = Static<typeof RateBudgetEntrySchema>

/** Response headers the limiter reads to slow down before the API says 429. */
export const RateLimitHeadersSchema = Type.Object({
  remaining: Type.Optional(Type.String()),
  /** Reset time header; `resetKind` says how to read it. */
  reset: Type.Optional(Type.String()),
  resetKind: Type.Optional(Type.Union([Type.Literal('epoch_seconds'), Type.Literal('delta_seconds')]))
}, strict)
export type RateLimitHeaders = Static<typeof RateLimitHeadersSchema>

export const RetryOptionsSchema = Type.Object({
  maxAttempts: Type.Optional(Type.Integer({ minimum: 1 })),
  maxWaitMs: Type.Optional(Type.Integer({ minimum: 0 })),
  baseDelayMs: Type.Optional(Type.Integer({ minimum: 0 })),
  maxBackoffMs: Type.Optional(Type.Integer({ minimum: 0 }))
}, strict)
export type RetryOptions = Static<typeof RetryOptionsSchema>

export const ClientOptionsSchema = Type.Object({
  /** Source name: keys the limiter with the credential fingerprint. */
  source: Type.String(),
  baseUrl: Type.String(),
  auth: AuthConfigSchema,
  headers: Type.Optional(Type.Record(Type.String(), Type.String())),
  /**
   * Origins (`scheme://host[:port]`) requests may go to, credentials included; default: the base URL's
   * origin. A next link, redirect or resume state naming any other origin is refused before connecting.
   */
  allowedOrigins: Type.Optional(Type.Array(Type.String())),
  /** Budgets by rate-limit class (one window or several); `default` applies to endpoints without a class. */
  budgets: Type.Optional(Type.Record(Type.String(), RateBudgetEntrySchema)),
  rateLimitHeaders: Type.Optional(RateLimitHeadersSchema),
  /** Status codes that mean "rate limited" besides 429 when the remaining header is 0 (GitHub: 403). */
  rateLimitStatuses: Type.Optional(Type.Array(Type.Integer())),
  /** Override retry settings (attempts, backoff unit and cap, max wait). */
  retry: Type.Optional(RetryOptionsSchema),
  /**
   * Response header in which the vendor says whether retrying can succeed (`true`/`false`, Stripe's
   * `Stripe-Should-Retry`): it overrides the status rules for a failed response, except 401/403.
   */
  retryHintHeader: Type.Optional(Type.String({ minLength: 1 })),
  /**
   * Exact origins exempt from the private-address check for this client (the service's own sample API).
   * Set by code only: source definitions cannot say it.
   */
  trustedOrigins: Type.Optional(Type.Array(Type.String()))
}, strict)
export type ClientOptions = Static<typeof ClientOptionsSchema>
