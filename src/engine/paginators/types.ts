/**
 * The paginator contract: a pure step. `first` prepares the first request; `next` reads the request
 * just sent and its response and returns the next request(s) — never mutating anything.
 * [] stops; [r] continues with r; [r1, …, rn] is a run of pages known in advance (totals known),
 * which the engine may fetch concurrently and emits in order, asking `next` again after rn.
 */
import { getPath } from '../select.js'
import type { HttpResult, RequestSpec, Row } from '../types.js'

export interface PageView {
  request: RequestSpec
  response: HttpResult
  rows: readonly Row[]
  /** The page's row count, where known without reading `rows` (a text page, raw-rows.ts). */
  count?: number
  /** The page's last row, read alone (a text page parses that row only). */
  last?: () => Row | undefined
}

/** How many rows the page holds (without parsing a text page). */
export function rowCountOf (page: PageView): number {
  return page.count ?? page.rows.length
}

/** The page's last row (a text page parses it alone). */
export function lastRowOf (page: PageView): Row | undefined {
  return page.last !== undefined ? page.last() : page.rows[page.rows.length - 1]
}

/** What a response says about the whole resource, where the declaration names it; absent: not stated. */
export interface PageTotals {
  pages?: number
  rows?: number
}

export interface Paginator {
  first: (request: RequestSpec) => RequestSpec
  next: (page: PageView) => RequestSpec[]
  /** The totals the response states (declared paths, headers, links); never estimated. */
  totals?: (page: PageView) => PageTotals
  /**
   * True when `next` and `totals` read only the request and the response's status, headers and URL
   * (Link header): the engine may then ask `next` before the body is parsed and start the next request
   * meanwhile, and keep the body as text (raw-rows.ts). Reading `rows` still works (it parses them).
   */
  headersOnly?: boolean
  /**
   * What `next` and `totals` read of the body besides the rows' count and last row (`rowCountOf`,
   * `lastRowOf`): `none`, `paths` (values at declared paths, through `getPath`) or, when absent,
   * anything. It decides which text pages (raw-rows.ts) give the paginator all it reads.
   */
  bodyAccess?: 'none' | 'paths'
}

/** `paths` when any of the declared body paths is set, else `none`. */
export function bodyAccessOf (...paths: Array<string | undefined>): 'none' | 'paths' {
  return paths.some((path) => path !== undefined) ? 'paths' : 'none'
}

/** Longest run of known pages returned at once. */
export const KNOWN_RUN_MAX = 20

export function withParam (request: RequestSpec, name: string, value: string | number): RequestSpec {
  return { ...request, params: { ...request.params, [name]: value } }
}

const ABSOLUTE = /^https?:\/\//i

/**
 * A next URL followed verbatim: the original query params are cleared (they are in the URL). An
 * absolute one is parsed alone (the base would be parsed for nothing, once a page).
 */
export function followUrl (request: RequestSpec, href: string, base: string): RequestSpec {
  const { params: _dropped, ...rest } = request
  return { ...rest, url: (ABSOLUTE.test(href) ? new URL(href) : new URL(href, base)).href }
}

/** A count as an API states it: a non-negative safe integer, or a string of digits; anything else is no count. */
export function countOf (raw: unknown): number | undefined {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : undefined
  return n !== undefined && Number.isSafeInteger(n) && n >= 0 ? n : undefined
}

/** Totals from a declared body path of the row count (cursor-style paginators). */
export function rowTotalAt (path: string | undefined): Paginator['totals'] {
  if (path === undefined) return undefined
  return ({ response }) => ({ rows: countOf(getPath(response.body, path)) })
}

export function truthy (value: unknown): boolean {
  return value === true || value === 'true' || value === 1
}
