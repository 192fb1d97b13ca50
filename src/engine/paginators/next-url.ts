/** Next URL in the body (Klaviyo/Zendesk `links.next`), optionally gated by a has-more flag. */
import type { Static } from 'typebox'
import type { NextUrlPaginatorSchema } from '../declarations.js'
import { getPath } from '../select.js'
import { followUrl, rowTotalAt, truthy, type Paginator } from './types.js'

export function nextUrlPaginator (decl: Static<typeof NextUrlPaginatorSchema>): Paginator {
  return {
    first: (request) => request,
    bodyAccess: 'paths',
    next ({ request, response }) {
      if (decl.hasMorePath !== undefined && !truthy(getPath(response.body, decl.hasMorePath))) return []
      const next = getPath(response.body, decl.path)
      if (typeof next !== 'string' || next === '') return []
      return [followUrl(request, next, response.url)]
    },
    totals: rowTotalAt(decl.totalRowsPath)
  }
}
