/**
 * `client.pages()`: resolves an endpoint (plain or fan-out, recursively through the catalog), applies
 * incremental params to the target endpoint, validates resume state, caps total pages and keeps a
 * bounded look-ahead between the engine and its consumer.
 */
import { setMaxListeners } from 'node:events'
import { UnsupportedRequestError } from '../errors.js'
import type { Endpoint, IncrementalFieldDecl, Params } from './declarations.js'
import { descendingWalkOf, descendingWalkPages, isWalkState, type DescendingWalk } from './descending-walk.js'
import { LookAhead } from './lookahead.js'
import type { ClientRuntime } from './execute.js'
import { decorationNames, fanOutPages, type FanOutState, type FanOutStateData } from './fanout.js'
import { incrementalParams } from './incremental.js'
import { buildFirstRequest, formatPath } from './request-builder.js'
import { decodeRequest } from './request-state.js'
import { paginate } from './run.js'
import type { InFlightPool } from './in-flight-pool.js'
import { isSliceState, timeWindowPages, windowRangeOf } from './time-windows.js'
import { getPath, isSelfPath } from './select.js'
import type { Page, PagesOptions, RequestSpec, ResumeState, Row } from './types.js'

/** Pages fetched ahead of the consumer. */
export const DEFAULT_LOOKAHEAD_PAGES = 2
/** Pages of a known run (page count or total known) fetched concurrently, emitted in order. */
export const DEFAULT_KNOWN_PAGES_CONCURRENCY = 6

interface Context {
  rt: ClientRuntime
  options: PagesOptions
  signal: AbortSignal
  lookahead: number
  /** Known pages (totals known) in flight at once per endpoint instance. */
  knownPagesConcurrency: number
  /** The replica's slots for known pages beyond each loop's first. */
  knownPagesPool?: InFlightPool
  /** Pages of the endpoint asked for may stay text, with these fields read (raw-rows.ts); parents never. */
  rawFields?: readonly string[]
}

interface Target {
  extraParams: Params
  /** Incremental binding (only for the endpoint the caller asked for). */
  incremental?: { field: IncrementalFieldDecl, lastValue: unknown }
  /** Two-phase walk of a descending endpoint with both watermarks (descending-walk.ts). */
  walk?: DescendingWalk
}

function badState (endpoint: Endpoint): UnsupportedRequestError {
  return new UnsupportedRequestError(`The resume state does not belong to table "${endpoint.name}".`, [{ path: '/resume_state', message: 'does not match this table' }])
}

/** Engine resume state version: 2 stores requests relative to the base URL and the first request. */
export const STATE_VERSION = 2

function requestFromState (rt: ClientRuntime, state: ResumeState | null, first: RequestSpec, endpoint: Endpoint): { request: RequestSpec, pagesBefore: number } | null {
  if (state === null) return null
  if (state.v !== STATE_VERSION || state.next === undefined) throw badState(endpoint)
  const pagesBefore = state.pages ?? 0
  if (typeof pagesBefore !== 'number' || !Number.isInteger(pagesBefore) || pagesBefore < 0) throw badState(endpoint)
  const request = decodeRequest(state.next, first, rt.options.baseUrl, rt.transport.policy, () => badState(endpoint))
  return { request, pagesBefore }
}

const isState = (value: unknown): value is ResumeState => typeof value === 'object' && value !== null && !Array.isArray(value)

function fanOutStateFrom (state: ResumeState | null, endpoint: Endpoint): FanOutState | null {
  if (state === null) return null
  const f = state.fanout as Partial<FanOutStateData> | undefined
  if (state.v !== STATE_VERSION || !isState(f) || typeof f.index !== 'number' || !Number.isInteger(f.index) || f.index < 0 ||
    (f.from !== undefined && !isState(f.from)) || (f.child !== undefined && !isState(f.child)) ||
    (f.key !== undefined && typeof f.key !== 'string')) throw badState(endpoint)
  return { parentFrom: f.from ?? null, parentIndex: f.index, parentKey: f.key ?? null, child: f.child ?? null }
}

