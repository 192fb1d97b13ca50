/** Cursor from the last row of the page (Stripe `starting_after=<last id>`, Typeform `before=<last token>`). */
import type { Static } from 'typebox'
import type { LastRecordCursorPaginatorSchema } from '../declarations.js'
import { getPath } from '../select.js'
import { bodyAccessOf, lastRowOf, rowTotalAt, truthy, withParam, type Paginator } from './types.js'

export function lastRecordCursorPaginator (decl: Static<typeof LastRecordCursorPaginatorSchema>): Paginator {
  return {
    first: (request) => request,
    bodyAccess: bodyAccessOf(decl.hasMorePath, decl.totalRowsPath),
    next (page) {
      const { request, response } = page
      if (decl.hasMorePath !== undefined && !truthy(getPath(response.body, decl.hasMorePath))) return []
      const last = lastRowOf(page)
      const cursor = last === undefined ? undefined : getPath(last, decl.recordField)
      if (cursor === null || cursor === undefined || cursor === '' || typeof cursor === 'object') return []
      return [withParam(request, decl.param, typeof cursor === 'number' ? cursor : String(cursor))]
    },
    totals: rowTotalAt(decl.totalRowsPath)
  }
}
