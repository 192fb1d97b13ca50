/**
 * The next page token from a compiled `{{ … }}` expression over the page (Airbyte's CursorPagination):
 * evaluated once per page, never per row. A true stop condition or an empty token stops.
 */
import type { Static } from 'typebox'
import type { ExpressionPaginatorSchema } from '../declarations.js'
import { compiledTemplate, truthy } from '../interpolation/index.js'
import type { RequestSpec } from '../types.js'
import { parseLinkHeader } from './link-header.js'
import { followUrl, lastRowOf, rowCountOf, withParam, type Paginator, type PageView } from './types.js'

type Decl = Static<typeof ExpressionPaginatorSchema>

/** Response headers as expressions see them: lower-cased names, `link` parsed into `{ rel: { url, … } }`. */
function headersView (headers: Record<string, string>): Record<string, unknown> {
  if (headers.link === undefined) return headers
  const links: Record<string, Record<string, string>> = {}
  for (const link of parseLinkHeader(headers.link)) {
    for (const rel of (link.params.rel ?? '').split(/\s+/).filter((r) => r !== '')) links[rel] = { ...link.params, url: link.href }
  }
  return { ...headers, link: links }
}

function tokenSent (decl: Decl, request: RequestSpec): unknown {
  if (decl.param === undefined) return undefined
  if (decl.inject === 'query') return request.params?.[decl.param] ?? undefined
  if (decl.inject === 'header') return request.headers?.[decl.param]
  if (decl.inject === 'json') return request.json?.[decl.param]
  return undefined
}

/** What the expressions may read of the page beyond its headers: none of it makes the paginator headers-only. */
const BODY_NAMES = ['response', 'last_record', 'last_page_size']

export function expressionPaginator (decl: Decl): Paginator {
  const cursor = compiledTemplate(decl.cursorValue)
  const stop = decl.stopCondition === undefined ? undefined : compiledTemplate(decl.stopCondition)
  // Expressions that read only headers (a Link header's next URL) let the engine ask for the next page
  // before the body is parsed, and keep the body as text (raw-rows.ts). Any other expression may read
  // the whole body (expressions see own data properties only, never a text page's rows member).
  const headersOnly = ![cursor, stop].some((template) => template !== undefined && BODY_NAMES.some((name) => template.names.has(name)))
  return {
    first: (request) => request,
    ...(headersOnly ? { headersOnly: true, bodyAccess: 'none' as const } : {}),
    next (page: PageView) {
      const { request, response } = page
      const sent = tokenSent(decl, request)
      const context = {
        ...decl.variables,
        headers: headersView(response.headers),
        last_page_token_value: sent,
        next_page_token: sent === undefined ? undefined : { next_page_token: sent },
        ...(headersOnly ? {} : { response: response.body, last_record: lastRowOf(page), last_page_size: rowCountOf(page) })
      }
      if (stop !== undefined && truthy(stop.evaluate(context))) return []
      const token = cursor.evaluate(context)
      if (token === undefined || token === null || token === '' || token === false || typeof token === 'object') return []
      const value = typeof token === 'number' ? token : String(token)
      switch (decl.inject) {
        case 'url': return [followUrl(request, String(value), response.url)]
        case 'header': return [{ ...request, headers: { ...request.headers, [decl.param as string]: String(value) } }]
        case 'json': return [{ ...request, json: { ...request.json, [decl.param as string]: value } }]
        case 'query': return [withParam(request, decl.param as string, value)]
      }
    }
  }
}
