/**
 * RFC 8288 Link header: follow `rel="next"` (or the declared rel) verbatim, relative to the current
 * URL, unless the declared stop attribute says otherwise (Sentry: results="false").
 */
import type { Static } from 'typebox'
import type { LinkHeaderPaginatorSchema } from '../declarations.js'
import { countOf, followUrl, type Paginator } from './types.js'

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

/** The link whose `rel` lists `rel` (case-insensitive; a rel may name several relations). */
function linkWithRel (header: string | undefined, rel: string): LinkValue | undefined {
  return parseLinkHeader(header).find((l) => (l.params.rel ?? '').toLowerCase().split(/\s+/).includes(rel))
}

export function linkHeaderPaginator (decl: Static<typeof LinkHeaderPaginatorSchema>): Paginator {
  const rel = (decl.rel ?? 'next').toLowerCase()
  return {
    first: (request) => request,
    headersOnly: true,
    next ({ request, response }) {
      const link = linkWithRel(response.headers.link, rel)
      if (link === undefined || link.href === '') return []
      if (decl.stopWhen !== undefined && link.params[decl.stopWhen.attribute.toLowerCase()] === decl.stopWhen.value) return []
      return [followUrl(request, link.href, response.url)]
    },
    totals ({ response }) {
      if (decl.lastPageParam === undefined) return {}
      const last = linkWithRel(response.headers.link, 'last')
      if (last === undefined) return {}
      try {
        return { pages: countOf(new URL(last.href, response.url).searchParams.get(decl.lastPageParam) ?? undefined) }
      } catch {
        return {}
      }
    }
  }
}
