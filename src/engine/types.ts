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
  /**
   * A person is waiting (a credential check on a form): the client uses the engine's short interactive
   * policy (`EngineSettings.interactive`: few attempts, one total deadline) instead of the sync one.
   */
  interactive?: boolean
}

export type { AuthConfig, ClientOptions, RateBudget, RateLimitHeaders, RetryOptions } from './client-options.js'

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
  /**
   * The caller writes the rows out as they are (a sync stream): a page that is a compact JSON array of
   * objects may be kept as its text and written from it (`rawRowsOf`); reading `page.rows` parses it.
   */
  rowsAsText?: boolean
}

export interface RestClient {
  /** One request through the limiter and retries. Non-2xx responses throw typed errors unless listed in `acceptStatuses`. */
  request: (spec: Omit<RequestSpec, 'url'> & { path: string }, options?: { acceptStatuses?: number[], rateLimitClass?: string }) => Promise<HttpResult>
  /** Pages of an endpoint (with fan-out, pagination, incremental params and resume). */
  pages: (endpoint: Endpoint, options?: PagesOptions) => AsyncIterable<Page>
}
