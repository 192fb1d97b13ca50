/**
 * A Typeform-style page-number list (as `GET /forms`: `page` from 1 and `page_size`, body
 * `{ total_items, page_count, items }`; a page past the end has no items). The dataset is named by
 * the path:
 *
 *   GET /pages/{pages}/{perPage}/{rowBytes}/{latencyMs}/forms?page=N
 *
 * Requests may arrive concurrently; each is answered after the latency on its own timer.
 */
import { BodyCache, intParam, later, sendBuffer, sendJson, type Fake } from './server.js'
import { pageBody } from './rows.js'

const PATH = /^\/pages\/(\d+)\/(\d+)\/(\d+)\/(\d+)\/forms$/

export interface PageNumberDataset {
  pages: number
  perPage: number
  rowBytes: number
  latencyMs: number
}

export function pageNumberPath (dataset: PageNumberDataset): string {
  return `/pages/${dataset.pages}/${dataset.perPage}/${dataset.rowBytes}/${dataset.latencyMs}/forms`
}

export function createPageNumberFake (): Fake {
  const cache = new BodyCache(128 * 1024 * 1024)
  let requests = 0
  let rows = 0
  let inFlight = 0
  let maxInFlight = 0
  return {
    stats: () => ({ requests, rows, maxInFlight }),
    reset: () => { requests = 0; rows = 0; maxInFlight = 0 },
    handler (req, res, url) {
      const match = PATH.exec(url.pathname)
      if (match === null || req.method !== 'GET') {
        sendJson(res, 404, { code: 'NOT_FOUND', description: 'Endpoint not found' })
        return
      }
      requests++
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      const [pages, perPage, rowBytes, latencyMs] = match.slice(1).map(Number) as [number, number, number, number]
      const page = intParam(url.searchParams.get('page'), 1)
      const inRange = page >= 1 && page <= pages
      const body = cache.get(`${rowBytes}:${page}:${perPage}:${pages}`, () => {
        const items = inRange ? pageBody((page - 1) * perPage + 1, perPage, rowBytes) : '[]'
        return `{"total_items":${pages * perPage},"page_count":${pages},"items":${items}}`
      })
      if (inRange) rows += perPage
      later(latencyMs, () => {
        inFlight--
        sendBuffer(res, 200, body)
      })
    }
  }
}
