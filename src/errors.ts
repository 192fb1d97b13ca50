/**
 * The error catalog. Every error the service raises on purpose is one of these classes, each with a
 * stable `code` (callers match on it, never on message text) and the HTTP status it maps to when it
 * reaches a route. Messages must never contain secrets: build them from names, never from values.
 */
import Type, { type Static } from 'typebox'

export const FieldErrorSchema = Type.Object({
  path: Type.String({ description: 'JSON pointer of the bad value, e.g. /config/api_key (body), /query/include_unreleased.' }),
  message: Type.String()
}, { title: 'FieldError' })
export type FieldError = Static<typeof FieldErrorSchema>

/** The shape every 4xx/5xx response has (RFC 9457 problem details plus `code` and `errors`). */
export const ProblemSchema = Type.Object({
  type: Type.String({ description: 'URI identifying the problem type.' }),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  code: Type.String({ description: 'Stable machine-readable code, e.g. VALIDATION_FAILED, SOURCE_NOT_FOUND.' }),
  errors: Type.Optional(Type.Array(FieldErrorSchema)),
  instance: Type.Optional(Type.String())
}, { title: 'Problem', description: 'RFC 9457 problem details.' })
export type ProblemDocument = Static<typeof ProblemSchema>

export abstract class AppError extends Error {
  abstract readonly code: string
  abstract readonly statusCode: number
  /** Short, human summary of the problem type (RFC 9457 `title`). */
  abstract readonly title: string
  /** Whether retrying the same operation later may succeed (used by sync error lines). */
  readonly retryable: boolean = false

  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
  }
}

/** 400: a request body, query or config failed validation. Carries one entry per bad field. */
export class ValidationError extends AppError {
  readonly code = 'VALIDATION_FAILED'
  readonly statusCode = 400
  readonly title = 'Invalid request'
  constructor (readonly errors: FieldError[], message = describeFieldErrors(errors)) {
    super(message)
  }
}

function describeFieldErrors (errors: FieldError[]): string {
  if (errors.length === 0) return 'The request is invalid.'
  return errors.map((e) => `${e.path || '/'}: ${e.message}`).join('; ')
}

/** 400: a well-formed request that asks for something this source or table cannot do. */
export class UnsupportedRequestError extends AppError {
  readonly code = 'UNSUPPORTED_REQUEST'
  readonly statusCode = 400
  readonly title = 'Unsupported request'
  constructor (message: string, readonly errors: FieldError[] = []) { super(message) }
}

/** 401: missing or wrong service bearer token. */
export class ServiceAuthError extends AppError {
  readonly code = 'UNAUTHORIZED'
  readonly statusCode = 401
  readonly title = 'Unauthorized'
}

export class SourceNotFoundError extends AppError {
  readonly code = 'SOURCE_NOT_FOUND'
  readonly statusCode = 404
  readonly title = 'Source not found'
  constructor (readonly sourceType: string) { super(`No source named "${sourceType}".`) }
}

export class SchemaNotFoundError extends AppError {
  readonly code = 'SCHEMA_NOT_FOUND'
  readonly statusCode = 404
  readonly title = 'Table not found'
  constructor (readonly sourceType: string, readonly schema: string) {
    super(`Source "${sourceType}" has no table named "${schema}".`)
  }
}

/** 404 for any other route or static asset. */
export class RouteNotFoundError extends AppError {
  readonly code = 'NOT_FOUND'
  readonly statusCode = 404
  readonly title = 'Not found'
}

/** 409: a source cannot list its tables without credentials (GET on /schemas). */
export class CredentialsRequiredError extends AppError {
  readonly code = 'CREDENTIALS_REQUIRED'
  readonly statusCode = 409
  readonly title = 'Credentials required'
}

/** 503: the service is shutting down or not ready. */
export class ServiceUnavailableError extends AppError {
  readonly code = 'SERVICE_UNAVAILABLE'
  readonly statusCode = 503
  readonly title = 'Service unavailable'
  override readonly retryable = true
}

/** 500: anything unexpected. The message is logged, never returned. */
export class InternalError extends AppError {
  readonly code = 'INTERNAL'
  readonly statusCode = 500
  readonly title = 'Internal error'
}

