/** Paginator for a declaration: exhaustive over the declared types. */
import type { PaginatorDecl } from '../declarations.js'
import { cursorPaginator } from './cursor.js'
import { expressionPaginator } from './expression.js'
import { lastRecordCursorPaginator } from './last-record-cursor.js'
import { linkHeaderPaginator } from './link-header.js'
import { nextUrlPaginator } from './next-url.js'
import { offsetPaginator } from './offset.js'
import { pageNumberPaginator } from './page-number.js'
import { singlePagePaginator } from './single-page.js'
import type { Paginator } from './types.js'

export type { Paginator, PageView } from './types.js'
export { parseLinkHeader } from './link-header.js'

export function createPaginator (decl: PaginatorDecl): Paginator {
  switch (decl.type) {
    case 'single_page': return singlePagePaginator()
    case 'link_header': return linkHeaderPaginator(decl)
    case 'next_url': return nextUrlPaginator(decl)
    case 'cursor': return cursorPaginator(decl)
    case 'last_record_cursor': return lastRecordCursorPaginator(decl)
    case 'offset': return offsetPaginator(decl)
    case 'page_number': return pageNumberPaginator(decl)
    case 'expression': return expressionPaginator(decl)
  }
}
