/**
 * The page loop for one endpoint instance (one parent, or no fan-out): first request (or the resumed
 * one), paginator steps, guards (empty page, page cap, loop detection, descending watermark stop) and
 * concurrent fetch of known runs of pages with in-order emission. Yields pages with `{ v, next, pages }` state:
 * the next request (request-state.ts: relative to the base URL and the first request) and how many pages
 * came before it (the page cap counts across resumes).
 */
import { hash } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import type { Endpoint, IncrementalFieldDecl } from './declarations.js'
import { execute, type ClientRuntime, type Outcome } from './execute.js'
import type { InFlightPool } from './in-flight-pool.js'
import { pageOlderThan } from './incremental.js'
import { endpointPaginator } from './paginators/endpoint-options.js'
import { takesTextPages } from './paginators/index.js'
import { redactUrl } from './redact.js'
import { encodeRequest } from './request-state.js'
import { exposeRows, lazyPage, type RawRows } from './raw-rows.js'
import { createRowFlattener } from './row-flatten.js'
import { isSelfPath, selectRows } from './select.js'
import type { PageView } from './paginators/types.js'
import type { HttpResult, Page, PageProgress, RequestSpec, ResumeState, Row } from './types.js'

export interface PageLoopInput {
  rt: ClientRuntime
  endpoint: Endpoint
  first: RequestSpec
  /** Request to resume with (from a previous page's state). */
  resume: RequestSpec | null
  /** Pages this loop had already fetched before the resume point (so the page cap holds across resumes). */
  pagesBefore?: number
  signal: AbortSignal
  /** Parent id for events (fan-out). */
  parent?: string
  /** Descending endpoints stop once a whole page is older than this watermark. */
  stopBefore?: { field: IncrementalFieldDecl, lastValue: unknown }
  /** Known pages fetched concurrently. */
  window: number
  /** Where the requests beyond this loop's first one take a slot (replica-wide); absent: the window alone bounds them. */
  pool?: InFlightPool
  /**
   * The consumer writes rows out as they come (raw-rows.ts): pages may stay text, with these top-level
   * fields read from it. Absent: every page is parsed.
   */
  rawFields?: readonly string[]
}

/**
 * Pipelining starts the next page early only when the upstream took at least this long to answer: there
 * is then latency to hide. Answers faster than this (a loopback fake at 0 ms) gain nothing from it, and
 * measured slower with it (bench/README.md, issue 16).
 */
export const PIPELINE_MIN_LATENCY_MS = 5

/** Request identities up to this length are their own key; longer ones are digested. */
const KEY_TEXT_MAX = 160

/**
 * Identity of a request for loop detection (the identity itself when short, else a digest: long runs
 * keep many); headers count (a token may travel in one). Declared params are set on the URL and the
 * query sorted, so the order they were declared in does not matter; a URL without params (a followed
 * link) is compared as written, without a parse: it is the key of every page of a link-followed list,
 * computed right after the page's body is parsed (bench/README.md, issue 16).
 */
export function requestKey (request: RequestSpec): string {
  let href = request.url
  const params = request.params
  if (params !== undefined) {
    let url: URL | undefined
    for (const name in params) {
      const value = params[name]
      if (value === null || value === undefined) continue
      url ??= new URL(href)
      url.searchParams.set(name, String(value))
    }
    if (url !== undefined) {
      url.searchParams.sort()
      href = url.href
    }
  }
  const identity = JSON.stringify([request.method, href, request.json ?? null, request.headers ?? null])
  // Short identities are kept whole (they begin with '[', which no base64 digest does).
  return identity.length <= KEY_TEXT_MAX ? identity : hash('sha1', identity, 'base64')
}

/**
 * What the paginator sees of a text page: the rows parsed only if it reads them, the count and the last
 * row off the text. A class, so the accessor is one function on the prototype: a getter written in an
 * object literal is a new closure per page and gives each view its own map (raw-rows.ts, SLOT).
 */