function plainPages (ctx: Context, endpoint: Endpoint, path: string, resume: ResumeState | null, target: Target,
  signal: AbortSignal, parent?: string): AsyncIterable<Page> {
  const windows = endpoint.timeWindows
  if (windows !== undefined && target.walk === undefined) {
    // The range from the params the first request would carry (the watermark replaces a declared start).
    const range = resume === null ? windowRangeOf(windows, { ...endpoint.params, ...target.extraParams }) : null
    if (isSliceState(resume) || range !== null) {
      return timeWindowPages({
        decl: windows,
        range,
        resume,
        windowPages: (params, from) => singleWalk(ctx, endpoint, path, from, { ...target, extraParams: { ...target.extraParams, ...params } }, signal, parent),
        badState: () => badState(endpoint)
      })
    }
  }
  if (isWalkState(resume) || (resume === null && target.walk !== undefined)) {
    return descendingWalkPages({
      walk: target.walk ?? null,
      resume,
      phasePages: (params, from) => singleWalk(ctx, endpoint, path, from, { extraParams: params }, signal, parent),
      badState: () => badState(endpoint)
    })
  }
  return singleWalk(ctx, endpoint, path, resume, target, signal, parent)
}

function singleWalk (ctx: Context, endpoint: Endpoint, path: string, resume: ResumeState | null, target: Target,
  signal: AbortSignal, parent?: string): AsyncIterable<Page> {
  const first = buildFirstRequest(ctx.rt.options.baseUrl, endpoint, path, target.extraParams)
  const descending = endpoint.sortMode === 'desc' && target.incremental !== undefined &&
    target.incremental.lastValue !== null && target.incremental.lastValue !== undefined
  const resumed = requestFromState(ctx.rt, resume, first, endpoint)
  return paginate({
    rt: ctx.rt,
    endpoint,
    first,
    resume: resumed?.request ?? null,
    pagesBefore: resumed?.pagesBefore ?? 0,
    signal,
    ...(parent !== undefined ? { parent } : {}),
    ...(descending && target.incremental !== undefined ? { stopBefore: target.incremental } : {}),
    window: ctx.knownPagesConcurrency,
    pool: ctx.knownPagesPool,
    rawFields: ctx.rawFields
  })
}

function endpointPages (ctx: Context, endpoint: Endpoint, resume: ResumeState | null, target: Target, depth = 0): AsyncIterable<Page> {
  const staticValues = ctx.options.pathParams ?? {}
  const decl = endpoint.fanOut
  if (decl === undefined) return plainPages(ctx, endpoint, formatPath(endpoint.path, (n) => staticValues[n]), resume, target, ctx.signal)
  if (depth > 8) throw new UnsupportedRequestError(`Fan-out chain of "${endpoint.name}" is too deep (cycle?).`)
  const staticParents: readonly Row[] | undefined = ctx.options.parents?.[decl.parent]
  const parentEndpoint = ctx.options.catalog?.find((e) => e.name === decl.parent)
  if (staticParents === undefined && parentEndpoint === undefined) {
    throw new UnsupportedRequestError(`Parent "${decl.parent}" of "${endpoint.name}" is neither a static parent list nor a catalog endpoint.`)
  }
  // A child's text pages are scanned for the names its decoration adds, so that a clash is seen at no cost.
  const childCtx = ctx.rawFields === undefined ? ctx : { ...ctx, rawFields: [...new Set([...ctx.rawFields, ...decorationNames(decl)])] }
  return fanOutPages({
    decl,
    state: fanOutStateFrom(resume, endpoint),
    ...(staticParents !== undefined ? { staticParents } : {}),
    ...(staticParents === undefined && parentEndpoint !== undefined
      ? { parentPages: (from: ResumeState | null) => endpointPages({ ...ctx, rawFields: undefined }, parentEndpoint, from, { extraParams: decl.parentParams ?? {} }, depth + 1) }
      : {}),
    childPages: (parent, childState, signal) => {
      const inQuery = decl.resolveIn === 'query'
      const path = formatPath(endpoint.path, (name) => {
        if (name === decl.resolveParam && !inQuery) return getPath(parent.row, decl.resolveField)
        return staticValues[name] ?? getPath(parent.row, name)
      })
      const value = inQuery ? getPath(parent.row, decl.resolveField) : undefined
      const own = inQuery && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
        ? { ...target, extraParams: { ...target.extraParams, [decl.resolveParam]: value } }
        : target
      return plainPages(childCtx, endpoint, path, childState, own, signal, `${decl.parent}:${parent.key}`)
    },
    signal: ctx.signal,
    lookahead: ctx.lookahead,
    onResumeMismatch: (expected, parent) => {
      ctx.rt.emit({ level: 'warn', event: 'resume_parent_changed', resource: endpoint.name, parent: `${decl.parent}:${parent.key}`, expected: `${decl.parent}:${expected}` })
    }
  })
}

