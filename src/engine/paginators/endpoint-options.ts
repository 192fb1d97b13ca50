/**
 * Endpoint options that apply around any paginator: `firstPageOnlyParams` (dropped from every next
 * request) and `stopOnShortPage` (a page shorter than the page size ends the walk). The declared
 * paginator stays a pure step; this only filters what it returns.
 */
import type { Endpoint } from '../declarations.js'
import type { RequestSpec } from '../types.js'
import { createPaginator } from './index.js'
import { rowCountOf, type Paginator } from './types.js'

function withoutParams (request: RequestSpec, names: ReadonlySet<string>): RequestSpec {
  const params = request.params
  if (params === undefined || !Object.keys(params).some((name) => names.has(name))) return request
  return { ...request, params: Object.fromEntries(Object.entries(params).filter(([name]) => !names.has(name))) }
}

/** The endpoint's paginator with its endpoint-level options applied. */
export function endpointPaginator (endpoint: Endpoint): Paginator {
  const paginator = createPaginator(endpoint.paginator)
  const dropped = new Set(endpoint.firstPageOnlyParams ?? [])
  const shortBelow = endpoint.stopOnShortPage === true ? endpoint.pageSize?.value : undefined
  if (dropped.size === 0 && shortBelow === undefined) return paginator
  return {
    first: paginator.first,
    next (page) {
      if (shortBelow !== undefined && rowCountOf(page) < shortBelow) return []
      const next = paginator.next(page)
      return dropped.size === 0 ? next : next.map((request) => withoutParams(request, dropped))
    },
    ...(paginator.totals === undefined ? {} : { totals: paginator.totals }),
    ...(paginator.bodyAccess === undefined ? {} : { bodyAccess: paginator.bodyAccess }),
    // A short-page stop needs the rows, so such a walk cannot be pipelined on headers alone.
    ...(paginator.headersOnly === true && shortBelow === undefined ? { headersOnly: true } : {})
  }
}
