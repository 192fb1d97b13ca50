/**
 * RFC 8288 Link header: follow `rel="next"` (or the declared rel) verbatim, relative to the current
 * URL, unless the declared stop attribute says otherwise (Sentry: results="false"). With `knownPages`,
 * numbered pages the links prove (GitHub's next and last) are returned as a known run.
 */
import type { Static } from 'typebox'
import type { LinkHeaderPaginatorSchema } from '../declarations.js'
import type { HttpResult, RequestSpec } from '../types.js'
import { countOf, followUrl, KNOWN_RUN_MAX, type PageTotals, type Paginator } from './types.js'

export interface LinkValue { href: string, params: Record<string, string> }

/** Parse a Link header into its links and their (lower-cased) parameters. */
export function parseLinkHeader (header: string | undefined): LinkValue[] {
  if (header === undefined) return []
  const links: LinkValue[] = []
  const pattern = /<([^>]*)>((?:\s*;\s*[^;,"=]+(?:=(?:"[^"]*"|[^;,]*))?)*)/g
  for (const match of header.matchAll(pattern)) {
    const params: Record<string, string> = {}
    for (const part of (match[2] ?? '').split(';')) {
      const eq = part.indexOf('=')
      if (eq < 0) continue
      const key = part.slice(0, eq).trim().toLowerCase()
      params[key] = part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1')
    }
    links.push({ href: match[1] ?? '', params })
  }
  return links
}

/** A raw query segment's name, decoded as a form field name (`+` is a space). */
function segmentName (segment: string): string {
  const eq = segment.indexOf('=')
  const raw = (eq === -1 ? segment : segment.slice(0, eq)).replace(/\+/g, ' ')
  try { return decodeURIComponent(raw) } catch { return raw }
}

function segmentsOf (url: URL): string[] {
  return url.search.slice(1).split('&').filter((segment) => segment !== '')
}

/**
 * How `url` carries `param`: its page number, `null` when it has none, undefined when that is not a
 * count or the param comes twice; and the URL without it (its other raw query segments sorted), so two
 * URLs that differ only in the page compare equal, byte for byte otherwise.
 */
function pageOf (url: URL, param: string): { page: number | null | undefined, rest: string } {
  const others: string[] = []
  const values: string[] = []
  for (const segment of segmentsOf(url)) {
    if (segmentName(segment) === param) values.push(segment.slice(segment.indexOf('=') + 1))
    else others.push(segment)
  }
  const page = values.length === 0 ? null : values.length === 1 ? countOf(values[0]) : undefined
  return { page, rest: `${url.origin}${url.pathname}?${others.sort().join('&')}` }
}

/** `url` with the value of `param` replaced, every other byte of its query kept (links are followed as given). */
function withPage (url: URL, param: string, page: number): string {
  const copy = new URL(url)
  copy.search = segmentsOf(url).map((segment) => segmentName(segment) === param ? `${segment.slice(0, segment.indexOf('='))}=${page}` : segment).join('&')
  return copy.href
}

/**
 * The pages from the next link up to the last one (at most KNOWN_RUN_MAX), when the links prove the pages
 * are numbered by `param`: next is the request with `param` one more (absent counts as page 1), and last
 * is next with another `param`. Anything else (a cursor in the link, a gap, a last before next): undefined.
 * The first is the next link as given; the others change only the page number's digits in it.
 */
function knownRun (request: RequestSpec, links: LinkValue[], next: LinkValue, response: HttpResult, param: string): RequestSpec[] | undefined {
  const last = links.find((l) => hasRel(l, 'last'))
  if (last === undefined) return undefined
  let current: URL, nextUrl: URL, lastUrl: URL
  try {
    current = new URL(response.url)
    nextUrl = new URL(next.href, response.url)
    lastUrl = new URL(last.href, response.url)
  } catch {
    return undefined
  }
  const here = pageOf(current, param)
  const from = pageOf(nextUrl, param)
  const to = pageOf(lastUrl, param)
  const at = here.page === null ? 1 : here.page
  if (typeof from.page !== 'number' || typeof to.page !== 'number' || at === undefined || from.page !== at + 1 || to.page < from.page) return undefined
  if (from.rest !== here.rest || from.rest !== to.rest) return undefined
  const run: RequestSpec[] = [followUrl(request, next.href, response.url)]
  for (let page = from.page + 1; page <= to.page && run.length < KNOWN_RUN_MAX; page++) run.push(followUrl(request, withPage(nextUrl, param, page), response.url))
  return run
}

/** True when the link's `rel` lists `rel` (case-insensitive; a rel may name several relations). */
function hasRel (link: LinkValue, rel: string): boolean {
  return (link.params.rel ?? '').toLowerCase().split(/\s+/).includes(rel)
}

export function linkHeaderPaginator (decl: Static<typeof LinkHeaderPaginatorSchema>): Paginator {
  const rel = (decl.rel ?? 'next').toLowerCase()
  const knownPagesParam = decl.knownPages === true ? decl.lastPageParam : undefined
  // A page's header is read up to three times (early next, next, totals): parsed once.
  let lastHeader: string | undefined
  let lastLinks: LinkValue[] = []
  let lastKey: string | undefined
  let lastTotals: PageTotals = {}
  const linksOf = (header: string | undefined): LinkValue[] => {
    if (header !== lastHeader) { lastLinks = parseLinkHeader(header); lastHeader = header }
    return lastLinks
  }
  return {
    first: (request) => request,
    headersOnly: true,
    bodyAccess: 'none',
    next ({ request, response }) {
      const links = linksOf(response.headers.link)
      const link = links.find((l) => hasRel(l, rel))
      if (link === undefined || link.href === '') return []
      if (decl.stopWhen !== undefined && link.params[decl.stopWhen.attribute.toLowerCase()] === decl.stopWhen.value) return []
      if (knownPagesParam !== undefined) {
        const run = knownRun(request, links, link, response, knownPagesParam)
        if (run !== undefined) return run
      }
      return [followUrl(request, link.href, response.url)]
    },
    totals ({ response }) {
      if (decl.lastPageParam === undefined) return {}
      const last = linksOf(response.headers.link).find((l) => hasRel(l, 'last'))
      if (last === undefined) return {}
      // Every page of a list names the same last page: its URL is parsed once (a relative one per base).
      const key = /^https?:\/\//i.test(last.href) ? last.href : `${last.href} ${response.url}`
      if (key === lastKey) return lastTotals
      let totals: PageTotals
      try {
        totals = { pages: countOf(new URL(last.href, response.url).searchParams.get(decl.lastPageParam) ?? undefined) }
      } catch {
        totals = {}
      }
      lastKey = key
      lastTotals = totals
      return totals
    }
  }
}
