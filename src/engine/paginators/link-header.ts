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

/** Whitespace as `\s` and `String.prototype.trim` count it. */
function isSpace (code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d) || (code > 0x7f && /\s/.test(String.fromCharCode(code)))
}

function skipSpaces (text: string, at: number): number {
  while (at < text.length && isSpace(text.charCodeAt(at))) at++
  return at
}

/** A parameter's value as written: surrounding quotes dropped. */
function unquote (value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value
}

/**
 * Parse a Link header into its links and their (lower-cased) parameters: each `<target>` followed by
 * `; name=value` or `; name="quoted value"` (a parameter without a value is skipped, a later one of the
 * same name wins). A scan of the text, not a regular expression: it runs once a page, right after the
 * page's body is parsed, where every step costs several times what it costs alone (bench/README.md,
 * issue 16).
 */
export function parseLinkHeader (header: string | undefined): LinkValue[] {
  if (header === undefined) return []
  const links: LinkValue[] = []
  let at = 0
  for (;;) {
    const open = header.indexOf('<', at)
    if (open === -1) break
    const close = header.indexOf('>', open + 1)
    if (close === -1) break
    const params: Record<string, string> = {}
    at = close + 1
    for (;;) {
      const semicolon = skipSpaces(header, at)
      if (header.charCodeAt(semicolon) !== 0x3b) break
      const start = skipSpaces(header, semicolon + 1)
      let end = start
      while (end < header.length && !';,"='.includes(header[end] as string)) end++
      // A name is at least one character, and a space is one: `;  =x` names '' (trimmed).
      if (end === start && start === semicolon + 1) break
      const name = header.slice(start, end).trim().toLowerCase()
      at = end
      if (header[end] !== '=') continue
      const from = end + 1
      const quoteEnd = header[from] === '"' ? header.indexOf('"', from + 1) : -1
      if (quoteEnd !== -1) {
        params[name] = header.slice(from + 1, quoteEnd)
        at = quoteEnd + 1
      } else {
        let to = from
        while (to < header.length && header[to] !== ';' && header[to] !== ',') to++
        params[name] = unquote(header.slice(from, to).trim())
        at = to
      }
    }
    links.push({ href: header.slice(open + 1, close), params })
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
  const value = link.params.rel
  if (value === undefined) return false
  return value === rel || value.toLowerCase().split(/\s+/).includes(rel)
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
