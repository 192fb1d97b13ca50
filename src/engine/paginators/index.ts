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
 * Whether pages kept as text (raw-rows.ts) give this paginator all it reads. `wrapped`: the rows are one
 * member of the body, and the paginator sees the rest of it (the rows' member parses the page when
 * read). A paginator that reads headers only needs nothing of the body; the others read the body through
 * `getPath`, the row count and the last row — except on a bare array, where the body is the rows
 * themselves, so only those with no body path declared. Expressions see own data properties only, so
 * one that reads the body is never given a text page.
 */
export function takesTextPages (decl: PaginatorDecl, paginator: Paginator, wrapped: boolean): boolean {
  if (paginator.headersOnly === true) return true
  if (decl.type === 'expression') return false
  if (wrapped) return true
  return decl.type !== 'next_url' && !Object.entries(decl).some(([key, value]) => key.endsWith('Path') && value !== undefined)
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