// ---------------------------------------------------------------------------------------------
// Upstream (engine) errors. Their messages contain redacted URLs (scheme://host/path) only.
// statusCode is what the service answers when one escapes a metadata route: 502 (bad gateway).
// ---------------------------------------------------------------------------------------------

/** The upstream answered with a status the engine does not retry (or retries ran out). */
export class UpstreamHttpError extends AppError {
  readonly code: string = 'UPSTREAM_HTTP_ERROR'
  readonly statusCode = 502
  readonly title = 'Upstream API error'
  override readonly retryable: boolean
  /** The vendor's own short error message (secrets masked), for error rules that match on it. */
  readonly vendorMessage: string | undefined
  constructor (
    message: string,
    readonly status: number,
    /** scheme://host/path, never the query string */
    readonly url: string,
    options?: { cause?: unknown, retryable?: boolean, vendorMessage?: string }
  ) {
    super(message, options)
    this.retryable = options?.retryable ?? (status === 429 || status >= 500)
    this.vendorMessage = options?.vendorMessage
  }
}

/** 401/403 from the upstream: the credential is wrong or lacks a permission. Never retryable. */
export class UpstreamAuthError extends UpstreamHttpError {
  override readonly code = 'UPSTREAM_AUTH_FAILED'
  constructor (message: string, status: number, url: string, options?: { cause?: unknown, vendorMessage?: string }) {
    super(message, status, url, { ...options, retryable: false })
  }
}

/** Connection failures, resets and timeouts after every attempt was spent. */
export class UpstreamNetworkError extends AppError {
  readonly code = 'UPSTREAM_NETWORK_ERROR'
  readonly statusCode = 502
  readonly title = 'Upstream unreachable'
  override readonly retryable = true
  constructor (message: string, readonly url: string, options?: { cause?: unknown }) { super(message, options) }
}

/** The upstream body could not be read as the declared shape (bad JSON, missing data key). */
export class UpstreamResponseError extends AppError {
  readonly code = 'UPSTREAM_BAD_RESPONSE'
  readonly statusCode = 502
  readonly title = 'Unexpected upstream response'
  constructor (message: string, readonly url: string, options?: { cause?: unknown }) { super(message, options) }
}

/** A response action declared `raise`. */
export class UpstreamRaisedError extends AppError {
  readonly code = 'UPSTREAM_RAISED'
  readonly statusCode = 502
  readonly title = 'Upstream API error'
}

/**
 * The SSRF guard refused a request target (scheme, origin or resolved address) before connecting.
 * Never retryable. `errors` names the config field that holds the refused URL, when a route knows it.
 */
export class BlockedTargetError extends AppError {
  readonly code = 'UPSTREAM_TARGET_BLOCKED'
  readonly statusCode = 400
  readonly title = 'Upstream address not allowed'
  /** The refused origin (`scheme://host[:port]`), when the URL parsed. */
  readonly origin: string | undefined
  errors: FieldError[] = []
  constructor (message: string, options?: { origin?: string, cause?: unknown }) {
    super(message, options)
    this.origin = options?.origin
  }
}

/**
 * 502: a credential check could not be made because the vendor failed (5xx, network, no answer within
 * the check's deadline). Says the vendor failed, not the credential.
 */
export class UpstreamUnavailableError extends AppError {
  readonly code = 'UPSTREAM_UNAVAILABLE'
  readonly statusCode = 502
  readonly title = 'Upstream API unavailable'
  override readonly retryable = true
}

/** The run was cancelled (client disconnect, shutdown). */
export class AbortedError extends AppError {
  readonly code = 'ABORTED'
  readonly statusCode = 499
  readonly title = 'Cancelled'
  override readonly retryable = true
}

export const PROBLEM_TYPE_BASE = 'https://warehouse-sources.dev/problems/'

export function toProblem (error: AppError): ProblemDocument {
  const problem: ProblemDocument = {
    type: PROBLEM_TYPE_BASE + error.code.toLowerCase().replaceAll('_', '-'),
    title: error.title,
    status: error.statusCode,
    detail: error instanceof InternalError ? 'An internal error occurred.' : error.message,
    code: error.code
  }
  if ((error instanceof ValidationError || error instanceof UnsupportedRequestError || error instanceof BlockedTargetError) && error.errors.length > 0) {
    problem.errors = error.errors
  }
  return problem
}