class TextPageView implements PageView {
  constructor (readonly request: RequestSpec, readonly response: HttpResult, private readonly page: Page, private readonly raw: RawRows) {}
  get rows (): readonly Row[] { return this.page.rows }
  get count (): number { return this.raw.count }
  last (): Row | undefined { return this.raw.row(this.raw.count - 1) }
}

export async function * paginate (input: PageLoopInput): AsyncGenerator<Page> {
  const { rt, endpoint } = input
  const paginator = endpointPaginator(endpoint)
  const flatten = endpoint.flatten === undefined ? undefined : createRowFlattener(endpoint.flatten)
  const controller = new AbortController()
  const signal = AbortSignal.any([input.signal, controller.signal])
  // Known runs keep several requests in flight, each with abort listeners (undici's, waits): no leak warning.
  setMaxListeners(0, signal)
  const events = { resource: endpoint.name, ...(input.parent !== undefined ? { parent: input.parent } : {}) }
  // Text pages where the rows are the body or one member of it, the paginator needs no more of them than
  // a text page gives (the rest of the body, the row count, the last row), and no row is flattened,
  // compared with a watermark or matched by a response action.
  const selector = isSelfPath(endpoint.dataSelector) ? undefined : endpoint.dataSelector
  const rawRows = input.rawFields !== undefined && (selector === undefined || /^[^.*]+$/.test(selector)) &&
    takesTextPages(paginator, selector !== undefined) && flatten === undefined && input.stopBefore === undefined && !(endpoint.responseActions ?? []).some((a) => a.jsonField !== undefined)
    ? { fields: input.rawFields, ...(selector === undefined ? {} : { selector }) }
    : undefined
  // A descending walk that stops at the watermark usually ends within a page or two: a known run fetched
  // ahead of it would spend budget on pages it throws away, so it reads them one at a time.
  const windowSize = input.stopBefore === undefined ? Math.max(1, input.window) : 1
  const start = input.resume ?? paginator.first(input.first)
  const seen = new Set([requestKey(start)])
  const queue: RequestSpec[] = [start]
  const inflight: Array<{ request: RequestSpec, outcome: Promise<Outcome>, pooled: boolean }> = []
  let pages = input.pagesBefore ?? 0
  // Latest totals any response stated; a resource that ended has exactly the pages read.
  let totalPages: number | undefined
  let totalRows: number | undefined
  const progress = (ended: boolean): PageProgress => {
    const known = ended ? pages : endpoint.pageCap !== undefined && totalPages !== undefined ? Math.min(totalPages, endpoint.pageCap) : totalPages
    return { pages, ...(known === undefined ? {} : { totalPages: Math.max(known, pages) }), ...(totalRows === undefined ? {} : { totalRows }) }
  }
  const launch = (request: RequestSpec, pooled = false): void => {
    const sent = performance.now()
    const outcome = execute(rt, request, {
      signal, resource: endpoint.name, parent: input.parent, rateLimitClass: endpoint.rateLimitClass, responseActions: endpoint.responseActions, rawRows,
      ...(paginator.headersOnly === true
        ? { onArrival: (response: HttpResult) => { if (performance.now() - sent >= PIPELINE_MIN_LATENCY_MS) pipeline(request, response) } }
        : {})
    })
    outcome.catch(() => undefined)
    inflight.push({ request, outcome, pooled })
  }
  // Pipelined pages: a paginator that needs only headers names the next request as soon as a response
  // arrives; it is started (through the limiter, like any request) while this body is parsed and written.
  // Only when nothing else is in flight, so the loop still has one request out at a time. An empty or
  // final page, a watermark stop or a page cap aborts it (one request more than needed, at most).
  const pipeline = (request: RequestSpec, response: HttpResult): void => {
    if (inflight.length > 0 || signal.aborted) return
    if (endpoint.pageCap !== undefined && pages + 1 >= endpoint.pageCap) return
    // A known run held back (a window of one, or no slot free in the pool): its next page is this loop's
    // own next request, started now as any pipelined page.
    if (queue.length > 0) { launch(queue.shift() as RequestSpec); return }
    const next = paginator.next({ request, response, rows: [] })
    if (next.length !== 1) return
    const key = requestKey(next[0] as RequestSpec)
    if (seen.has(key)) return // the page loop reports the loop once the body is in
    seen.add(key)
    launch(next[0] as RequestSpec)
  }
  try {
    for (;;) {
      // A known run is launched up to the window, each request beyond the first with a slot of the replica's
      // pool, and never past the page cap (the cap needs only to know more is queued; a loop with nothing
      // in flight always sends one, so a resume at the cap still ends with page_cap_reached).
      while (inflight.length < windowSize && queue.length > 0 && (inflight.length === 0 || endpoint.pageCap === undefined || pages + inflight.length < endpoint.pageCap)) {
        const pooled = inflight.length > 0 && input.pool !== undefined
        if (pooled && input.pool?.tryTake() !== true) break
        launch(queue.shift() as RequestSpec, pooled)
      }
      const current = inflight.shift()
      if (current === undefined) return
      if (current.pooled) input.pool?.give()
      const outcome = await current.outcome
      pages++
      if (outcome.kind === 'ignored') { yield { rows: [], state: null, progress: progress(true) }; return }
      const { result } = outcome
      // A text page (raw-rows.ts) is parsed only if something reads its rows (or the body's member of them).
      const raw = outcome.rawRows
      const text = raw === undefined ? undefined : lazyPage(raw, null)
      const rows = text !== undefined ? [] : selectRows(result.body, endpoint.dataSelector, endpoint.dataSelectorRequired ?? true, result.url)
      if (flatten !== undefined) for (let i = 0; i < rows.length; i++) rows[i] = flatten(rows[i] as Row)
      const count = raw?.count ?? rows.length
      if (text !== undefined && raw?.wrapped !== undefined) exposeRows(raw.wrapped.rest, raw.wrapped.selector, text)
      const view: PageView = raw === undefined || text === undefined
        ? { request: current.request, response: result, rows }
        : new TextPageView(current.request, result, text, raw)
      const pageOf = (state: ResumeState | null, ended: boolean): Page => {
        if (text === undefined) return { rows, state, progress: progress(ended) }
        text.state = state
        text.progress = progress(ended)
        return text
      }
      const stated = paginator.totals?.(view)
      if (stated?.pages !== undefined) totalPages = stated.pages
      if (stated?.rows !== undefined) totalRows = stated.rows
      if (input.stopBefore !== undefined && pageOlderThan(view.rows, input.stopBefore.field, input.stopBefore.lastValue)) {
        yield { rows: [], state: null, progress: progress(true) }
        return
      }
      if (count === 0) { yield pageOf(null, true); return }
      if (inflight.length === 0 && queue.length === 0) {
        for (const next of paginator.next(view)) {
          const key = requestKey(next)
          if (seen.has(key)) {
            rt.emit({ level: 'warn', event: 'loop_detected', ...events, page: pages, url: redactUrl(next.url) })
            break
          }
          seen.add(key)
          queue.push(next)
        }
      }
      const upcoming = inflight[0]?.request ?? queue[0]
      if (upcoming !== undefined && endpoint.pageCap !== undefined && pages >= endpoint.pageCap) {
        rt.emit({ level: 'warn', event: 'page_cap_reached', ...events, pageCap: endpoint.pageCap, pages })
        yield pageOf(null, true)
        return
      }
      yield pageOf(upcoming === undefined ? null : { v: 2, next: encodeRequest(upcoming, input.first, rt.options.baseUrl), pages }, upcoming === undefined)
    }
  } finally {
    for (const entry of inflight.splice(0)) if (entry.pooled) input.pool?.give()
    controller.abort()
  }
}
