/**
 * The next page token from a compiled `{{ … }}` expression over the page (Airbyte's CursorPagination):
 * evaluated once per page, never per row. A true stop condition or an empty token stops.
 */
import type { Static } from 'typebox'
import type { ExpressionPaginatorSchema } from '../declarations.js'
import { compiledTemplate, truthy } from '../interpolation/index.js'
import type { RequestSpec } from '../types.js'
import { parseLinkHeader } from './link-header.js'
import { followUrl, withParam, type Paginator, type PageView } from './types.js'

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

export function expressionPaginator (decl: Decl): Paginator {
  const cursor = compiledTemplate(decl.cursorValue)
  const stop = decl.stopCondition === undefined ? undefined : compiledTemplate(decl.stopCondition)
  return {
    first: (request) => request,
    next ({ request, response, rows }: PageView) {
      const sent = tokenSent(decl, request)
      const context = {
        ...decl.variables,
        response: response.body,
        headers: headersView(response.headers),
        last_record: rows[rows.length - 1],
        last_page_size: rows.length,
        last_page_token_value: sent,
        next_page_token: sent === undefined ? undefined : { next_page_token: sent }
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
