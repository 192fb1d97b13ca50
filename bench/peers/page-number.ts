/**
 * Sequential readers of a Typeform-style page-number list (`page`, body `page_count` and `items`):
 * a hand-written undici loop and `got.paginate` with a page-number `paginate` function. Both stop
 * at `page_count`, as a user would write them.
 */
import { Agent, request } from 'undici'
import got from 'got'
import { MAX_PAGES } from './link-list.js'

interface PageBody { page_count: number, items: unknown[] }

function withPage (url: string, page: number): string {
  const next = new URL(url)
  next.searchParams.set('page', String(page))
  return next.href
}

export async function rawUndiciPageLoop (startUrl: string, dispatcher: Agent, signal: AbortSignal): Promise<number> {
  let rows = 0
  let pageCount = 1
  for (let page = 1; page <= pageCount && page <= MAX_PAGES; page++) {
    const response = await request(withPage(startUrl, page), { dispatcher, signal })
    if (response.statusCode !== 200) {
      await response.body.dump()
      throw new Error(`raw page loop: HTTP ${response.statusCode}`)
    }
    const body = await response.body.json() as PageBody
    rows += body.items.length
    pageCount = body.page_count
  }
  return rows
}

export async function gotPageLoop (startUrl: string, signal: AbortSignal): Promise<number> {
  let rows = 0
  const items = got.paginate<unknown, PageBody>(withPage(startUrl, 1), {
    signal,
    retry: { limit: 0 },
    responseType: 'json',
    pagination: {
      requestLimit: MAX_PAGES,
      transform: (response) => response.body.items,
      paginate: ({ response }) => {
        const page = Number(new URL(response.url).searchParams.get('page'))
        return page < response.body.page_count ? { url: new URL(withPage(response.url, page + 1)) } : false
      }
    }
  })
  for await (const _item of items) rows++
  return rows
}
