/**
 * Page number from `basePage` (default 1). With a total page count in the body the remaining pages
 * are a known run (fetched concurrently, emitted in order); without one, the empty-page guard stops.
 */
import type { Static } from 'typebox'
import type { PageNumberPaginatorSchema } from '../declarations.js'
import { getPath } from '../select.js'
import { bodyAccessOf, countOf, KNOWN_RUN_MAX, withParam, type Paginator } from './types.js'

export function pageNumberPaginator (decl: Static<typeof PageNumberPaginatorSchema>): Paginator {
  const base = decl.basePage ?? 1
  const pageOf = (params: Record<string, unknown> | undefined): number => {
    const n = Number(params?.[decl.pageParam] ?? base)
    return Number.isInteger(n) ? n : base
  }
  return {
    first: (request) => withParam(request, decl.pageParam, pageOf(request.params)),
    bodyAccess: bodyAccessOf(decl.totalPagesPath, decl.totalRowsPath),
    next ({ request, response }) {
      const page = pageOf(request.params)
      const totalPages = decl.totalPagesPath === undefined ? undefined : countOf(getPath(response.body, decl.totalPagesPath))
      let last = decl.maxPage ?? Number.POSITIVE_INFINITY
      if (totalPages !== undefined) last = Math.min(last, base + totalPages - 1)
      const out = []
      const runLength = totalPages === undefined ? 1 : KNOWN_RUN_MAX
      for (let next = page + 1; next <= last && out.length < runLength; next++) out.push(withParam(request, decl.pageParam, next))
      return out
    },
    totals ({ response }) {
      const pages = decl.totalPagesPath === undefined ? undefined : countOf(getPath(response.body, decl.totalPagesPath))
      const rows = decl.totalRowsPath === undefined ? undefined : countOf(getPath(response.body, decl.totalRowsPath))
      const capped = pages === undefined || decl.maxPage === undefined ? pages : Math.min(pages, decl.maxPage - base + 1)
      return { ...(capped === undefined ? {} : { pages: capped }), ...(rows === undefined ? {} : { rows }) }
    }
  }
}
