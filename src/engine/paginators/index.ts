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

/**
 * Whether pages kept as text (raw-rows.ts) give this paginator all it reads (`Paginator.bodyAccess`).
 * `wrapped`: the rows are one member of the body, and the paginator sees the rest of it, the rows'
 * member parsing the page when `getPath` reaches it. On a bare array the body is the rows themselves,
 * so only a paginator that reads nothing of the body takes text pages.
 */
export function takesTextPages (paginator: Paginator, wrapped: boolean): boolean {
  return paginator.bodyAccess === 'none' || (wrapped && paginator.bodyAccess === 'paths')
}

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
