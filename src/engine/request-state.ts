/**
 * The next request of a paged endpoint as resume state: only what the configuration does not already
 * imply. The URL is stored relative to the client's base URL (so a state survives the service moving to
 * another origin when the base URL is configuration, e.g. the Demo sample API on a new port), and
 * params, JSON body and headers only where they differ from the endpoint's first request, which is
 * rebuilt from the declaration and config on resume. Decoding re-checks the rebuilt URL against the
 * client's allowed origins, whatever the token's signature says.
 */
import { BlockedTargetError, UnsupportedRequestError } from '../errors.js'
import type { Params } from './declarations.js'
import { originOf, type TargetPolicy } from './ssrf.js'
import type { RequestSpec } from './types.js'

/** Compact request: every key optional, absent = as in the first request. */
export interface RequestState {
  /**
   * A followed URL (params cleared) written as changes to the first request's URL with its params in
   * the query: `name → value` set in place (appended when new), `null` deleted. Used only when replaying
   * the changes gives exactly the URL followed (checked when encoding); `u` otherwise.
   */
  q?: Record<string, string | null>
  /** URL: `/path?query` or `?query` relative to the base URL, or absolute when outside it. */
  u?: string
  m?: 'GET' | 'POST'
  /** Params that differ from the first request's (null: dropped); null for "no params at all" (a followed URL). */
  p?: Params | null
  j?: Record<string, unknown>
  h?: Record<string, string>
}

const trimBase = (baseUrl: string): string => baseUrl.replace(/\/+$/, '')

function relativeUrl (url: string, baseUrl: string): string {
  const base = trimBase(baseUrl)
  if (url === base) return ''
  if (url.startsWith(base) && (url[base.length] === '/' || url[base.length] === '?')) return url.slice(base.length)
  return url
}

function paramsDelta (params: Params | undefined, first: Params | undefined): Params | null | undefined {
  if (params === undefined) return first === undefined ? undefined : null
  const delta: Params = {}
  let changed = false
  for (const name of new Set([...Object.keys(first ?? {}), ...Object.keys(params)])) {
    const now = params[name] ?? null
    if (now !== (first?.[name] ?? null)) { delta[name] = now; changed = true }
  }
  return changed ? delta : undefined
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b)

/** The first request's URL with its params in the query, as prepareRequest sends them (a new URL each call: callers may change it). */
function effectiveUrl (first: RequestSpec): URL {
  const url = new URL(first.url)
  for (const [name, value] of Object.entries(first.params ?? {})) {
    if (value !== null && value !== undefined) url.searchParams.set(name, String(value))
  }
  return url
}

interface FirstQuery {
  url: URL
  /** Each query name's first value (as `searchParams.get` gives it). */
  query: Map<string, string>
  /** The query's pairs in order. */
  pairs: ReadonlyArray<readonly [string, string]>
  /** The URL before its query (scheme, authority, path), and its fragment. */
  prefix: string
  fragment: string
}

/**
 * The first request's effective URL and its query, kept per first request: a run encodes its next
 * request on every page against the same first one. Read only.
 */
const firstQueries = new WeakMap<RequestSpec, FirstQuery>()
function firstQuery (first: RequestSpec): FirstQuery {
  let known = firstQueries.get(first)
  if (known === undefined) {
    const url = effectiveUrl(first)
    const query = new Map<string, string>()
    const pairs: Array<readonly [string, string]> = []
    for (const [name, value] of url.searchParams) {
      if (!query.has(name)) query.set(name, value)
      pairs.push([name, value])
    }
    const fragmentAt = url.href.indexOf('#')
    const beforeFragment = fragmentAt === -1 ? url.href : url.href.slice(0, fragmentAt)
    const queryAt = beforeFragment.indexOf('?')
    known = { url, query, pairs, prefix: queryAt === -1 ? beforeFragment : beforeFragment.slice(0, queryAt), fragment: url.href.slice(beforeFragment.length) }
    firstQueries.set(first, known)
  }
  return known
}

function applyQuery (url: URL, changes: Readonly<Record<string, string | null>>): URL {
  const out = new URL(url)
  for (const [name, value] of Object.entries(changes)) {
    if (value === null) out.searchParams.delete(name)
    else out.searchParams.set(name, value)
  }
  return out
}

/**
 * The href `applyQuery(from.url, changes)` gives, from the first query's pairs: each change as
 * `searchParams` makes it (a set replaces the first pair of its name and drops the others, or appends;
 * a delete drops them all), then the query serialised once, where `applyQuery` serialises it for each
 * change and parses the URL again.
 */
