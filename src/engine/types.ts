/**
 * The engine's public runtime types: what a source hands the engine (client options, auth, budgets)
 * and what it gets back (pages of rows with resume state, events). Implementations live beside this
 * file; sources import only from `src/engine/index.ts`.
 */
import type { Logger } from 'pino'
import type { Endpoint, Params } from './declarations.js'

export type Row = Record<string, unknown>

/** JSON-serialisable state after a page: handing it back resumes right after that page. */
export type ResumeState = { readonly [key: string]: unknown }

export interface Page {
  rows: Row[]
  /** State to resume after this page; null when the resource is exhausted. */
  state: ResumeState | null
  /** How far the run is, where the engine knows (pages of an endpoint, totals the API states). */
  progress?: PageProgress
}

/** Progress through one resource. Totals are what the API states (declared paths, headers, links), never guesses. */
export interface PageProgress {
  /** Upstream pages read so far (a plain endpoint counts the pages before its resume point too). */
  pages: number
  totalPages?: number
  totalRows?: number
}

/** Something operators must see; the sync route turns each into a `log` line. */
export interface EngineEvent {
  level: 'info' | 'warn' | 'error'
  event: 'page_cap_reached' | 'rate_limit_wait' | 'retry' | 'loop_detected' | 'response_ignored' | string
  [field: string]: unknown
}

/** Per-run context: one per sync or credential check. */
export interface RunContext {
  signal: AbortSignal
  log: Logger
  onEvent?: (event: EngineEvent) => void
}

// ---------------------------------------------------------------------------------------------
// Auth
// ---------------------------------------------------------------------------------------------

export type AuthConfig =
  | { type: 'none' }
  | { type: 'bearer', token: string }
  /** `name: [scheme ]key` in a header (e.g. `Authorization: Klaviyo-API-Key <key>`), or `?name=key`. */
  | { type: 'api_key', name: string, key: string, in?: 'header' | 'query', scheme?: string }
  | { type: 'basic', username: string, password: string }
  | { type: 'oauth2_refresh_token', tokenUrl: string, clientId: string, clientSecret: string, refreshToken: string, scopes?: string[] }
  | { type: 'oauth2_client_credentials', tokenUrl: string, clientId: string, clientSecret: string, scopes?: string[] }

// ---------------------------------------------------------------------------------------------
// Rate limiting
// ---------------------------------------------------------------------------------------------

/** A declared budget. Requests with the same source and credential share one limiter per class. */
export interface RateBudget {
  /** Requests allowed per `intervalMs` (Bottleneck reservoir). */
  reservoir?: number
  intervalMs?: number
  maxConcurrent?: number
  /** Minimum spacing between request starts. */
  minTimeMs?: number
}

/** Response headers the limiter reads to slow down before the API says 429. */
export interface RateLimitHeaders {
  remaining?: string
  /** Reset time header; `resetKind` says how to read it. */
  reset?: string
  resetKind?: 'epoch_seconds' | 'delta_seconds'
}

// ---------------------------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------------------------

export interface ClientOptions {
  /** Source name: keys the limiter with the credential fingerprint. */
  source: string
  baseUrl: string
  auth: AuthConfig
  headers?: Record<string, string>
  /** Hosts requests may go to; default: the base URL's host. Next links elsewhere are refused. */
  allowedHosts?: string[]
  /** Budgets by rate-limit class; `default` applies to endpoints without a class. */
  budgets?: Record<string, RateBudget>
  rateLimitHeaders?: RateLimitHeaders
  /** Status codes that mean "rate limited" besides 429 when the remaining header is 0 (GitHub: 403). */
  rateLimitStatuses?: number[]
  /** Override retry settings (attempts, backoff unit and cap, max wait). */
  retry?: { maxAttempts?: number, maxWaitMs?: number, baseDelayMs?: number, maxBackoffMs?: number }
}

/** One request, described immutably. Paginators return a new one; nothing mutates it. */
export interface RequestSpec {
  method: 'GET' | 'POST'
  /** Absolute URL. Query params in `params` are appended; null/undefined are dropped. */
  url: string
  params?: Params
  json?: Record<string, unknown>
  headers?: Record<string, string>
}

export interface HttpResult {
  status: number
  headers: Record<string, string>
  /** Parsed JSON body (undefined for an empty body). */
  body: unknown
  /** Final URL (after a same-origin redirect). */
  url: string
}

export interface PagesOptions {
  /** Values for static path placeholders, e.g. `{ owner: 'octo', repo: 'hello' }`. */
  pathParams?: Record<string, string>
  /** Endpoints that fan-out parents may name. */
  catalog?: readonly Endpoint[]
  /** Static parent lists by parent name (e.g. the configured repositories). */
  parents?: Record<string, Row[]>
  /** Incremental binding for this run: which declared field, and the stored watermarks. */
  incremental?: { field: string, lastValue?: unknown, earliestValue?: unknown }
  /** State from a previous page of the same endpoint. */
  resumeState?: ResumeState | null
  /** Stop after this many pages in total (preview). */
  maxPages?: number
}

export interface RestClient {
  /** One request through the limiter and retries. Non-2xx responses throw typed errors unless listed in `acceptStatuses`. */
  request: (spec: Omit<RequestSpec, 'url'> & { path: string }, options?: { acceptStatuses?: number[], rateLimitClass?: string }) => Promise<HttpResult>
  /** Pages of an endpoint (with fan-out, pagination, incremental params and resume). */
  pages: (endpoint: Endpoint, options?: PagesOptions) => AsyncIterable<Page>
}
