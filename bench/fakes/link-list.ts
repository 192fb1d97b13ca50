/**
 * A GitHub-style list: a JSON array per page, `Link: <...>; rel="next", <...>; rel="last"` with
 * absolute URLs, `page` query param starting at 1. The dataset is named by the path, so one fake
 * serves every size and latency a run needs:
 *
 *   GET /lists/{pages}/{perPage}/{rowBytes}/{latencyMs}/items?page=N
 *
 * Row ids are global and ascending: page N holds ids (N-1)*perPage+1 … N*perPage.
 */
import { BodyCache, intParam, later, sendBuffer, sendJson, type Fake } from './server.js'
import { pageBody } from './rows.js'

const PATH = /^\/lists\/(\d+)\/(\d+)\/(\d+)\/(\d+)\/items$/

export function linkListPath (dataset: LinkListDataset): string {
  return `/lists/${dataset.pages}/${dataset.perPage}/${dataset.rowBytes}/${dataset.latencyMs}/items`
}

export interface LinkListDataset {
  pages: number
  perPage: number
  rowBytes: number
  latencyMs: number
}

export function createLinkListFake (): Fake {
  const cache = new BodyCache(768 * 1024 * 1024)
  let requests = 0
  let rows = 0
  return {
    stats: () => ({ requests, rows }),
    reset: () => { requests = 0; rows = 0 },
    handler (req, res, url) {
      const match = PATH.exec(url.pathname)
      if (match === null || req.method !== 'GET') {
        sendJson(res, 404, { message: 'Not Found' })
        return
      }
      requests++
      const [pages, perPage, rowBytes, latencyMs] = match.slice(1).map(Number) as [number, number, number, number]
      const page = intParam(url.searchParams.get('page'), 1)
      const inRange = page >= 1 && page <= pages
      const headers: Record<string, string> = {}
      if (page < pages) {
        const base = `http://${req.headers.host ?? '127.0.0.1'}${url.pathname}`
        headers.link = `<${base}?page=${page + 1}>; rel="next", <${base}?page=${pages}>; rel="last"`
      }
      const key = `${rowBytes}:${page}:${perPage}`
      const body = inRange
        ? cache.get(key, () => pageBody((page - 1) * perPage + 1, perPage, rowBytes))
        : Buffer.from('[]')
      if (inRange) rows += perPage
      later(latencyMs, () => sendBuffer(res, 200, body, headers))
    }
  }
}