function replayedHref (from: FirstQuery, changes: Readonly<Record<string, string | null>>): string {
  let pairs = from.pairs
  let changed = false
  for (const name in changes) {
    const value = changes[name]
    changed = true
    if (value === null || value === undefined) { pairs = pairs.filter(([n]) => n !== name); continue }
    const at = pairs.findIndex(([n]) => n === name)
    pairs = at === -1 ? [...pairs, [name, value]] : pairs.flatMap((pair, i) => i === at ? [[name, value] as const] : pair[0] === name ? [] : [pair])
  }
  if (!changed) return from.url.href
  const query = new URLSearchParams(pairs as Array<[string, string]>).toString()
  return from.prefix + (query === '' ? '' : `?${query}`) + from.fragment
}

/**
 * Query changes that turn the first request's URL into `target` exactly, or undefined. Read off the
 * text: `target` must begin with the first URL's scheme, authority and path (a followed URL is written
 * in the form `new URL` gives; another spelling is stored whole), and replaying the changes must give it.
 */
function queryChanges (target: string, first: RequestSpec): Record<string, string | null> | undefined {
  let from: FirstQuery
  try { from = firstQuery(first) } catch { return undefined }
  if (!target.startsWith(from.prefix)) return undefined
  const rest = target.slice(from.prefix.length)
  if (rest !== '' && rest[0] !== '?' && rest[0] !== '#') return undefined
  const fragmentAt = rest.indexOf('#')
  const to = new URLSearchParams(fragmentAt === -1 ? rest : rest.slice(0, fragmentAt))
  const changes: Record<string, string | null> = {}
  for (const name of from.query.keys()) if (!to.has(name)) changes[name] = null
  for (const [name, value] of to) if (from.query.get(name) !== value) changes[name] = value
  return replayedHref(from, changes) === target ? changes : undefined
}

export function encodeRequest (request: RequestSpec, first: RequestSpec, baseUrl: string): RequestState {
  const state: RequestState = {}
  const followed = request.params === undefined && first.params !== undefined
  const q = followed && request.url !== first.url ? queryChanges(request.url, first) : undefined
  if (q !== undefined) state.q = q
  else if (request.url !== first.url) state.u = relativeUrl(request.url, baseUrl)
  if (request.method !== first.method) state.m = request.method
  const p = q === undefined ? paramsDelta(request.params, first.params) : undefined
  if (p !== undefined) state.p = p
  if (request.json !== undefined && !sameJson(request.json, first.json)) state.j = request.json
  if (request.headers !== undefined && !sameJson(request.headers, first.headers)) state.h = request.headers
  return state
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)
const isParamValue = (value: unknown): boolean => value === null || ['string', 'number', 'boolean'].includes(typeof value)

/**
 * The request a state names, rebuilt on `first` and the base URL. Throws UnsupportedRequestError for a
 * malformed state and BlockedTargetError (naming the origin) for a URL outside the allowed origins.
 */
export function decodeRequest (state: unknown, first: RequestSpec, baseUrl: string, policy: Pick<TargetPolicy, 'allowedOrigins'>,
  bad: () => UnsupportedRequestError): RequestSpec {
  if (!isRecord(state)) throw bad()
  const { q, u, m, p, j, h } = state
  if (q !== undefined && !(isRecord(q) && Object.values(q).every((v) => v === null || typeof v === 'string') && u === undefined && p === undefined)) throw bad()
  if (u !== undefined && typeof u !== 'string') throw bad()
  if (m !== undefined && m !== 'GET' && m !== 'POST') throw bad()
  if (p !== undefined && p !== null && !(isRecord(p) && Object.values(p).every(isParamValue))) throw bad()
  if (j !== undefined && !isRecord(j)) throw bad()
  if (h !== undefined && !(isRecord(h) && Object.values(h).every((v) => typeof v === 'string'))) throw bad()
  let url = first.url
  if (u !== undefined) {
    // Relative URLs continue the base URL's path: concatenation keeps its authority, whatever `u` holds.
    url = u === '' || u.startsWith('/') || u.startsWith('?') ? trimBase(baseUrl) + u : u
  }
  let parsed: URL
  try { parsed = q === undefined ? new URL(url) : applyQuery(effectiveUrl(first), q as Record<string, string | null>) } catch { throw bad() }
  const origin = originOf(parsed)
  if (!policy.allowedOrigins.has(origin)) {
    throw new BlockedTargetError(`The resume state names origin ${origin}, which is not among the origins this source may call.`, { origin })
  }
  const request: RequestSpec = { method: (m as 'GET' | 'POST' | undefined) ?? first.method, url: parsed.href }
  const params = p === null || q !== undefined ? undefined : p === undefined ? first.params : { ...first.params, ...(p as Params) }
  if (params !== undefined) request.params = params
  const json = (j as Record<string, unknown> | undefined) ?? first.json
  if (json !== undefined) request.json = json
  const headers = (h as Record<string, string> | undefined) ?? first.headers
  if (headers !== undefined) request.headers = headers
  return request
}
