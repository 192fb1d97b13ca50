/**
 * What a user would write instead of our engine to read a Link-header list: a hand-written undici
 * loop (the floor), `octokit.paginate` and `got.paginate`. Each returns the number of rows it read.
 * Loops are bounded by a page count and by the run's signal.
 */
import { Agent, request } from 'undici'
import { Octokit } from '@octokit/core'
import { paginateRest } from '@octokit/plugin-paginate-rest'
import got from 'got'

export const MAX_PAGES = 100_000

const NEXT_LINK = /<([^>]+)>\s*;\s*rel="?next"?/

/** The `rel="next"` target of a Link header, resolved against the current URL; null when absent. */
export function nextLink (header: string | string[] | undefined, current: string): string | null {
  const value = Array.isArray(header) ? header.join(', ') : header
  if (value === undefined) return null
  const match = NEXT_LINK.exec(value)
  return match === null ? null : new URL(match[1]!, current).href
}

/** Fetch, parse, follow Link: nothing else. */
export async function rawUndiciLinkLoop (startUrl: string, dispatcher: Agent, signal: AbortSignal): Promise<number> {
  let url: string | null = startUrl
  let rows = 0
  for (let pages = 0; url !== null && pages < MAX_PAGES; pages++) {
    const response = await request(url, { dispatcher, signal })
    if (response.statusCode !== 200) {
      await response.body.dump()
      throw new Error(`raw loop: HTTP ${response.statusCode}`)
    }
    const body = await response.body.json() as unknown[]
    rows += body.length
    url = nextLink(response.headers.link, url)
  }
  return rows
}

const PaginatingOctokit = Octokit.plugin(paginateRest)

/** `octokit.paginate.iterator(route, parameters)`; `path` may be a route template such as `/repos/{owner}/{repo}/issues`. */
export async function octokitLinkLoop (baseUrl: string, path: string, signal: AbortSignal, parameters: Record<string, string | number> = {}): Promise<number> {
  const octokit = new PaginatingOctokit({ baseUrl, request: { signal } })
  let rows = 0
  let pages = 0
  for await (const response of octokit.paginate.iterator(`GET ${path}`, parameters)) {
    rows += (response.data as unknown[]).length
    if (++pages >= MAX_PAGES) break
  }
  return rows
}

export async function gotLinkLoop (startUrl: string, signal: AbortSignal): Promise<number> {
  let rows = 0
  for await (const _item of got.paginate<unknown>(startUrl, { signal, retry: { limit: 0 }, pagination: { requestLimit: MAX_PAGES } })) rows++
  return rows
}
