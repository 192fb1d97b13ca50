/**
 * Offset/limit. Stops at the total (body path or header) when there is one, else on a short page;
 * never past `maxOffset`. With a known total the remaining pages are returned as a known run.
 */
import type { Static } from 'typebox'
import type { OffsetPaginatorSchema } from '../declarations.js'
import { getPath } from '../select.js'
import { bodyAccessOf, countOf, KNOWN_RUN_MAX, rowCountOf, withParam, type Paginator } from './types.js'

function readTotal (decl: Static<typeof OffsetPaginatorSchema>, body: unknown, headers: Record<string, string>): number | undefined {
  return countOf(decl.totalHeader !== undefined ? headers[decl.totalHeader.toLowerCase()] : decl.totalPath !== undefined ? getPath(body, decl.totalPath) : undefined)
}

export function offsetPaginator (decl: Static<typeof OffsetPaginatorSchema>): Paginator {
  const offsetOf = (params: Record<string, unknown> | undefined): number => {
    const n = Number(params?.[decl.offsetParam] ?? 0)
    return Number.isFinite(n) ? n : 0
  }
  return {
    first: (request) => withParam(withParam(request, decl.offsetParam, offsetOf(request.params)), decl.limitParam, decl.limit),
    bodyAccess: bodyAccessOf(decl.totalPath),
    next (page) {
      const { request, response } = page
      const total = readTotal(decl, response.body, response.headers)
      const offset = offsetOf(request.params)
      const end = Math.min(total ?? Number.POSITIVE_INFINITY, decl.maxOffset === undefined ? Number.POSITIVE_INFINITY : decl.maxOffset + 1)
      if (total === undefined && rowCountOf(page) < decl.limit) return []
      const out = []
      for (let next = offset + decl.limit; next < end && out.length < (total === undefined ? 1 : KNOWN_RUN_MAX); next += decl.limit) {
        out.push(withParam(request, decl.offsetParam, next))
      }
      return out
    },
    totals ({ response }) {
      const rows = readTotal(decl, response.body, response.headers)
      if (rows === undefined) return {}
      const reachable = decl.maxOffset === undefined ? rows : Math.min(rows, decl.maxOffset + 1)
      return { rows, pages: Math.max(1, Math.ceil(reachable / decl.limit)) }
    }
  }
}