/** The declared added columns on each row, in place (rows are fresh from JSON.parse): a missing value is null. */
function addFields (rows: Row[], added: ReadonlyArray<[string, string]>): void {
  for (const row of rows) {
    for (const [name, path] of added) row[name] = getPath(row, path) ?? null
  }
}

/**
 * Rows without the declared columns: a row holding one is rebuilt rather than `delete`d (V8 keeps it a
 * fast object); a row holding none is kept as it is.
 */
function removeFields (rows: Row[], removed: readonly string[]): Row[] {
  return rows.map((row) => {
    if (!removed.some((key) => Object.hasOwn(row, key))) return row
    const out: Row = {}
    for (const key in row) if (!removed.includes(key)) out[key] = row[key]
    return out
  })
}

/** All pages of `endpoint` for one run, honouring resume state, incremental binding and maxPages. */
export async function * endpointPagesForRun (rt: ClientRuntime, endpoint: Endpoint, options: PagesOptions, signal: AbortSignal,
  limits: { lookahead: number, knownPagesConcurrency: number, knownPagesPool?: InFlightPool }): AsyncGenerator<Page> {
  const { lookahead } = limits
  const controller = new AbortController()
  const runSignal = AbortSignal.any([signal, controller.signal])
  setMaxListeners(0, runSignal)
  const target: Target = { extraParams: {} }
  if (options.incremental !== undefined) {
    const field = endpoint.incrementalFields?.find((f) => f.field === options.incremental?.field)
    if (field === undefined) {
      throw new UnsupportedRequestError(`Table "${endpoint.name}" has no incremental field "${options.incremental.field}".`,
        [{ path: '/incremental_field', message: 'not an incremental field of this table' }])
    }
    const { lastValue, earliestValue } = options.incremental
    const walk = descendingWalkOf(endpoint, field, lastValue, earliestValue)
    if (walk === null) target.extraParams = incrementalParams(field, lastValue, earliestValue)
    else target.walk = walk
    target.incremental = { field, lastValue }
  }
  // A preview of a few pages (maxPages) fetches no more known pages at once than it will keep.
  const knownPagesConcurrency = Math.max(1, Math.min(limits.knownPagesConcurrency, options.maxPages ?? Infinity))
  const added = endpoint.addFields === undefined ? [] : Object.entries(endpoint.addFields)
  const removed = endpoint.removeFields === undefined || endpoint.removeFields.length === 0 ? null : endpoint.removeFields
  const ctx: Context = { rt, options, signal: runSignal, lookahead, knownPagesConcurrency, knownPagesPool: limits.knownPagesPool }
  // Text pages only where nothing here changes the rows, and the incremental field can be read off the text.
  const watched = options.incremental?.field
  if (options.rowsAsText === true && added.length === 0 && removed === null && (watched === undefined || (!isSelfPath(watched) && !watched.includes('.')))) {
    ctx.rawFields = watched === undefined ? [] : [watched]
  }
  const source = new LookAhead(endpointPages(ctx, endpoint, options.resumeState ?? null, target), Math.max(1, lookahead - 1))
  let count = 0
  try {
    for await (const page of source) {
      if (added.length > 0) addFields(page.rows, added)
      yield removed === null ? page : { rows: removeFields(page.rows, removed), state: page.state }
      count++
      if (options.maxPages !== undefined && count >= options.maxPages) return
    }
  } finally {
    source.close()
    controller.abort()
  }
}
