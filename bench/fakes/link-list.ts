/**
 * A GitHub-style list: a JSON array per page, `Link: <...>; rel="next", <...>; rel="last"` with
 * absolute URLs, `page` query param starting at 1. The dataset is named by the path, so one fake
 * serves every size and latency a run needs:
 *
 *   GET /lists/{pages}/{perPage}/{rowBytes}/{latencyMs}/items?page=N
 *
 * Row ids are global and ascending: page N holds ids (N-1)*perPage+1 … N*perPage.
 *
 * The same data is served GitHub-shaped for the Github source's `issues` table, the dataset named by
 * the repository (`bench/{pages}-{perPage}-{rowBytes}-{latencyMs}`, any owner):
 *
 *   GET /repos/{owner}/{pages}-{perPage}-{rowBytes}-{latencyMs}/issues?state=all&...&per_page=100&page=N
 *
 * with GitHub's Link header (every query parameter kept, `page` replaced; next, last, first, prev) and its
 * rate-limit headers (x-ratelimit-limit/remaining/used/reset/resource, far from exhausted).
 */
import { BodyCache, intParam, later, sendBuffer, sendJson, type Fake } from './server.js'
import { pageBody } from './rows.js'

const PATH = /^\/lists\/(\d+)\/(\d+)\/(\d+)\/(\d+)\/items$/
const GITHUB_PATH = /^\/repos\/[^/]+\/(\d+)-(\d+)-(\d+)-(\d+)\/issues$/

export function linkListPath (dataset: LinkListDataset): string {
  return `/lists/${dataset.pages}/${dataset.perPage}/${dataset.rowBytes}/${dataset.latencyMs}/items`
}

/** The repository (owner/name) whose `issues` the fake serves from `dataset`. */
export function githubRepository (dataset: LinkListDataset, owner = 'bench'): string {
  return `${owner}/${dataset.pages}-${dataset.perPage}-${dataset.rowBytes}-${dataset.latencyMs}`
}

/** GitHub's Link header: every query parameter of the request kept, `page` replaced. */
function githubLink (base: string, query: URLSearchParams, page: number, pages: number): string {
  const at = (n: number): string => { const q = new URLSearchParams(query); q.set('page', String(n)); return `<${base}?${q.toString()}>` }
  const links: string[] = []
  if (page > 1) links.push(`${at(page - 1)}; rel="prev"`)
  if (page < pages) links.push(`${at(page + 1)}; rel="next"`, `${at(pages)}; rel="last"`)
  if (page > 1) links.push(`${at(1)}; rel="first"`)
  return links.join(', ')
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
      const github = GITHUB_PATH.exec(url.pathname)
      const match = github ?? PATH.exec(url.pathname)
      if (match === null || req.method !== 'GET') {
        sendJson(res, 404, { message: 'Not Found' })
        return
      }
      requests++
      const [pages, perPage, rowBytes, latencyMs] = match.slice(1).map(Number) as [number, number, number, number]
      const page = intParam(url.searchParams.get('page'), 1)
      const inRange = page >= 1 && page <= pages
      const headers: Record<string, string> = {}
      if (github !== null) {
        const link = githubLink(`http://${req.headers.host ?? '127.0.0.1'}${url.pathname}`, url.searchParams, page, pages)
        if (link !== '') headers.link = link
        Object.assign(headers, {
          'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4999', 'x-ratelimit-used': '1', 'x-ratelimit-resource': 'core',
          'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600), 'x-github-api-version-selected': '2022-11-28'
        })
      } else if (page < pages) {
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
