/** Cursor token from the body or a header, sent back as a query param or JSON body field. */
import type { Static } from 'typebox'
import type { CursorPaginatorSchema } from '../declarations.js'
import { getPath } from '../select.js'
import { bodyAccessOf, rowTotalAt, truthy, withParam, type Paginator } from './types.js'

export function cursorPaginator (decl: Static<typeof CursorPaginatorSchema>): Paginator {
  return {
    first: (request) => request,
    // Without a header or a path, the cursor is the body itself (getPath of no path).
    ...(decl.cursorHeader === undefined && decl.cursorPath === undefined ? {} : { bodyAccess: bodyAccessOf(decl.cursorHeader === undefined ? decl.cursorPath : undefined, decl.hasMorePath, decl.totalRowsPath) }),
    next ({ request, response }) {
      if (decl.hasMorePath !== undefined && !truthy(getPath(response.body, decl.hasMorePath))) return []
      const cursor = decl.cursorHeader !== undefined
        ? response.headers[decl.cursorHeader.toLowerCase()]
        : getPath(response.body, decl.cursorPath)
      if (cursor === null || cursor === undefined || cursor === '' || typeof cursor === 'object') return []
      const value = typeof cursor === 'number' ? cursor : String(cursor)
      if (decl.in === 'json') return [{ ...request, json: { ...request.json, [decl.param]: value } }]
      return [withParam(request, decl.param, value)]
    },
    totals: rowTotalAt(decl.totalRowsPath)
  }
}
